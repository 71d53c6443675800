// The fused WaveNet residual layer: its forward against the layer written out with the naive conv
// and plain loops, its backward against finite differences, tiling that changes no bits, and
// shape errors that name the argument.
#include <doctest/doctest.h>

// See residual_layer_tiny.h: its vectors cross only internal-linkage functions here.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cmath>

#include "core/kernels/conv1d.h"
#include "core/kernels/residual_layer_planar.h"
#include "core/kernels/residual_layer_tiny.h"
#include "nn/layers/residual_layer_op.h"
#include "../core/gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {

double sigmoid_of(double v) { return 1 / (1 + std::exp(-v)); }

struct Layer {
  Index c, cz, c_cond, k, d;
  Mat conv, conv_bias, mixer, out, out_bias;
  Layer(Index channels, bool gated, Index cond_channels, Index taps, Index dilation, std::mt19937_64& rng)
      : c(channels), cz(gated ? 2 * channels : channels), c_cond(cond_channels), k(taps), d(dilation),
        conv(random_mat(cz, taps * channels, rng, -0.5, 0.5)), conv_bias(random_mat(cz, 1, rng)),
        mixer(random_mat(cz, cond_channels, rng)), out(random_mat(channels, channels, rng, -0.5, 0.5)),
        out_bias(random_mat(channels, 1, rng)) {}
};

// The layer's equations (residual_layer.h), one time step and one channel at a time, in double.
void reference(const Layer& l, bool gated, const Mat& h, const Mat& cond, const Mat& head_in, Mat& head_out,
               Mat& h_next) {
  const Index n = h.cols() - (l.k - 1) * l.d;
  Mat z(l.cz, n);
  conv1d_forward_naive(h, l.conv, l.conv_bias, l.d, z);
  head_out.resize(l.c, n);
  h_next.resize(l.c, n);
  for (Index t = 0; t < n; ++t) {
    std::vector<double> a(static_cast<size_t>(l.c));
    for (Index o = 0; o < l.cz; ++o)
      for (Index j = 0; j < l.c_cond; ++j) z(o, t) += l.mixer(o, j) * cond(j, cond.cols() - n + t);
    for (Index o = 0; o < l.c; ++o) {
      a[size_t(o)] = std::tanh(double(z(o, t)));
      if (gated) a[size_t(o)] *= sigmoid_of(double(z(l.c + o, t)));
      head_out(o, t) = Scalar((head_in.size() ? double(head_in(o, head_in.cols() - n + t)) : 0) + a[size_t(o)]);
    }
    for (Index o = 0; o < l.c; ++o) {
      double r = double(l.out_bias(o, 0)) + double(h(o, h.cols() - n + t));
      for (Index i = 0; i < l.c; ++i) r += double(l.out(o, i)) * a[size_t(i)];
      h_next(o, t) = Scalar(r);
    }
  }
}

}  // namespace

TEST_CASE("residual layer forward equals the layer's equations, gated or not, with or without a head") {
  std::mt19937_64 rng(5);
  // Float tanh is a rational approximation (2.9e-7 relative); the rest is rounding.
  const double tol = kDouble ? 1e-12 : 2e-5;
  for (bool gated : {false, true})
    for (Index c : {3, 8, 16})
      for (bool with_head : {false, true}) {
        CAPTURE(gated);
        CAPTURE(c);
        CAPTURE(with_head);
        const Layer l(c, gated, 2, 3, 5, rng);
        const Index n = kResidualLayerTile + 150;  // more than one tile
        const Mat h = random_mat(c, n + 10, rng), cond = random_mat(2, n + 7, rng);
        const Mat head_in = with_head ? random_mat(c, n + 3, rng) : Mat();
        Tape t;
        const ResidualLayerResult r = residual_layer(
            t, t.constant(h), t.constant(cond), with_head ? t.constant(head_in) : Var{},
            {t.constant(l.conv), t.constant(l.conv_bias), t.constant(l.mixer), t.constant(l.out), t.constant(l.out_bias)},
            {l.d, Activation::Tanh, gated});
        Mat head_ref, h_ref;
        reference(l, gated, h, cond, head_in, head_ref, h_ref);
        CHECK((t.value(r.head) - head_ref).cwiseAbs().maxCoeff() < tol);
        CHECK((t.value(r.h) - h_ref).cwiseAbs().maxCoeff() < tol * double(c));
        CHECK(t.value(r.h).cols() == n);
      }
}

