// See nam_weight.h.
#include "nn/nam_weight.h"

namespace namk {

void nam_weight_pack(const Scalar* src, Index in, Index taps, MatRef dst) {
  const Index out = dst.rows();
  for (Index o = 0; o < out; ++o)
    for (Index i = 0; i < in; ++i)
      for (Index k = 0; k < taps; ++k) dst(o, k * in + i) = src[(o * in + i) * taps + k];
}

void nam_weight_pack_backward(ConstMatRef ddst, Index in, Index taps, Scalar* dsrc) {
  const Index out = ddst.rows();
  for (Index o = 0; o < out; ++o)
    for (Index i = 0; i < in; ++i)
      for (Index k = 0; k < taps; ++k) dsrc[(o * in + i) * taps + k] += ddst(o, k * in + i);
}

void nam_weight_unpack(ConstMatRef src, Index in, Index taps, Scalar* dst) {
  const Index out = src.rows();
  for (Index o = 0; o < out; ++o)
    for (Index i = 0; i < in; ++i)
      for (Index k = 0; k < taps; ++k) dst[(o * in + i) * taps + k] = src(o, k * in + i);
}

Var nam_weight(Tape& t, const Scalar* value, Scalar* grad, Index out, Index in, Index taps) {
  // The tape never writes a parameter's value; its API takes Scalar* because gradients do.
  Var raw = t.parameter(const_cast<Scalar*>(value), grad, out * in * taps, 1);
  Var w = t.output(out, taps * in, grad != nullptr);
  nam_weight_pack(value, in, taps, t.value(w));
  if (grad != nullptr)
    t.record({[](Tape& t, const OpRecord& r) {
                nam_weight_pack_backward(t.grad(r.out), r.ints[0], r.ints[1], t.grad(r.in[0]).data());
              },
              w, {raw}, {in, taps}});
  return w;
}

Var nam_vector(Tape& t, const Scalar* value, Scalar* grad, Index size) {
  return t.parameter(const_cast<Scalar*>(value), grad, size, 1);
}

}  // namespace namk
