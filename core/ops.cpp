// See ops.h. Each op is its forward code followed by its backward lambda, so the two are read
// together (Flashlight's style). Backward lambdas capture nothing: what they need is in the record.
#include "core/ops.h"

#include <string>

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/op_util.h"

namespace namk {

namespace {

std::string shape(const Tape& t, Var v) {
  return "(" + std::to_string(t.rows(v)) + ", " + std::to_string(t.cols(v)) + ")";
}

// Messages are only built on failure: these checks run for every op of every training step.
[[noreturn]] void fail(const char* op, const std::string& what) {
  throw UsageError(std::string(op) + ": " + what);
}

using op_util::grad_or_empty;
using op_util::tracks;

Var new_output(Tape& t, Index rows, Index cols, std::initializer_list<Var> inputs) {
  bool any = false;
  for (Var v : inputs) any = any || tracks(t, v);
  return t.output(rows, cols, any);
}

// Elementwise binary ops share shape checks and the reduction of a broadcast column's gradient.
Var elementwise_output(Tape& t, Var a, Var b, const char* op) {
  const bool same = t.rows(a) == t.rows(b) && t.cols(a) == t.cols(b);
  const bool column = t.rows(a) == t.rows(b) && t.cols(b) == 1;
  if (!(same || column))
    fail(op,
        "expected b of shape " + shape(t, a) + " or (" + std::to_string(t.rows(a)) +
            ", 1), found " + shape(t, b));
  return new_output(t, t.rows(a), t.cols(a), {a, b});
}

// Adds g (shaped like a) into b's gradient, summing over time when b was broadcast.
void accumulate_broadcast(Tape& t, Var b, const Eigen::Ref<const Mat>& g) {
  if (!tracks(t, b)) return;
  if (t.cols(b) == 1 && g.cols() != 1)
    t.grad(b).col(0) += g.rowwise().sum();
  else
    t.grad(b) += g;
}

}  // namespace

Var add(Tape& t, Var a, Var b) {
  Var y = elementwise_output(t, a, b, "add");
  if (t.cols(b) == t.cols(a))
    t.value(y) = t.value(a) + t.value(b);
  else
    t.value(y) = t.value(a).colwise() + t.value(b).col(0);
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0])) t.grad(r.in[0]) += t.grad(r.out);
              accumulate_broadcast(t, r.in[1], t.grad(r.out));
            },
            y, {a, b}});
  return y;
}

Var sub(Tape& t, Var a, Var b) {
  Var y = elementwise_output(t, a, b, "sub");
  if (t.cols(b) == t.cols(a))
    t.value(y) = t.value(a) - t.value(b);
  else
    t.value(y) = t.value(a).colwise() - t.value(b).col(0);
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0])) t.grad(r.in[0]) += t.grad(r.out);
              accumulate_broadcast(t, r.in[1], -t.grad(r.out));
            },
            y, {a, b}});
  return y;
}

Var mul(Tape& t, Var a, Var b) {
  Var y = elementwise_output(t, a, b, "mul");
  if (t.cols(b) == t.cols(a))
    t.value(y).array() = t.value(a).array() * t.value(b).array();
  else
    t.value(y).array() = t.value(a).array().colwise() * t.value(b).col(0).array();
  t.record({[](Tape& t, const OpRecord& r) {
              auto dy = t.grad(r.out).array();
              const bool broadcast = t.cols(r.in[1]) != t.cols(r.in[0]);
              if (tracks(t, r.in[0])) {
                if (broadcast)
                  t.grad(r.in[0]).array() += dy.colwise() * t.value(r.in[1]).col(0).array();
                else
                  t.grad(r.in[0]).array() += dy * t.value(r.in[1]).array();
              }
              if (tracks(t, r.in[1]))
                accumulate_broadcast(t, r.in[1], (dy * t.value(r.in[0]).array()).matrix());
            },
            y, {a, b}});
  return y;
}

Var matmul(Tape& t, Var a, Var b) {
  if (!(t.cols(a) == t.rows(b)))
    fail("matmul",
        "inner dimensions differ: " + shape(t, a) + " x " + shape(t, b));
  Var y = new_output(t, t.rows(a), t.cols(b), {a, b});
  t.value(y).noalias() = t.value(a) * t.value(b);
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0]))
                t.grad(r.in[0]).noalias() += t.grad(r.out) * t.value(r.in[1]).transpose();
              if (tracks(t, r.in[1]))
                t.grad(r.in[1]).noalias() += t.value(r.in[0]).transpose() * t.grad(r.out);
            },
            y, {a, b}});
  return y;
}

