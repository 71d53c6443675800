// A column-major matrix as a pointer, its rows and columns and its column stride: what the conv
// kernels read of their arguments. Streaming's per-block path passes these where the training graph
// passes Eigen Refs: a Ref<const Mat> carries a matrix of its own for the copy it may have to make,
// and each one built and torn down at a call boundary is a cost per block, not per sample (some
// twenty per layer and block; standard has 20 layers). A view owns nothing and checks nothing.
#pragma once

#include <type_traits>

#include "core/scalar.h"

namespace namk {

template <typename T>
struct MatViewOf {
  T* ptr = nullptr;
  Index n_rows = 0, n_cols = 0, stride = 0;

  MatViewOf() = default;
  MatViewOf(T* p, Index rows, Index cols, Index outer_stride) : ptr(p), n_rows(rows), n_cols(cols), stride(outer_stride) {}
  // From an Eigen matrix (read only), Map or Ref (writable through the view when it is itself).
  template <typename Derived>
    requires std::is_const_v<T>
  MatViewOf(const Eigen::PlainObjectBase<Derived>& m)  // implicit, as a Ref binds
      : MatViewOf(m.data(), m.rows(), m.cols(), m.outerStride()) {}
  template <typename Derived, int Options, typename Stride>
    requires(std::is_const_v<T> || !std::is_const_v<Derived>)
  MatViewOf(const Eigen::Ref<Derived, Options, Stride>& m)
      : MatViewOf(const_cast<T*>(m.data()), m.rows(), m.cols(), m.outerStride()) {}
  template <typename Derived, int Options, typename Stride>
    requires(std::is_const_v<T> || !std::is_const_v<Derived>)
  MatViewOf(const Eigen::Map<Derived, Options, Stride>& m)
      : MatViewOf(const_cast<T*>(m.data()), m.rows(), m.cols(), m.outerStride()) {}
  // A writable view reads as a read-only one.
  template <typename U>
    requires(std::is_const_v<T> && !std::is_const_v<U>)
  MatViewOf(const MatViewOf<U>& v) : MatViewOf(v.ptr, v.n_rows, v.n_cols, v.stride) {}

  T* data() const { return ptr; }
  Index rows() const { return n_rows; }
  Index cols() const { return n_cols; }
  Index outerStride() const { return stride; }
  Index size() const { return n_rows * n_cols; }
  T& operator()(Index i, Index j) const { return ptr[i + j * stride]; }
  MatViewOf middle_cols(Index start, Index n) const { return {ptr + start * stride, n_rows, n, stride}; }
  MatViewOf middle_rows(Index start, Index n) const { return {ptr + start, n, n_cols, stride}; }
};

using MatView = MatViewOf<Scalar>;
using ConstMatView = MatViewOf<const Scalar>;

// Back to Eigen, for the paths that stay on it (the reference loops, the GEMM fallback).
inline Eigen::Map<Mat, 0, Eigen::OuterStride<>> as_eigen(const MatView& v) {
  return {v.ptr, v.n_rows, v.n_cols, Eigen::OuterStride<>(v.stride)};
}
inline Eigen::Map<const Mat, 0, Eigen::OuterStride<>> as_eigen(const ConstMatView& v) {
  return {v.ptr, v.n_rows, v.n_cols, Eigen::OuterStride<>(v.stride)};
}

// Column blocks, for code written once for Refs and views (the conv dispatch, the fused layer).
inline ConstMatRef middle_cols(const ConstMatRef& m, Index start, Index n) { return m.middleCols(start, n); }
inline MatRef middle_cols(MatRef& m, Index start, Index n) { return m.middleCols(start, n); }
inline ConstMatView middle_cols(const ConstMatView& m, Index start, Index n) { return m.middle_cols(start, n); }
inline MatView middle_cols(const MatView& m, Index start, Index n) { return m.middle_cols(start, n); }

}  // namespace namk
