// Float tanh over n contiguous values, vectorised (tanh_float.cpp says how and how accurate).
// Eigen 3.4 has no AVX-512 packet tanh and calls the scalar one per element, which was 30% of
// streaming time. The double build uses std::tanh instead (pointwise.cpp).
#pragma once

#include "core/scalar.h"

namespace namk {

void tanh_array(const float* x, float* y, Index n);

// The piecewise quintic one value at a time, in plain C++ with std::fma: the readable twin of the
// AVX-512 path, which gives the same bits. Built in every configuration, so its accuracy is tested
// on any CPU; tanh_array uses it only through the vector code.
float tanh_piecewise_reference(float x);

// Which form this build uses, and the largest |tanh_array(x) - tanh(x)| over all floats that it is
// held to (measured and tested: tanh_float.cpp, tests/core/test_pointwise.cpp).
#if defined(__AVX512F__)
constexpr bool kTanhPiecewise = true;
constexpr double kTanhFloatMaxError = 2.5e-7;
#else
constexpr bool kTanhPiecewise = false;
constexpr double kTanhFloatMaxError = 4e-7;
#endif

}  // namespace namk
