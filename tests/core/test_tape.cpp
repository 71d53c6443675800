// Tape semantics: gradient accumulation, clear-and-reuse, independence across threads, parameters
// that live in caller-owned flat buffers.
#include <doctest/doctest.h>

#include <thread>

#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {

// y = sum(tanh(conv(x, w)) * x_cropped): a little graph with parameters in a flat buffer.
Scalar run_step(Tape& t, const Mat& x, Scalar* params, Scalar* grads) {
  Var xv = t.constant(x);
  Var w = t.parameter(params, grads, 2, 3 * x.rows());
  Var h = tanh(t, conv1d(t, xv, w, Var{}, 2));
  Var loss = mean(t, square(t, h));
  t.backward(loss);
  return t.value(loss)(0, 0);
}

}  // namespace

TEST_CASE("a value used twice receives both gradient contributions") {
  Tape t;
  Mat x0(1, 1);
  x0 << 3;
  Var x = t.constant(x0, true);
  // y = x*x + x  ->  dy/dx = 2x + 1 = 7
  Var y = add(t, mul(t, x, x), x);
  t.backward(sum(t, y));
  CHECK(t.grad(x)(0, 0) == doctest::Approx(7));
}

TEST_CASE("clear and reuse gives identical results without growing the arena") {
  std::mt19937_64 rng(5);
  Mat x = random_mat(3, 64, rng);
  Mat params = random_mat(2, 9, rng);
  Tape t;
  Mat g1 = Mat::Zero(2, 9), g2 = Mat::Zero(2, 9);
  const Scalar l1 = run_step(t, x, params.data(), g1.data());
  const size_t capacity = t.arena_capacity();
  t.clear();
  CHECK(t.size() == 0);
  const Scalar l2 = run_step(t, x, params.data(), g2.data());
  CHECK(l1 == l2);
  CHECK(g1 == g2);
  CHECK(t.arena_capacity() == capacity);
}

TEST_CASE("parameter gradients accumulate into the caller's buffer") {
  std::mt19937_64 rng(6);
  Mat x = random_mat(3, 20, rng), params = random_mat(2, 9, rng);
  Mat once = Mat::Zero(2, 9), twice = Mat::Zero(2, 9);
  Tape t;
  run_step(t, x, params.data(), once.data());
  t.clear();
  run_step(t, x, params.data(), twice.data());
  t.clear();
  run_step(t, x, params.data(), twice.data());
  CHECK((twice - 2 * once).cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("two threads with two tapes give the same result as one") {
  std::mt19937_64 rng(8);
  Mat xa = random_mat(3, 500, rng), xb = random_mat(3, 500, rng), params = random_mat(2, 9, rng);
  Mat ga_serial = Mat::Zero(2, 9), gb_serial = Mat::Zero(2, 9);
  Tape serial;
  const Scalar la = run_step(serial, xa, params.data(), ga_serial.data());
  serial.clear();
  const Scalar lb = run_step(serial, xb, params.data(), gb_serial.data());

  Mat ga = Mat::Zero(2, 9), gb = Mat::Zero(2, 9);
  Scalar la_thread = 0, lb_thread = 0;
  std::thread a([&] { Tape t; la_thread = run_step(t, xa, params.data(), ga.data()); });
  std::thread b([&] { Tape t; lb_thread = run_step(t, xb, params.data(), gb.data()); });
  a.join();
  b.join();
  CHECK(la == la_thread);
  CHECK(lb == lb_thread);
  CHECK(ga == ga_serial);
  CHECK(gb == gb_serial);
}

TEST_CASE("backward needs a 1x1 loss and only tracked nodes have gradients") {
  Tape t;
  Var x = t.constant(Mat::Ones(2, 2), true);
  CHECK_THROWS_WITH_AS(t.backward(x), doctest::Contains("needs a 1x1 loss, found 2x2"), UsageError);
  Var c = t.constant(Mat::Ones(2, 2));
  Var y = add(t, x, c);
  CHECK(t.requires_grad(y));
  CHECK_FALSE(t.requires_grad(c));
  CHECK_THROWS_AS(t.grad(c), UsageError);
  CHECK_THROWS_AS(t.value(Var{99}), UsageError);
}
