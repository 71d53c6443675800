// Float tanh over n contiguous values, vectorised (tanh_float.cpp says how and how accurate).
// Eigen 3.4 has no AVX-512 packet tanh and calls the scalar one per element, which was 30% of
// streaming time. The double build uses std::tanh instead (pointwise.cpp).
#pragma once

#include "core/scalar.h"

namespace namk {

void tanh_array(const float* x, float* y, Index n);
// y = tanh(x) as tanh_array, and sum = add + y, in one pass: a WaveNet layer's activation and its
// skip sum, which as a second pass read y back. Each element gets the bits of the two passes.
// add may be sum (in place); y may be x.
void tanh_array_add(const float* x, float* y, const float* add, float* sum, Index n);

// The piecewise quintic one value at a time, in plain C++ with std::fma: the readable twin of the
// AVX-512 path, which gives the same bits. Built in every configuration, so its accuracy is tested
// on any CPU; tanh_array uses it only through the vector code.
float tanh_piecewise_reference(float x);

// The quintic's pieces (tanh_float.cpp): |x| in 32 intervals of width 1/4 centred on k/4, six
// coefficients each (t^0 .. t^5, t = |x| - k/4); adding kTanhRounder to |x| <= kTanhLastInput
// rounds it to its centre and leaves k in the sum's low mantissa bits.
constexpr int kTanhIntervals = 32;
constexpr int kTanhCoefficients = 6;
constexpr float kTanhRounder = 2097152.f;      // 2^21: floats there are 1/4 apart
constexpr float kTanhLastInput = 7.87499952f;  // the largest |x| that rounds to 31/4 (7.875 would round to 32)
// coefficient j of interval k at [j * kTanhIntervals + k]: the table both forms read.
const float* tanh_piecewise_coefficients();

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