TEST_CASE("residual layer forward: a time step's output does not depend on the block it is computed in") {
  std::mt19937_64 rng(8);
  for (Index c : {8, 16}) {
    CAPTURE(c);
    const Layer l(c, false, 1, 3, 4, rng);
    const Index n = 200, reach = 8;
    const Mat h = random_mat(c, n + reach, rng), cond = random_mat(1, n, rng), head_in = random_mat(c, n, rng);
    const ResidualLayerWeights w{l.conv, l.conv_bias, l.mixer, l.out, l.out_bias};
    auto run = [&](Index block) {
      Mat z(c, n), a(c, n), head(c, n), h_next(c, n);
      MatMap no_post = empty_mat();
      for (Index t = 0; t < n; t += block) {
        const Index m = std::min(block, n - t);
        residual_layer_forward(w, {l.d, Activation::Tanh, false}, h.middleCols(t, m + reach), cond.middleCols(t, m),
                               z.middleCols(t, m), no_post, a.middleCols(t, m), head_in.middleCols(t, m),
                               head.middleCols(t, m), h_next.middleCols(t, m));
      }
      Mat both(2 * c, n);
      both << head, h_next;
      return both;
    };
    const Mat all = run(n);
    CHECK((run(1).array() == all.array()).all());
    CHECK((run(7).array() == all.array()).all());
    CHECK((run(64).array() == all.array()).all());
  }
}

