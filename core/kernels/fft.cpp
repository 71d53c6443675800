// See fft.h. The method: an n-point real transform is an m = n/2-point complex one of
// z[j] = x[2j] + i x[2j+1], followed by a split pass that separates the even and odd samples'
// spectra; the inverse runs the same steps backwards, and its complex transform is the forward one
// on conjugates, so there is one butterfly loop. That loop is iterative decimation in time: the
// gather writes z in bit-reversed order and radix-4 passes (two radix-2 stages held in registers:
// half the passes over a buffer of up to a few hundred KB) leave the spectrum in natural order.
// Every "scalar" of the butterflies is a vector of kLanes frames, so the only shuffling is the
// transposition on the way in and out. Twiddles are computed in double and rounded once, per size
// and per thread, alongside the thread's buffers: the trainer's OpenMP threads share nothing.
#include "core/kernels/fft.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/kernels/register_width.h"
#include "core/kernels/tuned.h"

namespace namk {

namespace {

// GCC vector extensions, one register wide (as conv1d_tuned.h explains: portable SSE2 by default,
// AVX-512 with -march=native).
typedef Scalar V __attribute__((vector_size(kRegisterBytes)));
constexpr Index kLanes = kRegisterBytes / static_cast<Index>(sizeof(Scalar));

// One complex number per lane.
struct Complex {
  V re, im;
};

inline Complex operator+(Complex a, Complex b) { return {a.re + b.re, a.im + b.im}; }
inline Complex operator-(Complex a, Complex b) { return {a.re - b.re, a.im - b.im}; }
// a times the same complex scalar (wr + i wi) in every lane.
inline Complex times(Complex a, Scalar wr, Scalar wi) {
  return {a.re * wr - a.im * wi, a.re * wi + a.im * wr};
}
inline Complex conj(Complex a) { return {a.re, -a.im}; }
// -i·a and i·a: a swap and a sign, no multiplication.
inline Complex times_minus_i(Complex a) { return {a.im, -a.re}; }
inline Complex times_i(Complex a) { return {-a.im, a.re}; }

// Twiddles W^k = e^{-2πik/n} = wr[k] + i wi[k] for k = 0..n/2, which hold the complex transform's
// e^{-2πij/m} = W^{2j} too; and the bit reversal of j < m.
struct Plan {
  std::vector<Scalar> wr, wi;
  std::vector<uint32_t> reversed;
};

struct Workspace {
  std::vector<Plan> plans;  // indexed by log2 n, built on first use
  const Plan* plan = nullptr;  // this call's
  std::vector<Complex> a, b;  // m + 1 each: the transform in place, and the one-sided spectrum
};

int log2_of(Index n) {
  int bits = 0;
  while ((Index(1) << bits) < n) ++bits;
  return bits;
}

Workspace& workspace(Index n) {
  thread_local Workspace ws;
  const int bits = log2_of(n);
  if (ws.plans.size() <= static_cast<size_t>(bits)) ws.plans.resize(static_cast<size_t>(bits) + 1);
  Plan& plan = ws.plans[static_cast<size_t>(bits)];
  const Index m = n / 2;
  if (plan.wr.empty()) {
    plan.wr.resize(static_cast<size_t>(m + 1));
    plan.wi.resize(static_cast<size_t>(m + 1));
    for (Index k = 0; k <= m; ++k) {
      const double angle = 2 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n);
      plan.wr[k] = static_cast<Scalar>(std::cos(angle));
      plan.wi[k] = static_cast<Scalar>(-std::sin(angle));
    }
    plan.reversed.resize(static_cast<size_t>(m));
    for (Index j = 0; j < m; ++j) {
      uint32_t r = 0;
      for (int bit = 0; bit < bits - 1; ++bit) r |= static_cast<uint32_t>((j >> bit) & 1) << (bits - 2 - bit);
      plan.reversed[j] = r;
    }
  }
  if (ws.a.size() < static_cast<size_t>(m + 1)) {
    ws.a.resize(static_cast<size_t>(m + 1));
    ws.b.resize(static_cast<size_t>(m + 1));
  }
  ws.plan = &plan;
  return ws;
}

// The m-point complex FFT of a (bit-reversed in, natural order out), twiddles from a plan of n = 2m.
void complex_fft(Complex* a, Index m, const Plan& plan) {
  const Scalar* wr = plan.wr.data();
  const Scalar* wi = plan.wi.data();
  const Index n = 2 * m;
  Index h = 1;  // half the butterfly span of the next radix-2 stage
  if (log2_of(m) % 2 == 1) {  // an odd stage count: one radix-2 stage with twiddle 1 first
    for (Index j = 0; j < m; j += 2) {
      const Complex x = a[j], y = a[j + 1];
      a[j] = x + y;
      a[j + 1] = x - y;
    }
    h = 2;
  }
  // Stages h and 2h together on blocks of 4h: the first pairs (0,1) and (2,3) of each quartet with
  // W_{2h}^j, the second (0,2) with W_{4h}^j and (1,3) with W_{4h}^{j+h} = -i W_{4h}^j.
  for (; h < m; h *= 4) {
    const Index step1 = n / (2 * h), step2 = n / (4 * h);
    for (Index base = 0; base < m; base += 4 * h)
      for (Index j = 0; j < h; ++j) {
        Complex* p = a + base + j;
        const Scalar w1r = wr[j * step1], w1i = wi[j * step1];
        const Scalar w2r = wr[j * step2], w2i = wi[j * step2];
        Complex a0 = p[0], a1 = p[h], a2 = p[2 * h], a3 = p[3 * h];
        Complex t = times(a1, w1r, w1i);
        a1 = a0 - t;
        a0 = a0 + t;
        t = times(a3, w1r, w1i);
        a3 = a2 - t;
        a2 = a2 + t;
        t = times(a2, w2r, w2i);
        p[0] = a0 + t;
        p[2 * h] = a0 - t;
        t = times_minus_i(times(a3, w2r, w2i));
        p[h] = a1 + t;
        p[3 * h] = a1 - t;
      }
  }
}

// Transposition: lane l of vector i becomes lane i of vector l. Recursive block swapping, one
// two-source shuffle per vector and step with constant masks: for vectors i and i+S (i & S == 0),
// lanes j of i with j & S set trade places with lanes j - S of i+S; S = kLanes/2, ..., 1.
// __builtin_shufflevector (constant lane indices, g++ >= 12 and clang) rather than g++'s
// __builtin_shuffle, so the clang fuzz build compiles the same kernel.
template <Index S, size_t... J>
inline void transpose_step(V* r, std::index_sequence<J...> lanes) {
  constexpr Index L = kLanes;
  for (Index i = 0; i < L; ++i)
    if (!(i & S)) {
      const V x = r[i], y = r[i + S];
      r[i] = __builtin_shufflevector(x, y, static_cast<int>((J & S) ? L + J - S : J)...);
      r[i + S] = __builtin_shufflevector(x, y, static_cast<int>((J & S) ? L + J : J + S)...);
    }
  if constexpr (S > 1) transpose_step<S / 2>(r, lanes);
}

inline void transpose(V* r) { transpose_step<kLanes / 2>(r, std::make_index_sequence<kLanes>{}); }

// Rows [row0, row0 + rows) of kLanes columns (null: a column of zeros), rows <= kLanes, as
// vectors: r[i] holds row row0 + i across the lanes (zero for i >= rows).
void load_rows(const Scalar* const* columns, Index row0, Index rows, V* r) {
  for (Index l = 0; l < kLanes; ++l) {
    // A whole vector is one unaligned load; a variable-length memcpy would be a slow `rep movs`.
    if (columns[l] && rows == kLanes) {
      std::memcpy(&r[l], columns[l] + row0, sizeof(V));
    } else {
      r[l] = V{};
      for (Index i = 0; columns[l] && i < rows; ++i) r[l][i] = columns[l][row0 + i];
    }
  }
  transpose(r);
}

// The inverse: r[i] becomes row row0 + i (i < rows) of the first count columns.
void store_rows(V* r, Index row0, Index rows, Scalar* const* columns, Index count) {
  transpose(r);
  for (Index l = 0; l < count; ++l) {
    if (rows == kLanes)
      std::memcpy(columns[l] + row0, &r[l], sizeof(V));
    else
      for (Index i = 0; i < rows; ++i) columns[l][row0 + i] = r[l][i];
  }
}

// One batch of up to kLanes frames as column pointers, from `from` and into `to` (null past the last
// frame: idle lanes transform zeros rather than stale, possibly subnormal, data).
struct Batch {
  Index count;
  const Scalar* in[kLanes];
  Scalar* out[kLanes];
};
Batch batch(const ConstMatRef& from, MatRef& to, Index f0) {
  Batch b;
  b.count = std::min(kLanes, from.cols() - f0);
  for (Index l = 0; l < kLanes; ++l) {
    b.in[l] = l < b.count ? from.col(f0 + l).data() : nullptr;
    b.out[l] = l < b.count ? to.col(f0 + l).data() : nullptr;
  }
  return b;
}

// The walk both directions share: body(io, plan, a, b) for each batch of kLanes columns, with this
// thread's plan for n and its two scratch arrays (see Workspace). The body's lambdas capture its
// parameters, not a structured binding: clang before 16 cannot capture those (the fuzz build).
template <class Body>
void for_each_batch(const ConstMatRef& from, MatRef& to, Index n, Body body) {
  Workspace& ws = workspace(n);
  for (Index f0 = 0; f0 < from.cols(); f0 += kLanes) body(batch(from, to, f0), *ws.plan, ws.a.data(), ws.b.data());
}

// The batch's first `total` input rows as total/2 complex lane vectors (rows 2p and 2p+1 are pair
// p's real and imaginary parts), each written to slot(p).
template <class Slot>
void load_pairs(const Batch& io, Index total, Slot slot) {
  V r[kLanes];
  for (Index row0 = 0; row0 < total; row0 += kLanes) {
    const Index rows = std::min(kLanes, total - row0);
    load_rows(io.in, row0, rows, r);
    for (Index q = 0; 2 * q < rows; ++q) slot(row0 / 2 + q) = Complex{r[2 * q], r[2 * q + 1]};
  }
}

// The inverse: pair(p) into output rows 2p and 2p+1 of the batch's columns, `total` rows in all.
template <class Pair>
void store_pairs(const Batch& io, Index total, Pair pair) {
  V r[kLanes];
  for (Index row0 = 0; row0 < total; row0 += kLanes) {
    const Index rows = std::min(kLanes, total - row0);
    for (Index q = 0; 2 * q < rows; ++q) {
      const Complex c = pair(row0 / 2 + q);
      r[2 * q] = c.re;
      r[2 * q + 1] = c.im;
    }
    store_rows(r, row0, rows, io.out, io.count);
  }
}

}  // namespace

