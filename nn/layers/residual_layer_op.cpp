// See residual_layer_op.h. The backward walks the layer in column tiles, in reverse order of the
// forward's passes, reusing the conv kernels, then adds the conv's input gradient in one pass. The
// gradients of a and z live in per-thread scratch that only grows (a training step allocates nothing
// after its first): dL/da per tile, dL/dz for the whole signal when h needs a gradient.
#include "nn/layers/residual_layer_op.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/op_util.h"
#include "core/scratch.h"

namespace namk {

namespace {

using op_util::grad_or_empty;
using op_util::tracks;

// A contiguous (C, T) block as one (C*T, 1) column: elementwise work then runs as one long
// vectorised loop instead of Eigen's per-column peeling of 8- or 16-row columns.
template <typename M>
auto flat(M&& m) {
  using Map = std::conditional_t<std::is_const_v<std::remove_pointer_t<decltype(m.data())>>, ConstMatMap, MatMap>;
  return Map(m.data(), m.size(), 1);
}

void require_shape(const Tape& t, Var v, Index rows, Index cols, const char* what) {
  if (t.rows(v) != rows || t.cols(v) != cols)
    throw UsageError(std::string("residual_layer: ") + what + " must be (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "), found (" + std::to_string(t.rows(v)) + ", " +
                     std::to_string(t.cols(v)) + ")");
}

// Asks for the cache lines of columns [from, from + count) of a matrix. The backward prefetches
// the next tile's a, which the forward wrote long before: its first reader, the 1x1's weight
// gradient (one column of a per 16 FMAs), otherwise waited on memory for it. Measured (standard,
// one thread): the backward 3.5% faster, ten alternating runs all faster; asking for the tile's
// other inputs too, or for a tile further ahead, was slower.
void prefetch_columns(const MatMap& m, Index from, Index count) {
  const Scalar* p = m.data() + from * m.outerStride();
  const Scalar* end = m.data() + (from + count) * m.outerStride();
  for (; p < end; p += 64 / sizeof(Scalar)) __builtin_prefetch(p);
}

// The record's slots by name, so the forward that fills them and the backward that reads them
// cannot disagree on a position: its inputs, its further outputs and saved tensors (z only when the
// activation's derivative reads it, post only when gated), and its integer attributes. r.out is h_next.
enum InSlot : size_t { kH, kCondition, kHead, kConv, kConvBias, kMixer, kOut, kOutBias, kInSlots };
enum MoreSlot : size_t { kHeadOut, kZ, kPost, kA, kMoreSlots };
enum IntSlot : size_t { kDilation, kActivation, kGated, kIntSlots };
static_assert(kInSlots <= std::tuple_size_v<decltype(OpRecord::in)> &&
              kMoreSlots <= std::tuple_size_v<decltype(OpRecord::more)> &&
              kIntSlots <= std::tuple_size_v<decltype(OpRecord::ints)>);

void backward(Tape& t, const OpRecord& r) {
  const Var h = r.in[kH], condition = r.in[kCondition], head = r.in[kHead], conv = r.in[kConv],
            conv_bias = r.in[kConvBias], mixer = r.in[kMixer], out = r.in[kOut], out_bias = r.in[kOutBias];
  const Var head_out = r.more[kHeadOut], z = r.more[kZ], post = r.more[kPost], a = r.more[kA];
  const Index dilation = r.ints[kDilation];
  const auto act = static_cast<Activation>(r.ints[kActivation]);
  const bool gated = r.ints[kGated] != 0;
  const Index c = t.rows(a), cz = gated ? 2 * c : c, n = t.cols(a), taps = t.cols(conv) / c, reach = (taps - 1) * dilation;
  // Without z (an activation whose derivative reads only its output, see the forward) the output
  // stands in for it as activation_gradient's unread input.
  const MatMap h_v = t.value(h), a_v = t.value(a), z_v = z.valid() ? t.value(z) : gated ? t.value(post) : a_v,
               w = t.value(conv), w_out = t.value(out), mixer_v = t.value(mixer);
  const auto cond_v = t.value(condition).rightCols(n);
  const MatMap post_v = gated ? t.value(post) : empty_mat();
  MatMap g_h = t.grad(r.out), g_head = t.grad(head_out);
  MatMap d_h = grad_or_empty(t, h), d_conv = grad_or_empty(t, conv), d_conv_bias = grad_or_empty(t, conv_bias),
               d_mixer = grad_or_empty(t, mixer), d_out = grad_or_empty(t, out), d_out_bias = grad_or_empty(t, out_bias),
               d_cond_all = grad_or_empty(t, condition), d_head_all = grad_or_empty(t, head);

  // Whether output's gradient is the last columns of input's (output_passing_to in the forward).
  auto shares = [&](Var input, Var output) {
    return tracks(t, input) && t.grad(output).data() == t.grad(input).data() + (t.cols(input) - n) * c;
  };

  thread_local std::vector<Scalar> out_t_buffer, g_a_buffer, g_z_buffer, g_post_buffer;
  MatMap out_t = scratch_matrix(out_t_buffer, c, c);
  out_t = w_out.transpose();
  // dL/dh needs dL/dz of every column (see below): then the tiles keep theirs in one whole-signal
  // buffer, else in an L1-sized one.
  MatMap g_z_all = d_h.size() > 0 ? scratch_matrix(g_z_buffer, cz, n) : empty_mat();

  for (Index t0 = 0; t0 < n; t0 += kResidualBackwardTile) {
    const Index m = std::min(kResidualBackwardTile, n - t0);
    if (t0 + m < n) prefetch_columns(a_v, t0 + m, std::min(kResidualBackwardTile, n - t0 - m));
    const auto g_h_t = g_h.middleCols(t0, m), g_head_t = g_head.middleCols(t0, m);
    const auto a_t = a_v.middleCols(t0, m), z_t = z_v.middleCols(t0, m);
    // a feeds the skip sum and the 1x1: dL/da = dL/dhead' + out^T dL/dh'.
    MatMap g_a = scratch_matrix(g_a_buffer, c, m);
    MatMap g_z = g_z_all.size() > 0 ? MatMap(g_z_all.data() + t0 * cz, cz, m) : scratch_matrix(g_z_buffer, cz, m);
    conv1d_forward(g_h_t, out_t, empty_mat(), 1, g_a, Conv1dExtras{empty_mat(), empty_mat(), g_head_t});
    if (d_out.size() > 0 || d_out_bias.size() > 0) conv1d_backward(a_t, w_out, g_h_t, 1, empty_mat(), d_out, d_out_bias);
    if (gated) {
      const auto p = post_v.middleCols(t0, m);
      MatMap g_p = scratch_matrix(g_post_buffer, cz, m);
      g_p.topRows(c) = g_a.cwiseProduct(p.bottomRows(c));
      g_p.bottomRows(c) = g_a.cwiseProduct(p.topRows(c));
      activation_gradient(act, z_t.topRows(c), p.topRows(c), g_p.topRows(c), g_z.topRows(c));
      activation_gradient(Activation::Sigmoid, z_t.bottomRows(c), p.bottomRows(c), g_p.bottomRows(c), g_z.bottomRows(c));
    } else {
      activation_gradient(act, flat(z_t), flat(a_t), flat(g_a), flat(g_z));
    }
    if (d_conv.size() > 0 || d_conv_bias.size() > 0)
      conv1d_backward(h_v.middleCols(t0, m + reach), w, g_z, dilation, empty_mat(), d_conv, d_conv_bias);
    if (d_mixer.size() > 0 || d_cond_all.size() > 0) {
      const Index rows = t.rows(condition), from = t.cols(condition) - n + t0;
      MatMap d_cond = d_cond_all.size() > 0 ? MatMap(d_cond_all.data() + from * rows, rows, m) : empty_mat();
      conv1d_backward(cond_v.middleCols(t0, m), mixer_v, g_z, 1, d_cond, d_mixer, empty_mat());
    }
    if (d_h.size() > 0 && !shares(h, r.out)) flat(d_h.middleCols(t0 + reach, m)) += flat(g_h_t);
    if (d_head_all.size() > 0 && !shares(head, head_out)) flat(d_head_all.rightCols(n).middleCols(t0, m)) += flat(g_head_t);
  }
  if (d_h.size() > 0) {
    // dL/dh += conv^T dL/dz over the whole signal, after every tile: one K-tap pass of the conv's
    // transpose (conv1d_backward's input gradient) instead of K one-tap scatters per tile, which
    // ran at half the speed. dL/dh' is the last n columns of this same memory when h' shares h's
    // gradient (the residual): every tile has read it by now, so adding into it here is safe.
    conv1d_backward(h_v, w, g_z_all, dilation, d_h, empty_mat(), empty_mat());
  }
}

}  // namespace

ResidualLayerResult residual_layer(Tape& t, Var h, Var condition, Var head, const ResidualLayerParams& p,
                                   const ResidualLayerShape& shape, HeadUse head_use) {
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
  // h' = h (last n columns) + ... and head' = head (last n columns) + a pass their gradients
  // through unchanged, so when h and head track one, h' and head' share it: backward then needs no
  // residual or skip additions and the tape zeroes no gradient for them (see backward() for why
  // the sharing is safe with the conv's scatter into h's gradient).
  // With in_place (HeadUse::Consume), the output's value is also input's last n columns: the sum is
  // accumulated where the input was. When the input tracks no gradient but the op does, the output
  // needs a zeroed one of its own, so it is a fresh tensor.
  auto output_passing_to = [&](Var input, bool in_place = false) {
    in_place = in_place && input.valid();
    const Index offset = input.valid() ? (t.cols(input) - n) * c : 0;
    Scalar* value = in_place ? t.value(input).data() + offset : nullptr;
    if (!any) return in_place ? t.output_in_place(c, n, value, nullptr) : t.output(c, n, false);
    if (!input.valid() || !tracks(t, input)) return t.output(c, n, true);
    Scalar* grad = t.grad(input).data() + offset;
    return in_place ? t.output_in_place(c, n, value, grad) : t.output_sharing_grad(c, n, grad);
  };
  const Var h_next = output_passing_to(h), head_out = output_passing_to(head, head_use == HeadUse::Consume);
  // Saved for the backward, which keeps their gradients in per-tile scratch: no gradient buffers.
  // z only when the activation's derivative reads its input: tanh's and sigmoid's come from their
  // outputs (a, or post when gated), so z then lives in a tile of per-thread scratch, in L1, and
  // the layer writes one (Cz, T) tensor less to memory.
  const bool keep_z = activation_gradient_reads_input(shape.activation);
  const Var z = keep_z ? t.output(cz, n, false) : Var{};
  const Var post = shape.gated ? t.output(cz, n, false) : Var{};
  const Var a = t.output(c, n, false);
  thread_local std::vector<Scalar> z_tile_buffer;
  MatMap z_values = keep_z ? t.value(z) : scratch_matrix(z_tile_buffer, cz, std::min(n, kResidualLayerMaxTile));
  MatMap no_post = empty_mat();
  residual_layer_forward(
      {t.value(p.conv), t.value(p.conv_bias), t.value(p.mixer), t.value(p.out), t.value(p.out_bias)}, shape,
      t.value(h), t.value(condition).rightCols(n), z_values, post.valid() ? t.value(post) : no_post, t.value(a),
      head.valid() ? ConstMatRef(t.value(head).rightCols(n)) : ConstMatRef(empty_mat()), t.value(head_out),
      t.value(h_next));
  OpRecord r;
  r.backward = backward;
  r.out = h_next;
  r.in[kH] = h;
  r.in[kCondition] = condition;
  r.in[kHead] = head;
  r.in[kConv] = p.conv;
  r.in[kConvBias] = p.conv_bias;
  r.in[kMixer] = p.mixer;
  r.in[kOut] = p.out;
  r.in[kOutBias] = p.out_bias;
  r.more[kHeadOut] = head_out;
  r.more[kZ] = z;
  r.more[kPost] = post;
  r.more[kA] = a;
  r.ints[kDilation] = shape.dilation;
  r.ints[kActivation] = static_cast<Index>(shape.activation);
  r.ints[kGated] = shape.gated ? 1 : 0;
  t.record(r);
  return {h_next, head_out};
}

}  // namespace namk