// The per-column kernel for up to 4 channels (residual_layer_tiny.h): instantiated here on any CPU
// and checked against the layer's equations in double; and residual_layer_forward, which takes it
// for floats with AVX-512, bit-identical to the tiled three-pass path at any block size.
TEST_CASE("tiny-channel residual layer equals its equations and, bit for bit, the tiled path") {
  std::mt19937_64 rng(21);
  const double tol = kDouble ? 1e-12 : 1e-5;
  for (Index c : {1, 2, 3, 4})
    for (Index k : {1, 6, 15})
      for (Index c_cond : {1, 3})
        for (bool with_head : {false, true})
          for (Activation act : {Activation::Tanh, Activation::LeakyReLU, Activation::Identity}) {
            CAPTURE(c);
            CAPTURE(k);
            CAPTURE(c_cond);
            CAPTURE(with_head);
            const Index d = k == 15 ? 2 : 3, reach = (k - 1) * d, n = 37;  // groups of 8, 4 and 1
            const Layer l(c, false, c_cond, k, d, rng);
            const Mat h = random_mat(c, n + reach, rng), cond = random_mat(c_cond, n, rng);
            const Mat head_in = with_head ? random_mat(c, n, rng) : Mat();
            const ResidualLayerWeights w{l.conv, l.conv_bias, l.mixer, l.out, l.out_bias};
            const ResidualLayerShape shape{d, act, false};
            MatMap no_post = empty_mat();
            // z, a, head, h_next stacked, from one of the three entry points over blocks of `block`.
            auto run = [&](int path, Index block) {
              Mat z(c, n), a(c, n), head(c, n), h_next(c, n);
              for (Index t = 0; t < n; t += block) {
                const Index m = std::min(block, n - t);
                const ConstMatRef hin = with_head ? ConstMatRef(head_in.middleCols(t, m)) : ConstMatRef(empty_mat());
                MatRef zb = z.middleCols(t, m), ab = a.middleCols(t, m), hb = head.middleCols(t, m),
                       yb = h_next.middleCols(t, m);
                const ConstMatRef hw = h.middleCols(t, m + reach), cb = cond.middleCols(t, m);
                if (path == 0) {
                  REQUIRE(residual_tiny::applies(w, shape, hw, cb, zb, ab, hin, hb, yb));
                  residual_tiny::forward_any(w, shape, hw, cb, zb, ab, hin, hb, yb);
                } else if (path == 1) {
                  residual_layer_forward(w, shape, hw, cb, zb, no_post, ab, hin, hb, yb);
                } else {
                  residual_layer_forward_tiled(w, shape, hw, cb, zb, no_post, ab, hin, hb, yb);
                }
              }
              Mat all(4 * c, n);
              all << z, a, head, h_next;
              return all;
            };
            // The equations in double, one column at a time.
            Mat expected(4 * c, n);
            for (Index t = 0; t < n; ++t)
              for (Index o = 0; o < c; ++o) {
                double zv = l.conv_bias(o, 0);
                for (Index tap = 0; tap < k; ++tap)
                  for (Index i = 0; i < c; ++i) zv += double(l.conv(o, tap * c + i)) * double(h(i, t + tap * d));
                for (Index j = 0; j < c_cond; ++j) zv += double(l.mixer(o, j)) * double(cond(j, t));
                const double av = act == Activation::Tanh                   ? std::tanh(zv)
                                  : act == Activation::LeakyReLU && zv <= 0 ? kLeakyReluSlope * zv
                                                                            : zv;
                expected(o, t) = Scalar(zv);
                expected(c + o, t) = Scalar(av);
                expected(2 * c + o, t) = Scalar(av + (with_head ? double(head_in(o, t)) : 0.0));
              }
            for (Index t = 0; t < n; ++t)
              for (Index o = 0; o < c; ++o) {
                double r = double(l.out_bias(o, 0)) + double(h(o, t + reach));
                for (Index i = 0; i < c; ++i) r += double(l.out(o, i)) * double(expected(c + i, t));
                expected(3 * c + o, t) = Scalar(r);
              }
            const Mat tiny = run(0, n);
            CHECK((tiny - expected).cwiseAbs().maxCoeff() < tol * double(k * c + 1));
            CHECK((run(0, 1).array() == tiny.array()).all());
            CHECK((run(0, 5).array() == tiny.array()).all());
            const Mat tiled = run(2, n);
            CHECK((tiled - expected).cwiseAbs().maxCoeff() < tol * double(k * c + 1));
            CHECK((run(1, n).array() == tiled.array()).all());
            CHECK((run(1, 1).array() == tiled.array()).all());
            CHECK((run(1, 16).array() == tiled.array()).all());
          }
}