bool rfft_size_supported(Index n) { return n >= 2 && (n & (n - 1)) == 0; }

Index rfft_lanes() { return kLanes; }

// Both directions move data between columns (frames) and vectors (one frame per lane) kLanes rows
// at a time: the n real samples are rows 0..n-1, the m + 1 bins rows 0..n+1 (re, im interleaved).
void rfft_forward(ConstMatRef frames, MatRef spectrum) {
  if constexpr (!kTunedKernels) return rfft_forward_naive(frames, spectrum);
  const Index n = frames.rows(), m = n / 2;
  for_each_batch(frames, spectrum, n, [&](const Batch& io, const Plan& plan, Complex* a, Complex* b) {
    load_pairs(io, n, [&](Index p) -> Complex& { return a[plan.reversed[p]]; });
    complex_fft(a, m, plan);
    // Z = E + iO with E, O the spectra of the even and odd samples, so E = (Z[k] + conj Z[m-k])/2,
    // O = -i (Z[k] - conj Z[m-k])/2 and X[k] = E + W^k O, for k = 0..m (Z[m] = Z[0]).
    for (Index k = 0; k <= m; ++k) {
      const Complex z = a[k == m ? 0 : k], zc = conj(a[k == 0 ? 0 : m - k]);
      const V half = V{} + Scalar(0.5);
      const Complex e{(z.re + zc.re) * half, (z.im + zc.im) * half};
      const Complex d = z - zc;
      const Complex o{d.im * half, -d.re * half};
      b[k] = e + times(o, plan.wr[k], plan.wi[k]);
    }
    store_pairs(io, n + 2, [&](Index p) { return b[p]; });
  });
}

