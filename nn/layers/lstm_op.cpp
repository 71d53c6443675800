// See lstm_op.h. The recurrence is inherently sequential: per step one (4H x H) matrix-vector
// product and the gate nonlinearities; everything that is not recurrent is batched over time.
#include "nn/layers/lstm_op.h"

#include "base/error.h"

namespace namk {

namespace {
template <typename V>
auto sigmoid(const V& v) {
  return (Scalar(1) + (-v).exp()).inverse();
}
}  // namespace

void lstm_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, ConstMatRef h0, ConstMatRef c0,
                  MatRef y, MatRef gates, MatRef c) {
  const Index in = x.rows(), h = y.rows(), steps = x.cols();
  // One input row (a plain amp model's audio): an outer product, each value the one product the
  // GEMM computes too (the same bits), without its packing and blocking per call, which cost an
  // LSTM-16 about a tenth of its streaming at block 16.
  if (in == 1)
    for (Index t = 0; t < steps; ++t) gates.col(t) = w.col(0) * x(0, t);
  else
    gates.noalias() = w.leftCols(in) * x;
  gates.colwise() += b.col(0);
  for (Index t = 0; t < steps; ++t) {
    auto g = gates.col(t);
    if (t == 0)
      g.noalias() += w.rightCols(h) * h0.col(0);
    else
      g.noalias() += w.rightCols(h) * y.col(t - 1);
    g.segment(0, 2 * h).array() = sigmoid(g.segment(0, 2 * h).array());
    g.segment(2 * h, h).array() = g.segment(2 * h, h).array().tanh();
    g.segment(3 * h, h).array() = sigmoid(g.segment(3 * h, h).array());
    const Eigen::Map<const Vec> c_prev(t == 0 ? c0.data() : c.col(t - 1).data(), h);
    c.col(t).array() = g.segment(h, h).array() * c_prev.array() +
                       g.segment(0, h).array() * g.segment(2 * h, h).array();
    y.col(t).array() = g.segment(3 * h, h).array() * c.col(t).array().tanh();
  }
}

void lstm_backward(ConstMatRef x, ConstMatRef w, ConstMatRef h0, ConstMatRef c0, ConstMatRef y,
                   ConstMatRef gates, ConstMatRef c, ConstMatRef dy, MatRef dx, MatRef dw,
                   MatRef db, MatRef dh0, MatRef dc0) {
  const Index in = x.rows(), h = y.rows(), steps = x.cols();
  Mat dgates(4 * h, steps);  // gradients of the gate pre-activations
  Vec dh_next = Vec::Zero(h), dc_next = Vec::Zero(h), dc(h), tc(h);
  for (Index t = steps - 1; t >= 0; --t) {
    const auto g = gates.col(t);
    const auto i = g.segment(0, h).array(), f = g.segment(h, h).array(),
               gg = g.segment(2 * h, h).array(), o = g.segment(3 * h, h).array();
    const Eigen::Map<const Vec> c_prev(t == 0 ? c0.data() : c.col(t - 1).data(), h);
    const auto dh = dy.col(t).array() + dh_next.array();
    tc.array() = c.col(t).array().tanh();
    dc.array() = dh * o * (Scalar(1) - tc.array().square()) + dc_next.array();
    auto d = dgates.col(t);
    d.segment(0, h).array() = dc.array() * gg * i * (Scalar(1) - i);
    d.segment(h, h).array() = dc.array() * c_prev.array() * f * (Scalar(1) - f);
    d.segment(2 * h, h).array() = dc.array() * i * (Scalar(1) - gg.square());
    d.segment(3 * h, h).array() = dh * tc.array() * o * (Scalar(1) - o);
    dc_next.array() = dc.array() * f;
    dh_next.noalias() = w.rightCols(h).transpose() * d;
  }
  if (dx.size() > 0) dx.noalias() += w.leftCols(in).transpose() * dgates;
  if (dw.size() > 0) {
    dw.leftCols(in).noalias() += dgates * x.transpose();
    // Each step's recurrent input is the previous hidden state: h0, then y shifted by one.
    dw.rightCols(h).noalias() += dgates.col(0) * h0.col(0).transpose();
    if (steps > 1)
      dw.rightCols(h).noalias() += dgates.rightCols(steps - 1) * y.leftCols(steps - 1).transpose();
  }
  if (db.size() > 0) db.col(0) += dgates.rowwise().sum();
  if (dh0.size() > 0) dh0.col(0) += dh_next;
  if (dc0.size() > 0) dc0.col(0) += dc_next;
}

namespace {

// The record's slots by name (see residual_layer_op.cpp): inputs, and the saved gates and cells.
enum InSlot : size_t { kX, kW, kState };
enum MoreSlot : size_t { kGates, kCells };

void backward(Tape& t, const OpRecord& r) {
  const Var x = r.in[kX], w = r.in[kW], state = r.in[kState], gates = r.more[kGates], c = r.more[kCells];
  const Index h = t.rows(w) / 4;
  auto s = t.value(state);
  MatMap none = empty_mat();
  MatMap ds = t.requires_grad(state) ? t.grad(state) : none;
  const bool track_state = ds.size() > 0;
  lstm_backward(t.value(x), t.value(w), s.middleRows(4 * h, h), s.bottomRows(h), t.value(r.out),
                t.value(gates), t.value(c), t.grad(r.out), t.requires_grad(x) ? t.grad(x) : none,
                t.requires_grad(w) ? t.grad(w) : none,
                track_state ? MatRef(ds.topRows(4 * h)) : MatRef(none),
                track_state ? MatRef(ds.middleRows(4 * h, h)) : MatRef(none),
                track_state ? MatRef(ds.bottomRows(h)) : MatRef(none));
}

}  // namespace

Var lstm(Tape& t, Var x, Var w, Var state) {
  const Index h = t.rows(w) / 4, in = t.rows(x), steps = t.cols(x);
  if (!(t.rows(w) == 4 * h && h >= 1 && t.cols(w) == in + h && t.rows(state) == 6 * h &&
        t.cols(state) == 1))
    throw UsageError("lstm: expected w (4H, I+H) and state (6H, 1) for x with I = " +
                     std::to_string(in) + " rows; found w (" + std::to_string(t.rows(w)) + ", " +
                     std::to_string(t.cols(w)) + "), state (" + std::to_string(t.rows(state)) +
                     ", " + std::to_string(t.cols(state)) + ")");
  const bool grad = t.requires_grad(x) || t.requires_grad(w) || t.requires_grad(state);
  Var y = t.output(h, steps, grad);
  // Saved for the backward: plain nodes, no gradient of their own.
  Var gates = t.output(4 * h, steps, false), c = t.output(h, steps, false);
  auto s = t.value(state);
  lstm_forward(t.value(x), t.value(w), s.topRows(4 * h), s.middleRows(4 * h, h),
               s.bottomRows(h), t.value(y), t.value(gates), t.value(c));
  if (!grad) return y;
  OpRecord r;
  r.backward = backward;
  r.out = y;
  r.in[kX] = x;
  r.in[kW] = w;
  r.in[kState] = state;
  r.more[kGates] = gates;
  r.more[kCells] = c;
  t.record(r);
  return y;
}

}  // namespace namk