// Streaming's entry takes views (mat_view.h) down the same tiles and conv dispatch as the Ref
// entry the training op calls: every output bit for bit, on shapes that take each kernel (channel
// pairs, the column kernels with 12 and 16 channels, the per-column tiny kernel, the GEMM path
// past 32 channels), gated or not, over blocks of one column, one tile and more than one tile.
// (That the Ref entry's output does not depend on the block size is tested above.)
TEST_CASE("residual layer over views (streaming) equals the Ref entry bit for bit") {
  std::mt19937_64 rng(23);
  for (Index c : {2, 3, 6, 8, 12, 16, 40})
    for (bool gated : {false, true})
      for (Index k : {1, 3})
        for (bool with_head : {false, true}) {
          CAPTURE(c);
          CAPTURE(gated);
          CAPTURE(k);
          CAPTURE(with_head);
          const Activation act = c == 3 ? Activation::LeakyReLU : Activation::Tanh;
          const Index d = 2, reach = (k - 1) * d, n = kResidualLayerTile + 172, c_cond = c == 6 ? 3 : 1;
          const Layer l(c, gated, c_cond, k, d, rng);
          const Mat h = random_mat(c, n + reach, rng), cond = random_mat(c_cond, n, rng);
          const Mat head_in = with_head ? random_mat(c, n, rng) : Mat();
          Mat conv_packed, out_packed;
          conv1d_pack(l.conv, l.conv_bias, l.mixer, c, conv_packed);
          conv1d_pack(l.out, l.out_bias, empty_mat(), c, out_packed);
          const Scalar* cp = conv_packed.size() > 0 ? conv_packed.data() : nullptr;
          const Scalar* op = out_packed.size() > 0 ? out_packed.data() : nullptr;
          const ResidualLayerWeights w{l.conv, l.conv_bias, l.mixer, l.out, l.out_bias, cp, op};
          const ResidualLayerWeightViews wv{l.conv, l.conv_bias, l.mixer, l.out, l.out_bias, cp, op};
          const ResidualLayerShape shape{d, act, gated};
          auto run = [&](bool views, Index block) {
            Mat z(l.cz, n), post = Mat::Zero(gated ? l.cz : 0, gated ? n : 0), a(c, n), head(c, n), h_next(c, n);
            for (Index t = 0; t < n; t += block) {
              const Index m = std::min(block, n - t);
              if (views) {
                const ConstMatView hin = with_head ? ConstMatView(head_in).middle_cols(t, m) : ConstMatView();
                const MatView pv = gated ? MatView(post.data(), l.cz, n, l.cz).middle_cols(t, m) : MatView();
                residual_layer_stream(wv, shape, ConstMatView(h).middle_cols(t, m + reach),
                                      ConstMatView(cond).middle_cols(t, m), MatView(z.data(), l.cz, n, l.cz).middle_cols(t, m),
                                      pv, MatView(a.data(), c, n, c).middle_cols(t, m), hin,
                                      MatView(head.data(), c, n, c).middle_cols(t, m),
                                      MatView(h_next.data(), c, n, c).middle_cols(t, m));
              } else {
                const ConstMatRef hin = with_head ? ConstMatRef(head_in.middleCols(t, m)) : ConstMatRef(empty_mat());
                MatRef pb = gated ? MatRef(post.middleCols(t, m)) : MatRef(post);
                residual_layer_forward(w, shape, h.middleCols(t, m + reach), cond.middleCols(t, m), z.middleCols(t, m),
                                       pb, a.middleCols(t, m), hin, head.middleCols(t, m), h_next.middleCols(t, m));
              }
            }
            Mat all(l.cz + 3 * c, n);
            all << z, a, head, h_next;
            return all;
          };
          // Block by block: past 32 channels the GEMM path's rounding depends on the block size.
          for (Index block : {Index(1), Index(16), Index(37), n}) {
            CAPTURE(block);
            CHECK((run(true, block).array() == run(false, block).array()).all());
          }
        }
}

