// LSTM: the fused kernel against the LSTM composed step by step from basic tape ops, and streaming
// against the training graph for every conditioning method and block size.
#include <doctest/doctest.h>

#include "model_test_util.h"
#include "nn/layers/lstm_op.h"

using namespace namk;
using namespace namk::test;

namespace {
// PyTorch's LSTM equations, one step at a time from basic ops (the oracle for the fused kernel).
Var lstm_by_steps(Tape& t, Var x, Var w, Var state) {
  const Index h = t.rows(w) / 4, in = t.rows(x);
  Var w_ih = slice_time(t, w, 0, in), w_hh = slice_time(t, w, in, h);
  Var b = slice_channels(t, state, 0, 4 * h);
  Var hs = slice_channels(t, state, 4 * h, h), cs = slice_channels(t, state, 5 * h, h);
  Var out{};
  for (Index s = 0; s < t.cols(x); ++s) {
    Var g = add(t, add(t, matmul(t, w_ih, slice_time(t, x, s, 1)), matmul(t, w_hh, hs)), b);
    Var i = sigmoid(t, slice_channels(t, g, 0, h)), f = sigmoid(t, slice_channels(t, g, h, h));
    Var gg = tanh(t, slice_channels(t, g, 2 * h, h)), o = sigmoid(t, slice_channels(t, g, 3 * h, h));
    cs = add(t, mul(t, f, cs), mul(t, i, gg));
    hs = mul(t, o, tanh(t, cs));
    out = out.valid() ? concat_channels(t, out, hs) : hs;  // (s*h, 1), reshaped below
  }
  // Stack of columns -> (h, T).
  Mat y(h, t.cols(x));
  for (Index s = 0; s < t.cols(x); ++s) y.col(s) = t.value(out).block(s * h, 0, h, 1);
  return t.constant(y);
}
}  // namespace

TEST_CASE("fused LSTM kernel equals the step-by-step LSTM") {
  std::mt19937_64 rng(3);
  const Index in = 2, h = 3, steps = 9;
  Mat x = Mat::Random(in, steps), w = Mat::Random(4 * h, in + h), state = Mat::Random(6 * h, 1);
  Tape t;
  Var fused = lstm(t, t.constant(x), t.constant(w), t.constant(state));
  Var steps_y = lstm_by_steps(t, t.constant(x), t.constant(w), t.constant(state));
  CHECK((t.value(fused) - t.value(steps_y)).cwiseAbs().maxCoeff() < 1e-6);
  CHECK(t.value(fused).cwiseAbs().maxCoeff() > 0.05);
}

TEST_CASE("LSTM parameter count is NAM's") {
  // NAM's lstm.nam (hidden 3, one layer) stores 70 weights.
  CHECK(make_model(tiny_lstm(3, 1))->num_params() == 70);
  // Second layer: 4H*(H+H) + 6H.
  CHECK(make_model(tiny_lstm(8, 2))->num_params() == (32 * 9 + 48) + (32 * 16 + 48) + 9);
  CHECK(make_model(tiny_lstm(8, 2))->receptive_field() == 1);
}

TEST_CASE("LSTM streaming equals the training graph for any block sizes") {
  ModelConfig film = tiny_lstm(5, 2);
  film.knobs = two_knobs();
  ModelConfig scale_only = film;
  scale_only.film.shift = false;
  ModelConfig concat = film;
  concat.conditioning = Conditioning::Concat;
  struct Case {
    std::string name;
    ModelConfig config;
  };
  for (const Case& c : {Case{"plain", tiny_lstm(6, 1)}, Case{"film", film},
                        Case{"film scale-only", scale_only}, Case{"concat", concat}}) {
    CAPTURE(c.name);
    auto m = make_model(c.config);
    randomise(*m, 17);
    check_streams_like_graph(*m, random_signal(5000, 6), {2.5, 0.75}, 1e-2);
  }
}

