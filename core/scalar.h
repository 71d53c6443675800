// The number type and matrix aliases every layer of nam-knobs is written in.
// Tensors are 2-D, column-major: channels are rows, time is columns, so one time step is one
// contiguous column and a block of time is a contiguous run of columns.
// NAMK_SCALAR is float for the product and double for the gradient-check build (set by CMake).
#pragma once

#include <Eigen/Core>

#ifndef NAMK_SCALAR
#define NAMK_SCALAR float
#endif

namespace namk {

using Scalar = NAMK_SCALAR;
using Index = Eigen::Index;

using Mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
using Vec = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
using MatMap = Eigen::Map<Mat>;
using ConstMatMap = Eigen::Map<const Mat>;
// Ref at every kernel boundary: blocks of columns and Maps bind without a copy.
using MatRef = Eigen::Ref<Mat>;
using ConstMatRef = Eigen::Ref<const Mat>;

// An empty matrix to pass where a kernel takes an optional argument (a bias, a gradient to skip).
inline MatMap empty_mat() { return MatMap(nullptr, 0, 0); }

}  // namespace namk