// Streaming's time-major layers of up to 12 channels (residual_layer_planar.h): the vector kernel against its
// scalar reference bit for bit on any CPU; against the training graph's entry, bit for bit where
// streaming takes it (kPlanarStreaming), within rounding elsewhere. Each block gets planes of its
// own with random padding, as streaming's (the last vector runs into it), in blocks that end
// inside a vector, on one and past two.
TEST_CASE("planar residual layer equals its reference and the column entry bit for bit") {
  std::mt19937_64 rng(29);
  const double tol = kDouble ? 1e-12 : 1e-5;
  // Up to 8 channels in the channel-pair order, 10 and 12 in the column kernel's.
  for (Index c : {1, 2, 3, 4, 5, 6, 8, 10, 12})
    for (Index k : {1, 6, 15})
      for (Index c_cond : {1, 2, 3})
        for (bool with_head : {false, true})
          for (Activation act : {Activation::Tanh, Activation::LeakyReLU, Activation::Identity}) {
            if (k * c > 128) continue;  // beyond the column kernels (see residual_planar_applies)
            CAPTURE(c);
            CAPTURE(k);
            CAPTURE(c_cond);
            CAPTURE(with_head);
            const Index d = k == 15 ? 2 : 3, reach = (k - 1) * d, n = 70;
            const Layer l(c, false, c_cond, k, d, rng);
            const Mat h = random_mat(c, n + reach, rng), cond = random_mat(c_cond, n, rng);
            const Mat head_in = with_head ? random_mat(c, n, rng) : Mat();
            const ResidualLayerShape shape{d, act, false};
            REQUIRE(residual_planar_applies(c, c_cond, k, shape));
            // (rows, m) columns as padded planes: (m + pad, rows), a column per plane.
            auto planes = [&](const Mat& m) {
              Mat p = random_mat(m.cols() + kPlanarPad, m.rows(), rng);
              p.topRows(m.cols()) = m.transpose();
              return p;
            };
            // head and h_next stacked, from the kernel or its reference over blocks of `block`.
            auto run = [&](bool reference, Index block) {
              Mat all(2 * c, n);
              for (Index t = 0; t < n; t += block) {
                const Index m = std::min(block, n - t);
                const Mat hp = planes(h.middleCols(t, m + reach)), cp = planes(cond.middleCols(t, m));
                Mat head = planes(with_head ? Mat(head_in.middleCols(t, m)) : Mat::Zero(c, m));
                Mat next = planes(Mat::Zero(c, m));
                const ResidualLayerWeightViews wv{l.conv, l.conv_bias, l.mixer, l.out, l.out_bias};
                const PlanarBlock b{{hp.data(), hp.rows()}, {cp.data(), cp.rows()}, {head.data(), head.rows()},
                                    {next.data(), next.rows()}, m, with_head};
                (reference ? residual_layer_planar_reference : residual_layer_planar)(wv, shape, b);
                all.block(0, t, c, m) = head.topRows(m).transpose();
                all.block(c, t, c, m) = next.topRows(m).transpose();
              }
              return all;
            };
            Mat z(c, n), a(c, n), head(c, n), h_next(c, n);
            MatMap no_post = empty_mat();
            residual_layer_forward({l.conv, l.conv_bias, l.mixer, l.out, l.out_bias}, shape, h, cond, z, no_post, a,
                                   with_head ? ConstMatRef(head_in) : ConstMatRef(empty_mat()), head, h_next);
            Mat columns(2 * c, n);
            columns << head, h_next;
            const Mat planar = run(false, n);
            CHECK((run(true, n).array() == planar.array()).all());
            for (Index block : {Index(1), Index(5), Index(16), Index(33)}) {
              CAPTURE(block);
              CHECK((run(false, block).array() == planar.array()).all());
              CHECK((run(true, block).array() == planar.array()).all());
            }
            if (kPlanarStreaming)
              CHECK((planar.array() == columns.array()).all());
            else
              CHECK((planar - columns).cwiseAbs().maxCoeff() < tol * double(k * c + c_cond + 1));
          }
}

// The planar arrays' rechannel and head (conv_planar): against its reference bit for bit on any CPU
// and at any block length; against the training graph's conv entry (conv1d_forward) bit for bit
// where streaming takes it, within rounding elsewhere. Odd and even input counts (the odd last row
// goes to the even sum alone), 3 to 1 (the column path's eight-columns-per-vector kernel), 1x1s and
// A2's 16-tap head, with and without a bias.
TEST_CASE("planar conv equals its reference and the conv entry bit for bit") {
  std::mt19937_64 rng(31);
  const double tol = kDouble ? 1e-12 : 1e-5;
  const Index n = 70;
  for (Index c_out = 1; c_out <= kPlanarMaxChannels; ++c_out)
    for (Index c_in : {1, 2, 3, 4, 5, 8, 12, 16})
      for (Index taps : {1, 3, 16})
        for (bool with_bias : {false, true}) {
          if (taps * c_in > 128) continue;  // beyond the small-channel kernel (see conv_planar_applies)
          CAPTURE(c_out);
          CAPTURE(c_in);
          CAPTURE(taps);
          CAPTURE(with_bias);
          const Index dilation = taps == 3 ? 5 : 1, reach = (taps - 1) * dilation;
          const Mat w = random_mat(c_out, taps * c_in, rng), b = with_bias ? random_mat(c_out, 1, rng) : Mat();
          const Mat x = random_mat(c_in, reach + n, rng);
          const PlanarConv conv{w.data(), with_bias ? b.data() : nullptr, c_in, c_out, taps, dilation};
          auto run = [&](bool reference, Index block) {
            Mat y(c_out, n);
            for (Index t = 0; t < n; t += block) {
              const Index m = std::min(block, n - t);
              // Padded planes with random padding, as the kernel's last vector runs into it.
              Mat xp = random_mat(reach + m + kPlanarPad, c_in, rng), yp = random_mat(m + kPlanarPad, c_out, rng);
              xp.topRows(reach + m) = x.middleCols(t, reach + m).transpose();
              (reference ? conv_planar_reference : conv_planar)(conv, {xp.data(), xp.rows()},
                                                                {yp.data(), yp.rows()}, m);
              y.middleCols(t, m) = yp.topRows(m).transpose();
            }
            return y;
          };
          const Mat planar = run(false, n);
          for (Index block : {Index(1), Index(5), Index(16), Index(33), n}) {
            CAPTURE(block);
            CHECK((run(false, block).array() == planar.array()).all());
            CHECK((run(true, block).array() == planar.array()).all());
          }
          Mat columns(c_out, n);
          conv1d_forward(x, w, with_bias ? ConstMatRef(b) : ConstMatRef(empty_mat()), dilation, columns);
          REQUIRE(conv_planar_applies(c_in, c_out, taps) == kPlanarStreaming);
          if (kPlanarStreaming)
            CHECK((planar.array() == columns.array()).all());
          else
            CHECK((planar - columns).cwiseAbs().maxCoeff() < tol * double(taps * c_in + 1));
        }
}