Var conv1d(Tape& t, Var x, Var w, Var b, Index dilation) {
  const Index c_in = t.rows(x), c_out = t.rows(w);
  if (!(dilation >= 1))
    fail("conv1d", "dilation must be >= 1, found " + std::to_string(dilation));
  if (!(t.cols(w) % c_in == 0 && t.cols(w) > 0))
    fail("conv1d",
        "weight " + shape(t, w) + " is not (C_out, K*" + std::to_string(c_in) + ")");
  if (!(!b.valid() || (t.rows(b) == c_out && t.cols(b) == 1)))
    fail("conv1d",
        "bias must be (" + std::to_string(c_out) + ", 1)");
  const Index taps = t.cols(w) / c_in, t_out = t.cols(x) - (taps - 1) * dilation;
  if (!(t_out >= 1))
    fail("conv1d",
        "input of " + std::to_string(t.cols(x)) + " samples is shorter than the receptive field " +
            std::to_string((taps - 1) * dilation + 1));
  Var y = new_output(t, c_out, t_out, {x, w, b});
  conv1d_forward(t.value(x), t.value(w), b.valid() ? t.value(b) : empty_mat(), dilation,
                 t.value(y));
  t.record({[](Tape& t, const OpRecord& r) {
              conv1d_backward(t.value(r.in[0]), t.value(r.in[1]), t.grad(r.out), r.ints[0],
                              grad_or_empty(t, r.in[0]), grad_or_empty(t, r.in[1]),
                              grad_or_empty(t, r.in[2]));
            },
            y, {x, w, b}, {dilation}});
  return y;
}

Var activation(Tape& t, Activation a, Var x) {
  Var y = new_output(t, t.rows(x), t.cols(x), {x});
  activation_forward(a, t.value(x), t.value(y));
  t.record({[](Tape& t, const OpRecord& r) {
              if (!tracks(t, r.in[0])) return;
              activation_backward(static_cast<Activation>(r.ints[0]), t.value(r.in[0]),
                                  t.value(r.out), t.grad(r.out), t.grad(r.in[0]));
            },
            y, {x}, {static_cast<Index>(a)}});
  return y;
}

Var film(Tape& t, Var x, Var gamma, Var beta) {
  const Index c = t.rows(x);
  if (!(t.rows(gamma) == c && t.cols(gamma) == 1))
    fail("film",
        "gamma must be (" + std::to_string(c) + ", 1), found " + shape(t, gamma));
  if (!(!beta.valid() || (t.rows(beta) == c && t.cols(beta) == 1)))
    fail("film",
        "beta must be (" + std::to_string(c) + ", 1), found " + shape(t, beta));
  Var y = new_output(t, c, t.cols(x), {x, gamma, beta});
  film_forward(t.value(x), t.value(gamma), beta.valid() ? t.value(beta) : empty_mat(), t.value(y));
  t.record({[](Tape& t, const OpRecord& r) {
              film_backward(t.value(r.in[0]), t.value(r.in[1]), t.grad(r.out),
                            grad_or_empty(t, r.in[0]), grad_or_empty(t, r.in[1]),
                            grad_or_empty(t, r.in[2]));
            },
            y, {x, gamma, beta}});
  return y;
}

namespace {
// Rows (channels) or columns (time) [start, start + count) of x; the backward adds the gradient
// back into the same block.
Var slice(Tape& t, Var x, bool rows, Index start, Index count, const char* op) {
  if (!(start >= 0 && count >= 0 && start + count <= (rows ? t.rows(x) : t.cols(x))))
    fail(op, std::string(rows ? "rows [" : "columns [") + std::to_string(start) + ", " +
                 std::to_string(start + count) + ") are outside " + shape(t, x));
  Var y = rows ? new_output(t, count, t.cols(x), {x}) : new_output(t, t.rows(x), count, {x});
  if (rows)
    t.value(y) = t.value(x).middleRows(start, count);
  else
    t.value(y) = t.value(x).middleCols(start, count);
  t.record({[](Tape& t, const OpRecord& r) {
              if (!tracks(t, r.in[0])) return;
              if (r.ints[1])
                t.grad(r.in[0]).middleRows(r.ints[0], t.rows(r.out)) += t.grad(r.out);
              else
                t.grad(r.in[0]).middleCols(r.ints[0], t.cols(r.out)) += t.grad(r.out);
            },
            y, {x}, {start, rows ? 1 : 0}});
  return y;
}
}  // namespace

