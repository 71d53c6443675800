// See residual_layer_op.h. The backward reuses the separate kernels' backwards in reverse order of
// the forward's passes; the gradients of z and a (nodes the forward wrote for this purpose) are its
// scratch, so backward allocates nothing.
#include "core/residual_layer_op.h"

#include <string>
#include <type_traits>

#include "core/error.h"
#include "core/kernels/conv1d.h"

namespace namk {

namespace {

bool tracks(const Tape& t, Var v) { return v.valid() && t.requires_grad(v); }

// A contiguous (C, T) block as one (C*T, 1) column: elementwise work then runs as one long
// vectorised loop instead of Eigen's per-column peeling of 8- or 16-row columns.
template <typename M>
auto flat(M&& m) {
  using Map = std::conditional_t<std::is_const_v<std::remove_pointer_t<decltype(m.data())>>, ConstMatMap, MatMap>;
  return Map(m.data(), m.size(), 1);
}
MatMap grad_or_empty(Tape& t, Var v) { return tracks(t, v) ? t.grad(v) : empty_mat(); }

void require_shape(const Tape& t, Var v, Index rows, Index cols, const char* what) {
  if (t.rows(v) != rows || t.cols(v) != cols)
    throw UsageError(std::string("residual_layer: ") + what + " must be (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "), found (" + std::to_string(t.rows(v)) + ", " +
                     std::to_string(t.cols(v)) + ")");
}

// Record slots: in = {h, condition, head, conv, conv_bias, mixer, out, out_bias};
// out = h_next; more = {head_out, z, post (gated only), a}; ints = {dilation, activation, gated}.
void backward(Tape& t, const OpRecord& r) {
  const Var h = r.in[0], condition = r.in[1], head = r.in[2], conv = r.in[3], conv_bias = r.in[4],
            mixer = r.in[5], out = r.in[6], out_bias = r.in[7];
  const Var head_out = r.more[0], z = r.more[1], post = r.more[2], a = r.more[3];
  const Index dilation = r.ints[0];
  const auto act = static_cast<Activation>(r.ints[1]);
  const bool gated = r.ints[2] != 0;
  const Index c = t.rows(a), n = t.cols(a);
  MatMap g_h = t.grad(r.out), g_head = t.grad(head_out), g_a = t.grad(a), g_z = t.grad(z);
  // a feeds the skip sum and the 1x1: dL/da = dL/dhead' + out^T dL/dh'.
  flat(g_a) = flat(g_head);
  conv1d_backward(t.value(a), t.value(out), g_h, 1, g_a, grad_or_empty(t, out), grad_or_empty(t, out_bias));
  if (gated) {
    MatMap p = t.value(post), g_p = t.grad(post);
    g_p.topRows(c) = g_a.cwiseProduct(p.bottomRows(c));
    g_p.bottomRows(c) = g_a.cwiseProduct(p.topRows(c));
    activation_gradient(act, t.value(z).topRows(c), p.topRows(c), g_p.topRows(c), g_z.topRows(c));
    activation_gradient(Activation::Sigmoid, t.value(z).bottomRows(c), p.bottomRows(c), g_p.bottomRows(c),
                        g_z.bottomRows(c));
  } else {
    activation_gradient(act, flat(t.value(z)), flat(t.value(a)), flat(g_a), flat(g_z));
  }
  conv1d_backward(t.value(h), t.value(conv), g_z, dilation, grad_or_empty(t, h), grad_or_empty(t, conv),
                  grad_or_empty(t, conv_bias));
  const Index cond_from = t.cols(condition) - n;
  MatMap g_cond = grad_or_empty(t, condition);
  conv1d_backward(t.value(condition).middleCols(cond_from, n), t.value(mixer), g_z, 1,
                  g_cond.size() > 0 ? MatRef(g_cond.middleCols(cond_from, n)) : MatRef(empty_mat()),
                  grad_or_empty(t, mixer), empty_mat());
  if (tracks(t, h)) flat(t.grad(h).rightCols(n)) += flat(g_h);
  if (tracks(t, head)) flat(t.grad(head).rightCols(n)) += flat(g_head);
}

}  // namespace

ResidualLayerResult residual_layer(Tape& t, Var h, Var condition, Var head, const ResidualLayerParams& p,
                                   const ResidualLayerShape& shape) {
  const Index c = t.rows(h), cz = shape.gated ? 2 * c : c;
  if (shape.dilation < 1)
    throw UsageError("residual_layer: dilation must be >= 1, found " + std::to_string(shape.dilation));
  if (t.rows(p.conv) != cz || t.cols(p.conv) % c != 0 || t.cols(p.conv) == 0)
    throw UsageError("residual_layer: conv must be (" + std::to_string(cz) + ", K*" + std::to_string(c) +
                     "), found (" + std::to_string(t.rows(p.conv)) + ", " + std::to_string(t.cols(p.conv)) + ")");
  const Index taps = t.cols(p.conv) / c, n = t.cols(h) - (taps - 1) * shape.dilation;
  if (n < 1)
    throw UsageError("residual_layer: input of " + std::to_string(t.cols(h)) +
                     " samples is shorter than the receptive field " +
                     std::to_string((taps - 1) * shape.dilation + 1));
  require_shape(t, p.conv_bias, cz, 1, "conv_bias");
  require_shape(t, p.mixer, cz, t.rows(condition), "mixer");
  require_shape(t, p.out, c, c, "out");
  require_shape(t, p.out_bias, c, 1, "out_bias");
  if (t.cols(condition) < n) require_shape(t, condition, t.rows(condition), n, "condition");
  if (head.valid() && (t.rows(head) != c || t.cols(head) < n)) require_shape(t, head, c, n, "head");

  bool any = false;
  for (Var v : {h, condition, head, p.conv, p.conv_bias, p.mixer, p.out, p.out_bias}) any = any || tracks(t, v);
  const Var h_next = t.output(c, n, any), head_out = t.output(c, n, any);
  // The gradients of z, post and a are backward's scratch, assigned before they are read.
  const Var z = t.output(cz, n, any, false);
  const Var post = shape.gated ? t.output(cz, n, any, false) : Var{};
  const Var a = t.output(c, n, any, false);
  MatMap no_post = empty_mat();
  residual_layer_forward(
      {t.value(p.conv), t.value(p.conv_bias), t.value(p.mixer), t.value(p.out), t.value(p.out_bias)}, shape,
      t.value(h), t.value(condition).rightCols(n), t.value(z), post.valid() ? t.value(post) : no_post, t.value(a),
      head.valid() ? ConstMatRef(t.value(head).rightCols(n)) : ConstMatRef(empty_mat()), t.value(head_out),
      t.value(h_next));
  OpRecord r;
  r.backward = backward;
  r.out = h_next;
  r.in = {h, condition, head, p.conv, p.conv_bias, p.mixer, p.out, p.out_bias};
  r.ints = {shape.dilation, static_cast<Index>(shape.activation), shape.gated ? 1 : 0};
  r.more = {head_out, z, post, a};
  t.record(r);
  return {h_next, head_out};
}

}  // namespace namk