TEST_CASE("residual layer backward matches finite differences for every input") {
  std::mt19937_64 rng(9);
  for (bool gated : {false, true})
    for (bool with_head : {false, true})
      for (Activation act : {Activation::Tanh, Activation::LeakyReLU}) {
        // z is internal, so it cannot be kept away from LeakyReLU's kink: float's 1e-2 step would
        // straddle it. The double build's 1e-6 step checks LeakyReLU; float checks tanh.
        if (!kDouble && act != Activation::Tanh) continue;
        CAPTURE(gated);
        CAPTURE(with_head);
        CAPTURE(activation_name(act));
        const Index c = 3, n = 9, d = 2, k = 2;
        const Layer l(c, gated, 2, k, d, rng);
        std::vector<Mat> inputs = {away_from_kinks(random_mat(c, n + d, rng)), random_mat(2, n + 2, rng),
                                   l.conv, l.conv_bias, l.mixer, l.out, l.out_bias};
        if (with_head) inputs.push_back(random_mat(c, n + 1, rng));
        CHECK(gradcheck(inputs, [&](Tape& t, const std::vector<Var>& v) {
                const ResidualLayerResult r = residual_layer(t, v[0], v[1], with_head ? v[7] : Var{},
                                                             {v[2], v[3], v[4], v[5], v[6]}, {d, act, gated});
                return concat_channels(t, r.h, r.head);
              }) < kTolerance);
      }
}