TEST_CASE("LSTM streams the same bits at any block size (its head run time-major included)") {
  // The head (hidden -> 1) runs on planes where AVX-512 floats have them, written straight into the
  // output for whole vectors and through a scratch plane otherwise: every split must agree.
  for (Index hidden : {5, 16}) {
    CAPTURE(hidden);
    ModelConfig c = tiny_lstm(hidden, 1);
    c.knobs = two_knobs();
    auto m = make_model(c);
    randomise(*m, 23);
    m->set_smoothing_ms(0);
    const Mat x = random_signal(3000, 4);
    Mat first;
    for (const std::vector<int>& blocks : kBlockSweeps) {
      CAPTURE(blocks.front());
      m->prepare(*std::max_element(blocks.begin(), blocks.end()));
      m->reset();
      const Mat y = stream_output(*m, x, blocks);
      if (first.size() == 0)
        first = y;
      else
        CHECK((y.array() == first.array()).all());
    }
    CHECK(first.cwiseAbs().maxCoeff() > 1e-3);
  }
}

TEST_CASE("LSTM knob change between blocks (smoothing off)") {
  // The recurrence never forgets exactly, so the check is that the change is immediate: the
  // block after it differs from continuing with the old knobs, and the blocks before agree.
  ModelConfig c = tiny_lstm(4, 1);
  c.knobs = two_knobs();
  c.smoothing_ms = 0;
  auto m = make_model(c);
  randomise(*m, 2);
  m->prepare(16);
  const Mat x = random_signal(400, 1);
  Mat y(1, 400);
  m->process(x.data(), y.data(), 200);
  m->set_knob("tone", 0.9);
  m->process(x.data() + 200, y.data() + 200, 200);
  const Mat old_knobs = graph_output(*m, x, {5.0, 0.0});
  CHECK((y.leftCols(200) - old_knobs.leftCols(200)).cwiseAbs().maxCoeff() < 1e-5);
  CHECK((y.middleCols(200, 16) - old_knobs.middleCols(200, 16)).cwiseAbs().maxCoeff() > 1e-4);
}

TEST_CASE("LSTM: the vector form gives the reference's bits, and the gates' sigmoid is within 2e-7") {
  // Hidden sizes of whole 16-float vectors take the vector form on AVX-512 float builds (elsewhere
  // both calls are the reference, and agree trivially); 12 always takes the reference.
  std::mt19937_64 rng(8);
  auto random_mat = [&](Index rows, Index cols, double lo = -1, double hi = 1) {
    std::uniform_real_distribution<double> u(lo, hi);
    Mat m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = Scalar(u(rng));
    return m;
  };
  for (Index h : {12, 16, 32})
    for (Index in : {1, 3}) {
      CAPTURE(h);
      CAPTURE(in);
      const Index steps = 37;
      const Mat x = random_mat(in, steps), w = random_mat(4 * h, in + h, -0.4, 0.4), b = random_mat(4 * h, 1),
                h0 = random_mat(h, 1), c0 = random_mat(h, 1);
      Mat y(h, steps), gates(4 * h, steps), c(h, steps), y_ref(h, steps), gates_ref(4 * h, steps), c_ref(h, steps);
      lstm_forward(x, w, b, h0, c0, y, gates, c);
      lstm_forward_reference(x, w, b, h0, c0, y_ref, gates_ref, c_ref);
      CHECK((y.array() == y_ref.array()).all());
      CHECK((gates.array() == gates_ref.array()).all());
      CHECK((c.array() == c_ref.array()).all());
      CHECK(y.cwiseAbs().maxCoeff() > 0.05);
    }
  // (1 + tanh(x/2)) / 2 with the build's tanh against the exact sigmoid, past both saturations.
  std::vector<Scalar> xs, ys;
  for (double v = -30; v <= 30; v += 0.00137) xs.push_back(Scalar(v));
  ys.resize(xs.size());
  lstm_gate_sigmoid(xs.data(), ys.data(), Index(xs.size()));
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i)
    worst = std::max(worst, std::abs(double(ys[i]) - 1 / (1 + std::exp(-double(xs[i])))));
  CHECK(worst < (sizeof(Scalar) == 4 ? 2e-7 : 1e-15));
  CHECK(worst > 0);
}
