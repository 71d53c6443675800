// The code of docs/autograd.md, compiled and run: each region between `// [doc:NAME]` and
// `// [/doc:NAME]` is the block the document shows under `<!-- example: NAME -->` (the last test
// case checks they are equal, so the document cannot drift from code that works). Built against
// core's double twin, where the finite-difference check can be tight.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/kernels/conv1d.h"
#include "core/ops.h"

using namespace namk;

static_assert(std::is_same_v<Scalar, double>, "the examples' tolerances assume the double build");

namespace {

// [doc:op]
// y = x³, elementwise. The forward computes the value now; the record says how to turn dL/dy into
// dL/dx later, when backward() walks the tape in reverse.
Var cube(Tape& t, Var x) {
  Var y = t.output(t.rows(x), t.cols(x), t.requires_grad(x));
  t.value(y) = t.value(x).array().cube().matrix();
  if (t.requires_grad(x)) {
    OpRecord r;
    r.out = y;
    r.in[0] = x;
    r.backward = [](Tape& t, const OpRecord& r) {
      // dL/dx += 3x² ⊙ dL/dy: accumulate, since x may feed other ops too.
      t.grad(r.in[0]).array() += 3 * t.value(r.in[0]).array().square() * t.grad(r.out).array();
    };
    t.record(r);
  }
  return y;
}
// [/doc:op]

}  // namespace

TEST_CASE("autograd.md: a scalar expression and its gradients") {
  // [doc:scalar]
  Tape t;
  Var a = t.constant(Mat::Constant(1, 1, 2.0), /*requires_grad=*/true);
  Var b = t.constant(Mat::Constant(1, 1, 3.0), true);
  Var y = add(t, mul(t, a, b), a);  // y = a·b + a; a is used twice
  t.backward(y);                    // dy/dy = 1, then every record in reverse order
  CHECK(t.value(y)(0, 0) == 8);
  CHECK(t.grad(a)(0, 0) == 4);  // dy/da = b + 1: both uses of a add into its gradient
  CHECK(t.grad(b)(0, 0) == 2);  // dy/db = a
  // [/doc:scalar]
}

TEST_CASE("autograd.md: a hand-written op records its backward") {
  // [doc:op_use]
  Tape t;
  Var x = t.constant((Mat(1, 2) << 2, -1).finished(), true);
  Var loss = sum(t, cube(t, x));
  t.backward(loss);
  CHECK(t.value(loss)(0, 0) == 8 - 1);
  CHECK(t.grad(x) == (Mat(1, 2) << 12, 3).finished());  // 3x²
  // [/doc:op_use]
}

TEST_CASE("autograd.md: one conv's backward, through the tape and through the kernel") {
  // [doc:conv]
  Tape t;
  const Mat x_value = (Mat(1, 4) << 1, 2, 3, 4).finished();
  const Mat w_value = (Mat(1, 2) << 10, 1).finished();  // tap 0 reads one step back, tap 1 now
  Var x = t.constant(x_value, true), w = t.constant(w_value, true);
  Var y = conv1d(t, x, w, Var{}, /*dilation=*/1);  // y[t] = 10 x[t-1] + x[t]: 3 outputs
  CHECK(t.value(y) == (Mat(1, 3) << 12, 23, 34).finished());
  t.backward(sum(t, y));  // dL/dy = 1 at every output
  // Each tap's gradient sums the inputs it saw; each input's sums the taps that saw it.
  CHECK(t.grad(w) == (Mat(1, 2) << 1 + 2 + 3, 2 + 3 + 4).finished());
  CHECK(t.grad(x) == (Mat(1, 4) << 10, 10 + 1, 10 + 1, 1).finished());
  // [/doc:conv]

  // [doc:conv_kernel]
  // The op's backward is one call of the kernel, which accumulates into the gradients it is given.
  Mat dx = Mat::Zero(1, 4), dw = Mat::Zero(1, 2);
  conv1d_backward_naive(x_value, w_value, Mat::Ones(1, 3), 1, dx, dw, empty_mat());
  CHECK(dx == t.grad(x));
  CHECK(dw == t.grad(w));
  // conv1d_backward is the entry point the op calls: the tuned kernels unless NAMK_TUNED_KERNELS=OFF.
  conv1d_backward(x_value, w_value, Mat::Ones(1, 3), 1, dx, dw, empty_mat());
  CHECK(dw == 2 * t.grad(w));  // += : the second call added the same gradient again
  // [/doc:conv_kernel]
}

TEST_CASE("autograd.md: the gradient check") {
  // [doc:gradcheck]
  // L(w) = <conv(x, w), g> for a random g: one backward gives the whole vector-Jacobian product,
  // and central differences of L check it one weight at a time.
  const Mat x = Mat::Random(2, 20), w0 = Mat::Random(3, 2 * 2), g = Mat::Random(3, 18);
  auto loss = [&](const Mat& w_value, Mat* dw) {
    Tape t;
    Var w = t.constant(w_value, dw != nullptr);
    Var l = sum(t, mul(t, conv1d(t, t.constant(x), w, Var{}, /*dilation=*/2), t.constant(g)));
    if (dw) {
      t.backward(l);
      *dw = t.grad(w);
    }
    return t.value(l)(0, 0);
  };
  Mat analytic;
  loss(w0, &analytic);
  const double h = 1e-6;
  for (Index i = 0; i < w0.size(); ++i) {
    Mat up = w0, down = w0;
    up(i) += h;
    down(i) -= h;
    const double numeric = (loss(up, nullptr) - loss(down, nullptr)) / (2 * h);
    CHECK(std::abs(numeric - analytic(i)) < 1e-8 * std::max(1.0, std::abs(numeric)));
  }
  // [/doc:gradcheck]
}