TEST_CASE("residual layer backward over many tiles equals the same layer built from separate ops") {
  // The fused backward works in tiles of kResidualBackwardTile columns, then adds the conv's input
  // gradient in one pass over the whole signal; the composed graph (conv1d,
  // add, activation, mul, slices) is an independent implementation of the same derivative. Tanh's
  // derivative comes from its output, so the fused op keeps no z (tile scratch); LeakyReLU's reads
  // z, which the op then keeps.
  std::mt19937_64 rng(12);
  const double tol = kDouble ? 1e-10 : 1e-4;
  for (Activation act : {Activation::Tanh, Activation::LeakyReLU})
  for (bool gated : {false, true})
    for (Index c : {8, 16}) {
      CAPTURE(activation_name(act));
      CAPTURE(gated);
      CAPTURE(c);
      const Index n = 2 * kResidualBackwardTile + 44, d = 3, k = 3;
      const Layer l(c, gated, 1, k, d, rng);
      std::vector<Mat> inputs = {random_mat(c, n + (k - 1) * d, rng), random_mat(1, n + 5, rng), l.conv, l.conv_bias,
                                 l.mixer, l.out, l.out_bias, random_mat(c, n + 2, rng)};
      const Mat weights = random_mat(2 * c, n, rng);
      auto gradients = [&](bool fused) {
        Tape t;
        std::vector<Var> v;
        for (const Mat& m : inputs) v.push_back(t.constant(m, true));
        Var h_next, head_out;
        if (fused) {
          const ResidualLayerResult r =
              residual_layer(t, v[0], v[1], v[7], {v[2], v[3], v[4], v[5], v[6]}, {d, act, gated});
          h_next = r.h;
          head_out = r.head;
        } else {
          Var z = add(t, conv1d(t, v[0], v[2], v[3], d), conv1d(t, crop_last(t, v[1], n), v[4], Var{}, 1));
          Var a = gated ? mul(t, activation(t, act, slice_channels(t, z, 0, c)), sigmoid(t, slice_channels(t, z, c, c)))
                        : activation(t, act, z);
          head_out = add(t, crop_last(t, v[7], n), a);
          h_next = add(t, crop_last(t, v[0], n), conv1d(t, a, v[5], v[6], 1));
        }
        t.backward(sum(t, mul(t, concat_channels(t, h_next, head_out), t.constant(weights))));
        std::vector<Mat> g;
        for (Var x : v) g.push_back(t.grad(x));
        return g;
      };
      const std::vector<Mat> fused = gradients(true), composed = gradients(false);
      for (size_t i = 0; i < inputs.size(); ++i) {
        CAPTURE(i);
        CHECK((fused[i] - composed[i]).cwiseAbs().maxCoeff() < tol * (1 + composed[i].cwiseAbs().maxCoeff()));
        CHECK(composed[i].cwiseAbs().maxCoeff() > 0);
      }
    }
}

TEST_CASE("a layer that consumes its skip input sums in place and changes no bits of values or gradients") {
  // Two layers as a layer array chains them: the first starts the skip sum, the second adds to it,
  // keeping a fresh tensor (HeadUse::Keep) or in the first one's memory (HeadUse::Consume).
  std::mt19937_64 rng(31);
  for (Activation act : {Activation::Tanh, Activation::LeakyReLU})
    for (bool gated : {false, true}) {
      CAPTURE(activation_name(act));
      CAPTURE(gated);
      const Index c = 8, n = 300, d1 = 2, d2 = 5, k = 3;
      const Layer l1(c, gated, 1, k, d1, rng), l2(c, gated, 1, k, d2, rng);
      const Mat x = random_mat(c, n + (k - 1) * (d1 + d2), rng), cond = random_mat(1, n + (k - 1) * d2, rng);
      const Mat weights = random_mat(2 * c, n, rng);
      auto run = [&](HeadUse use, bool& in_place) {
        Tape t;
        auto params = [&](const Layer& l) {
          return ResidualLayerParams{t.constant(l.conv, true), t.constant(l.conv_bias, true),
                                     t.constant(l.mixer, true), t.constant(l.out, true), t.constant(l.out_bias, true)};
        };
        const Var xv = t.constant(x, true), cv = t.constant(cond, true);
        const ResidualLayerParams p1 = params(l1), p2 = params(l2);
        const ResidualLayerResult r1 = residual_layer(t, xv, cv, Var{}, p1, {d1, act, gated});
        const Scalar* first_head = t.value(r1.head).data();
        const ResidualLayerResult r2 = residual_layer(t, r1.h, cv, r1.head, p2, {d2, act, gated}, use);
        in_place = t.value(r2.head).data() == first_head + (t.cols(r1.head) - n) * c;
        Mat out(2 * c, n);
        out << t.value(r2.h), t.value(r2.head);
        t.backward(sum(t, mul(t, concat_channels(t, r2.h, r2.head), t.constant(weights))));
        std::vector<Mat> result = {out, t.grad(xv), t.grad(cv)};
        for (const ResidualLayerParams& p : {p1, p2})
          for (Var v : {p.conv, p.conv_bias, p.mixer, p.out, p.out_bias}) result.push_back(t.grad(v));
        return result;
      };
      bool kept_in_place = true, consumed_in_place = false;
      const std::vector<Mat> kept = run(HeadUse::Keep, kept_in_place), consumed = run(HeadUse::Consume, consumed_in_place);
      CHECK_FALSE(kept_in_place);
      CHECK(consumed_in_place);
      for (size_t i = 0; i < kept.size(); ++i) {
        CAPTURE(i);
        CHECK((kept[i].array() == consumed[i].array()).all());
        CHECK(kept[i].cwiseAbs().maxCoeff() > 0);
      }
    }
}