void rfft_inverse(ConstMatRef spectrum, MatRef frames) {
  if constexpr (!kTunedKernels) return rfft_inverse_naive(spectrum, frames);
  const Index n = frames.rows(), m = n / 2;
  for_each_batch(spectrum, frames, n, [&](const Batch& io, const Plan& plan, Complex* a, Complex* b) {
    load_pairs(io, n + 2, [&](Index p) -> Complex& { return b[p]; });
    b[0].im = V{};
    b[m].im = V{};
    // x[2j] + i x[2j+1] = sum_{k<m} Z[k] e^{+2πijk/m} with Z[k] = (X[k] + conj X[m-k])
    // + i (X[k] - conj X[m-k]) e^{+2πik/n}: the forward split run backwards. The m-point inverse
    // is conj(FFT(conj Z)), so conj Z goes in and the imaginary parts come out negated.
    for (Index k = 0; k < m; ++k) {
      const Complex y = b[k], yc = conj(b[m - k]);
      const Complex z = (y + yc) + times_i(times(y - yc, plan.wr[k], -plan.wi[k]));
      a[plan.reversed[k]] = conj(z);
    }
    complex_fft(a, m, plan);
    store_pairs(io, n, [&](Index p) { return conj(a[p]); });
  });
}

}  // namespace namk
