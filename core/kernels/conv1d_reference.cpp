// The reference convolution: the definition in conv1d.h written as plain loops over every output
// sample, in the order a student would write them. It is the oracle every tuned kernel is tested
// against, and the whole conv when NAMK_TUNED_KERNELS is OFF. Speed is not a goal here.
// A 1x1 conv (K = 1) is a dense layer over channels applied at every time step: the same loops.
#include "core/kernels/conv1d.h"

namespace namk {

void conv1d_forward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  conv1d_forward_naive(x, w, b, dilation, y, Conv1dExtras{});
}

void conv1d_forward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                          const Conv1dExtras& extras) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in);
  const ConstMatRef& side = extras.side;
  const ConstMatRef& residual = extras.residual;
  for (Index t = 0; t < y.cols(); ++t)
    for (Index o = 0; o < y.rows(); ++o) {
      // Output column t sits at input column t + (K-1)*d: tap k reads (K-1-k)*d samples earlier.
      Scalar sum = b.size() > 0 ? b(o, 0) : Scalar(0);
      for (Index k = 0; k < taps; ++k)
        for (Index i = 0; i < c_in; ++i) sum += w(o, k * c_in + i) * x(i, t + k * dilation);
      for (Index j = 0; j < side.rows(); ++j) sum += extras.side_weight(o, j) * side(j, t);
      // Read before the write: y may be the residual itself (conv1d_backward's input gradient).
      y(o, t) = residual.size() > 0 ? residual(o, t) + sum : sum;
    }
}

// Every forward product w(o, k*C_in + i) * x(i, t + k*d) contributes to y(o, t), so its two
// factors' gradients are the other factor times dy(o, t): the chain rule, one term at a time.
void conv1d_backward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef dy, Index dilation,
                           MatRef dx, MatRef dw, MatRef db) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in);
  for (Index t = 0; t < dy.cols(); ++t)
    for (Index o = 0; o < dy.rows(); ++o) {
      if (db.size() > 0) db(o, 0) += dy(o, t);
      for (Index k = 0; k < taps; ++k)
        for (Index i = 0; i < c_in; ++i) {
          if (dx.size() > 0) dx(i, t + k * dilation) += w(o, k * c_in + i) * dy(o, t);
          if (dw.size() > 0) dw(o, k * c_in + i) += x(i, t + k * dilation) * dy(o, t);
        }
    }
}

}  // namespace namk