TEST_CASE("autograd.md: one training step of a tiny knob model") {
  // [doc:train_step]
  // conv (1 -> 4 channels, K = 3) -> FiLM from one knob -> tanh -> 1x1 conv (4 -> 1), learning
  // what a toy "amp" does at knob 0.7. Every parameter is a view into one flat buffer, and every
  // gradient into another, as in the real models.
  const Index c = 4, len = 64;
  Vec params = 0.5 * Vec::Random(3 * c + c + c + c + c + 1), grads = Vec::Zero(params.size());
  const Mat knob = Mat::Constant(1, 1, 0.7), x = Mat::Random(1, len);
  const Mat target = (2 * 0.7 * x.rightCols(len - 2)).array().tanh().matrix();
  auto loss_of = [&](Tape& t) {
    Scalar* value = params.data();
    Scalar* grad = grads.data();
    auto param = [&](Index rows, Index cols) {
      Var p = t.parameter(value, grad, rows, cols);
      value += rows * cols;
      grad += rows * cols;
      return p;
    };
    Var conv_w = param(c, 3), conv_b = param(c, 1), gamma_w = param(c, 1), beta_w = param(c, 1),
        out_w = param(1, c), out_b = param(1, 1);
    Var k = t.constant(knob);
    Var gamma = add(t, matmul(t, gamma_w, k), t.constant(Mat::Ones(c, 1)));  // 1 + gamma_w·knob
    Var beta = matmul(t, beta_w, k);
    Var h = tanh(t, film(t, conv1d(t, t.constant(x), conv_w, conv_b, 1), gamma, beta));
    Var y = conv1d(t, h, out_w, out_b, 1);
    return mean(t, square(t, sub(t, y, t.constant(target))));  // MSE
  };
  Tape t;
  Var loss = loss_of(t);
  const double before = t.value(loss)(0, 0);
  t.backward(loss);         // grads += dL/dparams
  params -= 0.05 * grads;   // one step of gradient descent (the trainer uses Adam)
  grads.setZero();
  t.clear();                // forgets the nodes, keeps the memory for the next step
  const double after = t.value(loss_of(t))(0, 0);
  CHECK(after < before);
  // [/doc:train_step]
  CHECK(grads.isZero());  // the second forward recorded but did not run backward
}

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

// The marked regions of the examples, each without the indentation its lines share.
std::map<std::string, std::string> regions(const std::string& text) {
  std::map<std::string, std::string> out;
  std::string name;
  std::vector<std::string> body;
  for (const std::string& line : lines(text)) {
    const size_t first = line.find_first_not_of(' ');
    const std::string trimmed = first == std::string::npos ? "" : line.substr(first);
    if (trimmed.rfind("// [doc:", 0) == 0 && trimmed.back() == ']') {
      name = trimmed.substr(8, trimmed.size() - 9);
      body.clear();
    } else if (trimmed.rfind("// [/doc:", 0) == 0) {
      size_t indent = std::string::npos;
      for (const std::string& l : body)
        if (!l.empty()) indent = std::min(indent, l.find_first_not_of(' '));
      std::string joined;
      for (const std::string& l : body) joined += (l.empty() ? l : l.substr(indent)) + "\n";
      out[name] = joined;
      name.clear();
    } else if (!name.empty()) {
      body.push_back(line);
    }
  }
  return out;
}

// The document's examples: a ```cpp block right after a `<!-- example: NAME -->` line.
std::map<std::string, std::string> examples(const std::string& text) {
  std::map<std::string, std::string> out;
  const std::vector<std::string> all = lines(text);
  const std::string open = "<!-- example: ";
  for (size_t i = 0; i + 1 < all.size(); ++i) {
    if (all[i].rfind(open, 0) != 0) continue;
    const std::string name = all[i].substr(open.size(), all[i].find(" -->") - open.size());
    REQUIRE_MESSAGE(all[i + 1] == "```cpp", "example " << name << " is not followed by a ```cpp block");
    std::string body;
    size_t j = i + 2;
    for (; j < all.size() && all[j] != "```"; ++j) body += all[j] + "\n";
    REQUIRE_MESSAGE(j < all.size(), "example " << name << " has no closing ```");
    out[name] = body;
  }
  return out;
}

}  // namespace

TEST_CASE("autograd.md shows exactly the code this file compiles and runs") {
  const auto code = regions(read(NAMK_SOURCE_DIR "/tests/docs/autograd_examples.cpp"));
  const std::string doc = read(NAMK_SOURCE_DIR "/docs/autograd.md");
  const auto shown = examples(doc);
  CHECK(code.size() == 7);
  for (const auto& [name, body] : code) {
    CAPTURE(name);
    REQUIRE_MESSAGE(shown.count(name) == 1, "docs/autograd.md does not show example " << name);
    CHECK(shown.at(name) == body);
  }
  for (const auto& [name, body] : shown) CHECK_MESSAGE(code.count(name) == 1, "no code for example " << name);
  // Every C++ block of the document is one of them: none can be left unchecked.
  size_t blocks = 0;
  for (const std::string& line : lines(doc)) blocks += line == "```cpp";
  CHECK(blocks == shown.size());
}
