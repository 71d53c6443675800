// See conv1d.h. Why one GEMM per tap: each tap's input is a contiguous block of columns (no im2col
// copy), and the same kernel then serves training over a whole item and streaming over a ring buffer.
#include "core/kernels/conv1d.h"

namespace namk {

void conv1d_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in), t_out = y.cols();
  if (b.size() > 0)
    y.colwise() = b.col(0);
  else
    y.setZero();
  for (Index k = 0; k < taps; ++k)
    y.noalias() += w.middleCols(k * c_in, c_in) * x.middleCols(k * dilation, t_out);
}

void conv1d_backward(ConstMatRef x, ConstMatRef w, ConstMatRef dy, Index dilation, MatRef dx,
                     MatRef dw, MatRef db) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in), t_out = dy.cols();
  for (Index k = 0; k < taps; ++k) {
    if (dx.size() > 0)
      dx.middleCols(k * dilation, t_out).noalias() += w.middleCols(k * c_in, c_in).transpose() * dy;
    if (dw.size() > 0)
      dw.middleCols(k * c_in, c_in).noalias() += dy * x.middleCols(k * dilation, t_out).transpose();
  }
  if (db.size() > 0) db.col(0) += dy.rowwise().sum();
}

void conv1d_forward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in);
  for (Index t = 0; t < y.cols(); ++t)
    for (Index o = 0; o < y.rows(); ++o) {
      Scalar sum = b.size() > 0 ? b(o, 0) : Scalar(0);
      for (Index k = 0; k < taps; ++k)
        for (Index i = 0; i < c_in; ++i) sum += w(o, k * c_in + i) * x(i, t + k * dilation);
      y(o, t) = sum;
    }
}

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
