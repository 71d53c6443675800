// Every differentiable op's backward against central finite differences, over odd sizes.
#include <doctest/doctest.h>

#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {
const Index kChannels[] = {1, 3, 16};
const Index kLengths[] = {1, 5, 37};
}  // namespace

TEST_CASE("conv1d backward matches finite differences (with and without bias)") {
  std::mt19937_64 rng(7);
  for (Index c : kChannels)
    for (Index len : kLengths)
      for (Index k : {1, 2, 3})
        for (Index d : {1, 2, 7}) {
          const Index c_out = c == 16 ? 3 : c + 1;
          const Index t_in = len + (k - 1) * d;
          CAPTURE(c);
          CAPTURE(len);
          CAPTURE(k);
          CAPTURE(d);
          Mat x = random_mat(c, t_in, rng), w = random_mat(c_out, k * c, rng),
              b = random_mat(c_out, 1, rng);
          CHECK(gradcheck({x, w, b}, [d](Tape& t, const std::vector<Var>& v) {
                  return conv1d(t, v[0], v[1], v[2], d);
                }) < kTolerance);
          CHECK(gradcheck({x, w}, [d](Tape& t, const std::vector<Var>& v) {
                  return conv1d(t, v[0], v[1], Var{}, d);
                }) < kTolerance);
        }
}

TEST_CASE("activations backward matches finite differences") {
  std::mt19937_64 rng(11);
  for (Activation a : {Activation::Identity, Activation::Tanh, Activation::Sigmoid, Activation::ReLU,
                       Activation::LeakyReLU, Activation::Hardtanh, Activation::SiLU,
                       Activation::Softsign})
    for (Index c : kChannels)
      for (Index len : kLengths) {
        CAPTURE(activation_name(a));
        Mat x = away_from_kinks(random_mat(c, len, rng, -2, 2));
        CHECK(gradcheck({x}, [a](Tape& t, const std::vector<Var>& v) {
                return activation(t, a, v[0]);
              }) < kTolerance);
      }
}

TEST_CASE("film backward matches finite differences (scale and shift, scale only)") {
  std::mt19937_64 rng(13);
  for (Index c : kChannels)
    for (Index len : kLengths) {
      Mat x = random_mat(c, len, rng), gamma = random_mat(c, 1, rng), beta = random_mat(c, 1, rng);
      CHECK(gradcheck({x, gamma, beta}, [](Tape& t, const std::vector<Var>& v) {
              return film(t, v[0], v[1], v[2]);
            }) < kTolerance);
      CHECK(gradcheck({x, gamma}, [](Tape& t, const std::vector<Var>& v) {
              return film(t, v[0], v[1], Var{});
            }) < kTolerance);
    }
}

TEST_CASE("elementwise add, sub, mul backward, full and broadcast column") {
  std::mt19937_64 rng(17);
  const std::pair<const char*, Var (*)(Tape&, Var, Var)> ops[] = {{"add", add}, {"sub", sub}, {"mul", mul}};
  for (const auto& [name, op] : ops)
    for (Index c : kChannels)
      for (Index len : kLengths)
        for (bool broadcast : {false, true}) {
          CAPTURE(name);
          CAPTURE(broadcast);
          Mat a = random_mat(c, len, rng), b = random_mat(c, broadcast ? 1 : len, rng);
          CHECK(gradcheck({a, b}, [op = op](Tape& t, const std::vector<Var>& v) {
                  return op(t, v[0], v[1]);
                }) < kTolerance);
        }
}

TEST_CASE("matmul backward matches finite differences") {
  std::mt19937_64 rng(19);
  for (Index m : {1, 3, 16})
    for (Index n : kLengths) {
      Mat a = random_mat(m, 5, rng), b = random_mat(5, n, rng);
      CHECK(gradcheck({a, b}, [](Tape& t, const std::vector<Var>& v) {
              return matmul(t, v[0], v[1]);
            }) < kTolerance);
    }
}

TEST_CASE("slices, concat, reductions, square and scale backward") {
  std::mt19937_64 rng(23);
  Mat x = random_mat(7, 37, rng), z = random_mat(3, 37, rng);
  auto check_graph = [&](const char* name, std::vector<Mat> in, Graph g) {
    CAPTURE(name);
    CHECK(gradcheck(std::move(in), g) < kTolerance);
  };
  check_graph("slice_time", {x}, [](Tape& t, const std::vector<Var>& v) { return slice_time(t, v[0], 4, 11); });
  check_graph("crop_last", {x}, [](Tape& t, const std::vector<Var>& v) { return crop_last(t, v[0], 5); });
  check_graph("slice_channels", {x}, [](Tape& t, const std::vector<Var>& v) { return slice_channels(t, v[0], 2, 3); });
  check_graph("concat_channels", {x, z}, [](Tape& t, const std::vector<Var>& v) { return concat_channels(t, v[0], v[1]); });
  check_graph("sum", {x}, [](Tape& t, const std::vector<Var>& v) { return sum(t, v[0]); });
  check_graph("mean", {x}, [](Tape& t, const std::vector<Var>& v) { return mean(t, v[0]); });
  check_graph("square", {x}, [](Tape& t, const std::vector<Var>& v) { return square(t, v[0]); });
  check_graph("scale", {x}, [](Tape& t, const std::vector<Var>& v) { return scale(t, v[0], Scalar(-2.5)); });
}

TEST_CASE("log, abs and norm backward (abs away from 0, log on positive inputs)") {
  std::mt19937_64 rng(37);
  // A few shapes, not the full sweep: three unary ops need no more, and gradcheck's tape per
  // evaluation makes big sweeps slow under the sanitizers.
  for (auto [c, len] : {std::pair<Index, Index>{1, 1}, {3, 5}, {2, 37}}) {
    Mat x = away_from_kinks(random_mat(c, len, rng, -2, 2)), positive = random_mat(c, len, rng, 0.2, 3);
    CHECK(gradcheck({positive}, [](Tape& t, const std::vector<Var>& v) { return log(t, v[0]); }) < kTolerance);
    CHECK(gradcheck({x}, [](Tape& t, const std::vector<Var>& v) { return abs(t, v[0]); }) < kTolerance);
    CHECK(gradcheck({x}, [](Tape& t, const std::vector<Var>& v) { return norm(t, v[0]); }) < kTolerance);
  }
}

TEST_CASE("norm of zeros has a zero gradient, not NaN") {
  Tape t;
  Var x = t.constant(Mat::Zero(3, 4), true);
  Var n = norm(t, x);
  CHECK(t.value(n)(0, 0) == 0);
  t.backward(n);
  CHECK(t.grad(x).isZero());
}

TEST_CASE("ops reject mismatched shapes with a message naming the op and the shapes") {
  Tape t;
  Var a = t.constant(Mat::Zero(3, 5)), b = t.constant(Mat::Zero(2, 5));
  CHECK_THROWS_WITH_AS(add(t, a, b), doctest::Contains("add: expected b of shape (3, 5)"), UsageError);
  CHECK_THROWS_WITH_AS(matmul(t, a, b), doctest::Contains("matmul: inner dimensions differ"), UsageError);
  Var w = t.constant(Mat::Zero(2, 9));
  CHECK_THROWS_WITH_AS(conv1d(t, a, w, Var{}, 4), doctest::Contains("shorter than the receptive field 9"), UsageError);
  CHECK_THROWS_WITH_AS(slice_time(t, a, 3, 4), doctest::Contains("outside (3, 5)"), UsageError);
  CHECK_THROWS_WITH_AS(activation_from_name("Tanhh"), doctest::Contains("found 'Tanhh'"), UsageError);
}