TEST_CASE("residual layer with z in tile scratch computes the bits of one that keeps z") {
  // The training op keeps no z for tanh (its derivative reads a): the kernel then reuses a scratch
  // of kResidualLayerMaxTile columns for each tile's z. Lengths with one, several and the widest
  // tiles (2 * kResidualLayerTile - 1 columns split into tiles of 496 and 527).
  std::mt19937_64 rng(33);
  for (bool gated : {false, true})
    for (Index n : {Index(100), 2 * kResidualLayerTile - 1, 2 * kResidualLayerTile + 300, 4 * kResidualLayerTile + 100}) {
      CAPTURE(gated);
      CAPTURE(n);
      const Index c = 16, reach = 6;
      const Layer l(c, gated, 2, 3, 3, rng);
      const Mat h = random_mat(c, n + reach, rng), cond = random_mat(2, n, rng), head_in = random_mat(c, n, rng);
      const ResidualLayerWeights w{l.conv, l.conv_bias, l.mixer, l.out, l.out_bias};
      auto run = [&](Index z_cols) {
        Mat z(l.cz, z_cols), post(gated ? l.cz : 0, gated ? n : 0), a(c, n), head(c, n), h_next(c, n);
        residual_layer_forward(w, {l.d, Activation::Tanh, gated}, h, cond, z, post, a, head_in, head, h_next);
        Mat all(4 * c, n);
        all << a, head, h_next, gated ? Mat(post.bottomRows(c)) : Mat(a);
        return all;
      };
      CHECK((run(std::min(n, kResidualLayerMaxTile)).array() == run(n).array()).all());
    }
}

TEST_CASE("residual layer rejects shapes that do not fit, naming the argument") {
  std::mt19937_64 rng(2);
  Tape t;
  const Var h = t.constant(random_mat(4, 20, rng)), cond = t.constant(random_mat(1, 18, rng));
  auto p = [&](Index cz, Index mixer_cols, Index out_rows) {
    return ResidualLayerParams{t.constant(random_mat(cz, 12, rng)), t.constant(random_mat(cz, 1, rng)),
                               t.constant(random_mat(cz, mixer_cols, rng)), t.constant(random_mat(out_rows, 4, rng)),
                               t.constant(random_mat(4, 1, rng))};
  };
  CHECK_NOTHROW(residual_layer(t, h, cond, Var{}, p(4, 1, 4), {1, Activation::Tanh, false}));
  CHECK_THROWS_WITH_AS(residual_layer(t, h, cond, Var{}, p(4, 1, 4), {1, Activation::Tanh, true}),
                       doctest::Contains("conv must be (8, K*4), found (4, 12)"), UsageError);
  CHECK_THROWS_WITH_AS(residual_layer(t, h, cond, Var{}, p(4, 2, 4), {1, Activation::Tanh, false}),
                       doctest::Contains("mixer must be (4, 1), found (4, 2)"), UsageError);
  CHECK_THROWS_WITH_AS(residual_layer(t, h, cond, Var{}, p(4, 1, 3), {1, Activation::Tanh, false}),
                       doctest::Contains("out must be (4, 4), found (3, 4)"), UsageError);
  CHECK_THROWS_WITH_AS(residual_layer(t, h, cond, Var{}, p(4, 1, 4), {10, Activation::Tanh, false}),
                       doctest::Contains("shorter than the receptive field 21"), UsageError);
  CHECK_THROWS_WITH_AS(residual_layer(t, h, cond, t.constant(random_mat(4, 5, rng)), p(4, 1, 4),
                                      {1, Activation::Tanh, false}),
                       doctest::Contains("head must be (4, 18), found (4, 5)"), UsageError);
}