Var slice_time(Tape& t, Var x, Index start, Index count) { return slice(t, x, false, start, count, "slice_time"); }

Var slice_channels(Tape& t, Var x, Index start, Index count) {
  return slice(t, x, true, start, count, "slice_channels");
}

Var concat_channels(Tape& t, Var a, Var b) {
  if (!(t.cols(a) == t.cols(b)))
    fail("concat_channels",
        "column counts differ: " + shape(t, a) + " and " + shape(t, b));
  Var y = new_output(t, t.rows(a) + t.rows(b), t.cols(a), {a, b});
  t.value(y).topRows(t.rows(a)) = t.value(a);
  t.value(y).bottomRows(t.rows(b)) = t.value(b);
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0])) t.grad(r.in[0]) += t.grad(r.out).topRows(t.rows(r.in[0]));
              if (tracks(t, r.in[1]))
                t.grad(r.in[1]) += t.grad(r.out).bottomRows(t.rows(r.in[1]));
            },
            y, {a, b}});
  return y;
}

Var sum(Tape& t, Var x) {
  Var y = new_output(t, 1, 1, {x});
  t.value(y)(0, 0) = t.value(x).sum();
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0])) t.grad(r.in[0]).array() += t.grad(r.out)(0, 0);
            },
            y, {x}});
  return y;
}

Var mean(Tape& t, Var x) {
  return scale(t, sum(t, x), Scalar(1) / static_cast<Scalar>(t.rows(x) * t.cols(x)));
}

Var square(Tape& t, Var x) {
  Var y = new_output(t, t.rows(x), t.cols(x), {x});
  t.value(y).array() = t.value(x).array().square();
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0]))
                t.grad(r.in[0]).array() += 2 * t.value(r.in[0]).array() * t.grad(r.out).array();
            },
            y, {x}});
  return y;
}

Var scale(Tape& t, Var x, Scalar s) {
  Var y = new_output(t, t.rows(x), t.cols(x), {x});
  t.value(y) = s * t.value(x);
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0])) t.grad(r.in[0]) += r.real * t.grad(r.out);
            },
            y, {x}, {}, s});
  return y;
}

Var log(Tape& t, Var x) {
  Var y = new_output(t, t.rows(x), t.cols(x), {x});
  t.value(y).array() = t.value(x).array().log();
  t.record({[](Tape& t, const OpRecord& r) {
              if (tracks(t, r.in[0]))
                t.grad(r.in[0]).array() += t.grad(r.out).array() / t.value(r.in[0]).array();
            },
            y, {x}});
  return y;
}

Var abs(Tape& t, Var x) {
  Var y = new_output(t, t.rows(x), t.cols(x), {x});
  t.value(y).array() = t.value(x).array().abs();
  t.record({[](Tape& t, const OpRecord& r) {
              if (!tracks(t, r.in[0])) return;
              // A plain loop because Eigen 3.4's sign() is scalar code; written so that GCC
              // vectorizes it (selects of constants, then one multiply), SSE2 included.
              const Scalar* x = t.value(r.in[0]).data();
              const Scalar* dy = t.grad(r.out).data();
              Scalar* dx = t.grad(r.in[0]).data();
              const Index n = t.value(r.in[0]).size();
              for (Index i = 0; i < n; ++i) {
                const Scalar positive = x[i] > 0 ? Scalar(1) : Scalar(0);
                const Scalar negative = x[i] < 0 ? Scalar(1) : Scalar(0);
                dx[i] += (positive - negative) * dy[i];
              }
            },
            y, {x}});
  return y;
}

Var norm(Tape& t, Var x) {
  Var y = new_output(t, 1, 1, {x});
  t.value(y)(0, 0) = t.value(x).norm();
  t.record({[](Tape& t, const OpRecord& r) {
              const Scalar n = t.value(r.out)(0, 0);
              if (tracks(t, r.in[0]) && n > 0)
                t.grad(r.in[0]) += (t.grad(r.out)(0, 0) / n) * t.value(r.in[0]);
            },
            y, {x}});
  return y;
}

}  // namespace namk
