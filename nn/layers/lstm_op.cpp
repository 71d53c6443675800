// See lstm_op.h. The recurrence is inherently sequential: per step one (4H x H) matrix-vector
// product and the gate nonlinearities; everything that is not recurrent is batched over time.
#include "nn/layers/lstm_op.h"

#include <cstring>
#include <type_traits>

#include "base/error.h"
#include "core/kernels/pointwise.h"
#include "core/kernels/tanh_float.h"
#include "core/kernels/tanh_vector.h"

namespace namk {

namespace {
// The build's tanh over n contiguous values, in place allowed: tanh_array, the piecewise quintic
// with AVX-512 floats (core/kernels/tanh_float.h), as the WaveNet's activations.
void tanh_values(const Scalar* x, Scalar* y, Index n) {
  activation_forward_views(Activation::Tanh, ConstMatView(x, 1, n, 1), MatView(y, 1, n, 1));
}

// gates = W_ih x + b for every step (the recurrent part is added step by step). One input row (a
// plain amp model's audio): w x + b per value, one FMA where the build contracts, as the vector
// form computes it inside its step; Eigen's GEMM, with its packing and blocking per call, cost an
// LSTM-16 about a tenth of its streaming at block 16. Several rows: the GEMM, then the bias.
void input_projection(ConstMatRef x, ConstMatRef w, ConstMatRef b, MatRef gates) {
  if (x.rows() == 1) {
    const Scalar* w0 = w.data();
    const Scalar* bias = b.data();
    for (Index t = 0; t < x.cols(); ++t) {
      const Scalar xt = x(0, t);
      Scalar* g = gates.col(t).data();
      for (Index r = 0; r < gates.rows(); ++r) g[r] = w0[r] * xt + bias[r];
    }
    return;
  }
  gates.noalias() = w.leftCols(x.rows()) * x;
  gates.colwise() += b.col(0);
}

// One step in the order both forms share, per gate row r: four partial sums of the recurrent
// product (the first starts from W_ih x + b, hidden unit j goes to sum j % 4: chains a quarter as
// long as one sum's), added as (s0 + s1) + (s2 + s3); i, f and o through lstm_gate_sigmoid's steps,
// g through tanh; c = i g + (f c_prev); y = o tanh(c).
void step_reference(const Scalar* w_hh, Index w_stride, const Scalar* h_prev, const Scalar* c_prev, Index h,
                    Scalar* g, Scalar* c, Scalar* y) {
  for (Index r = 0; r < 4 * h; ++r) {
    Scalar sum[4] = {g[r], 0, 0, 0};
    for (Index j = 0; j < h; ++j) sum[j % 4] += w_hh[j * w_stride + r] * h_prev[j];
    g[r] = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  }
  lstm_gate_sigmoid(g, g, 2 * h);          // i, f
  tanh_values(g + 2 * h, g + 2 * h, h);    // g
  lstm_gate_sigmoid(g + 3 * h, g + 3 * h, h);  // o
  for (Index j = 0; j < h; ++j) {
    const Scalar kept = g[h + j] * c_prev[j];
    c[j] = g[j] * g[2 * h + j] + kept;
  }
  tanh_values(c, y, h);
  for (Index j = 0; j < h; ++j) y[j] = g[3 * h + j] * y[j];
}

#if defined(__AVX512F__)
// The same step for a hidden size that is a whole number of 16-float vectors (LSTM-16, -32...):
// each gate a few vectors in registers, tanh in registers (tanh_vector.h: tanh_array's bits), no
// call per step. Each lane does the reference's operations in its order, contracted to the same
// FMAs. Why: the reference's calls (a tanh pass per gate, an activation dispatch each) and Eigen's
// matrix-vector product cost more than the step's arithmetic.
typedef float V __attribute__((vector_size(64)));
// (Unused in the double build, which discards steps_vectorised's body.)
[[maybe_unused]] inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
[[maybe_unused]] inline void store(float* p, const V& v) { std::memcpy(p, &v, sizeof v); }

// Raw pointers and a template, so that the double build (which never calls it) discards the body.
// x_row: the one input row when there is one (its projection then computed here, w_ih x + b, as
// input_projection does), else null (gates then hold the projection already). ONE_VECTOR: h = 16,
// fixed at compile time (below).
// Inlined into lstm_forward: called, its arguments (half of them on the stack) were reloaded in the loop.
template <typename S, bool ONE_VECTOR>
[[gnu::always_inline]] inline void steps_vectorised(const S* x_row, const S* w_ih, const S* bias, const S* w_hh,
                                                    Index ws, const S* h0, const S* c0, Index h, Index steps, S* y,
                                                    Index ys, S* gates, Index gs, S* c, Index cs) {
  if constexpr (std::is_same_v<S, float>) {
    constexpr Index lanes = 16;
    if constexpr (ONE_VECTOR) h = lanes;
    const Index nv = h / lanes;
    const tanh_vector::Registers table = tanh_vector::registers();
    const V half = V{} + 0.5f;
    auto start = [&](Index t, const float* g, Index v) {
      return x_row ? load(w_ih + v * lanes) * x_row[t] + load(bias + v * lanes) : load(g + v * lanes);
    };
    // Gate vector v's activation (g through tanh; i, f, o through lstm_gate_sigmoid's three steps).
    auto activate = [&](Index v, V gv) {
      if (v / nv == 2) {
        tanh_vector::tanh_lanes(gv, table);
      } else {
        gv = half * gv;
        tanh_vector::tanh_lanes(gv, table);
        gv = half * gv + half;
      }
      return gv;
    };
    for (Index t = 0; t < steps; ++t) {
      const float* h_prev = t == 0 ? h0 : y + (t - 1) * ys;
      const float* c_prev = t == 0 ? c0 : c + (t - 1) * cs;
      float* g = gates + t * gs;
      if constexpr (ONE_VECTOR) {
        // The four gate vectors' partial sums side by side (16 registers), each hidden value read
        // once for all four, where the loop below reads it once per gate; every sum takes the same
        // terms in the same order. The loops unrolled whole: no division, no loop counters.
        V sum[4][4];
        for (int v = 0; v < 4; ++v) {
          sum[v][0] = start(t, g, v);
          sum[v][1] = sum[v][2] = sum[v][3] = V{};
        }
#pragma GCC unroll 16
        for (int j = 0; j < lanes; j += 4)
#pragma GCC unroll 4
          for (int q = 0; q < 4; ++q)
#pragma GCC unroll 4
            for (int v = 0; v < 4; ++v) sum[v][q] += load(w_hh + (j + q) * ws + v * lanes) * h_prev[j + q];
#pragma GCC unroll 4
        for (int v = 0; v < 4; ++v)
          store(g + v * lanes, activate(v, (sum[v][0] + sum[v][1]) + (sum[v][2] + sum[v][3])));
      } else {
        for (Index v = 0; v < 4 * nv; ++v) {
          V sum[4] = {start(t, g, v), V{}, V{}, V{}};
          for (Index j = 0; j < h; j += 4)
            for (int q = 0; q < 4; ++q) sum[q] += load(w_hh + (j + q) * ws + v * lanes) * h_prev[j + q];
          store(g + v * lanes, activate(v, (sum[0] + sum[1]) + (sum[2] + sum[3])));
        }
      }
      float* ct = c + t * cs;
      float* yt = y + t * ys;
      for (Index v = 0; v < nv; ++v) {
        const Index o = v * lanes;
        const V kept = load(g + h + o) * load(c_prev + o);
        const V cv = load(g + o) * load(g + 2 * h + o) + kept;
        store(ct + o, cv);
        V tc = cv;
        tanh_vector::tanh_lanes(tc, table);
        store(yt + o, load(g + 3 * h + o) * tc);
      }
    }
  }
}

// Whether the vector form takes this hidden size.
bool vectorised(Index h) {
  return kTanhPiecewise && sizeof(Scalar) == sizeof(float) && h % 16 == 0 && h > 0;
}
#endif
}  // namespace

void lstm_gate_sigmoid(const Scalar* x, Scalar* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = Scalar(0.5) * x[i];
  tanh_values(y, y, n);
  for (Index i = 0; i < n; ++i) y[i] = Scalar(0.5) * y[i] + Scalar(0.5);
}

void lstm_forward_reference(ConstMatRef x, ConstMatRef w, ConstMatRef b, ConstMatRef h0, ConstMatRef c0, MatRef y,
                            MatRef gates, MatRef c) {
  const Index in = x.rows(), h = y.rows();
  input_projection(x, w, b, gates);
  for (Index t = 0; t < x.cols(); ++t)
    step_reference(w.data() + in * w.outerStride(), w.outerStride(), t == 0 ? h0.data() : y.col(t - 1).data(),
                   t == 0 ? c0.data() : c.col(t - 1).data(), h, gates.col(t).data(), c.col(t).data(),
                   y.col(t).data());
}

void lstm_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, ConstMatRef h0, ConstMatRef c0,
                  MatRef y, MatRef gates, MatRef c) {
#if defined(__AVX512F__)
  if (vectorised(y.rows())) {
    const bool one_row = x.rows() == 1 && x.outerStride() == 1;
    if (!one_row) input_projection(x, w, b, gates);
    const Index ws = w.outerStride();
    const Scalar* x_row = one_row ? x.data() : nullptr;
    const Scalar* w_hh = w.data() + x.rows() * ws;
    if (y.rows() == 16)
      return steps_vectorised<Scalar, true>(x_row, w.data(), b.data(), w_hh, ws, h0.data(), c0.data(), 16, x.cols(),
                                            y.data(), y.outerStride(), gates.data(), gates.outerStride(), c.data(),
                                            c.outerStride());
    return steps_vectorised<Scalar, false>(x_row, w.data(), b.data(), w_hh, ws, h0.data(), c0.data(), y.rows(),
                                           x.cols(), y.data(), y.outerStride(), gates.data(), gates.outerStride(),
                                           c.data(), c.outerStride());
  }
#endif
  lstm_forward_reference(x, w, b, h0, c0, y, gates, c);
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
    tanh_values(c.col(t).data(), tc.data(), h);  // the forward's tanh(c), the same values
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
