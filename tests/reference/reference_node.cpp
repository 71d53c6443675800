// The reference evaluator's building blocks (see reference_node.h): plain loops, double precision.
#include "reference_node.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "base/error.h"

namespace namk::reference {

namespace {

double to_float32(double x) { return static_cast<double>(static_cast<float>(x)); }

}  // namespace

Signal zeros(int channels, long length) {
  return Signal(static_cast<size_t>(channels),
                std::vector<double>(static_cast<size_t>(length), 0.0));
}

int positive_int(const JsonValue& v, long max) {
  const long n = v.integer();
  if (n < 1 || n > max) v.fail("an integer in 1.." + std::to_string(max));
  return static_cast<int>(n);
}

double WeightReader::next() {
  if (at_ >= static_cast<long>(w_.size()))
    throw input_error(
        file_, "weights",
        "more weights (the config implies more than the " + std::to_string(w_.size()) + " given)",
        "the end of the list");
  return to_float32(w_[static_cast<size_t>(at_++)]);
}

void WeightReader::finish(const std::string& what) const {
  if (at_ != static_cast<long>(w_.size()))
    throw input_error(file_, "weights", std::to_string(at_) + " weights for " + what,
                      std::to_string(w_.size()));
}

Conv Conv::make(int in, int out, int kernel, int dilation, int groups, bool bias) {
  if (groups < 1 || in % groups != 0 || out % groups != 0)
    throw InputError("a convolution with " + std::to_string(in) + " inputs and " +
                     std::to_string(out) + " outputs cannot have " + std::to_string(groups) +
                     " groups");
  Conv c;
  c.in = in;
  c.out = out;
  c.kernel = kernel;
  c.dilation = dilation;
  c.groups = groups;
  c.bias = bias;
  c.w.assign(static_cast<size_t>(out) * (in / groups) * kernel, 0.0);
  c.b.assign(bias ? static_cast<size_t>(out) : 0, 0.0);
  return c;
}

void Conv::read(WeightReader& r) {
  for (double& x : w) x = r.next();
  for (double& x : b) x = r.next();
}

Signal Conv::apply(const Signal& x) const {
  const long T = x.empty() ? 0 : static_cast<long>(x[0].size());
  const int in_per_group = in / groups, out_per_group = out / groups;
  Signal y = zeros(out, T);
  for (int o = 0; o < out; ++o) {
    const int first_in = (o / out_per_group) * in_per_group;
    for (long t = 0; t < T; ++t) {
      double sum = bias ? b[static_cast<size_t>(o)] : 0.0;
      for (int i = 0; i < in_per_group; ++i)
        for (int k = 0; k < kernel; ++k) {
          const long from = t - static_cast<long>(dilation) * (kernel - 1 - k);
          if (from >= 0)
            sum +=
                weight(o, i, k) * x[static_cast<size_t>(first_in + i)][static_cast<size_t>(from)];
        }
      y[static_cast<size_t>(o)][static_cast<size_t>(t)] = sum;
    }
  }
  return y;
}

Conv Conv::corner(int out_rows, int in_cols) const {
  if (groups != 1) throw InputError("slimming a grouped convolution is not defined");
  Conv c = make(in_cols, out_rows, kernel, dilation, 1, bias);
  for (int o = 0; o < out_rows; ++o) {
    for (int i = 0; i < in_cols; ++i)
      for (int k = 0; k < kernel; ++k)
        c.w[(static_cast<size_t>(o) * in_cols + i) * kernel + k] = weight(o, i, k);
    if (bias) c.b[static_cast<size_t>(o)] = b[static_cast<size_t>(o)];
  }
  return c;
}

Signal Film::apply(const Signal& x, const Signal& condition) const {
  const Signal ss = conv.apply(condition);
  Signal y = x;
  for (int c = 0; c < dim; ++c)
    for (size_t t = 0; t < y[static_cast<size_t>(c)].size(); ++t) {
      double& v = y[static_cast<size_t>(c)][t];
      v = v * ss[static_cast<size_t>(c)][t] + (shift ? ss[static_cast<size_t>(dim + c)][t] : 0.0);
    }
  return y;
}

Activation Activation::parse(const JsonValue& v) {
  const bool object = v.is_object();
  std::optional<JsonObject> fields;
  if (object) fields.emplace(v.object());
  const JsonValue name_value = object ? fields->get("type") : v;
  if (!name_value.is_string()) name_value.fail("an activation name or {\"type\": name, ...}");
  const std::string name = name_value.string();
  struct Named {
    const char* name;
    Kind kind;
  };
  // "LeakyHardTanh" is an alternative spelling NAM's runtime accepts too.
  static const Named known[] = {{"Tanh", Kind::Tanh},
                                {"Hardtanh", Kind::Hardtanh},
                                {"ReLU", Kind::ReLU},
                                {"LeakyReLU", Kind::LeakyReLU},
                                {"PReLU", Kind::PReLU},
                                {"Sigmoid", Kind::Sigmoid},
                                {"SiLU", Kind::SiLU},
                                {"Hardswish", Kind::Hardswish},
                                {"LeakyHardtanh", Kind::LeakyHardtanh},
                                {"LeakyHardTanh", Kind::LeakyHardtanh},
                                {"Softsign", Kind::Softsign}};
  Activation a;
  bool found = false;
  for (const Named& n : known)
    if (name == n.name) {
      a.kind = n.kind;
      found = true;
    }
  if (!found)
    name_value.fail(
        "one of Tanh, Hardtanh, ReLU, LeakyReLU, PReLU, Sigmoid, SiLU, Hardswish, "
        "LeakyHardtanh, Softsign");
  if (!object) return a;
  auto number = [&](const char* key, double& into) {
    if (auto x = fields->find(key)) into = to_float32(x->number());
  };
  if (a.kind == Kind::LeakyReLU) number("negative_slope", a.slopes[0]);
  if (a.kind == Kind::PReLU) {
    number("negative_slope", a.slopes[0]);
    if (auto list = fields->find("negative_slopes")) {
      a.slopes.clear();
      for (const JsonValue& x : list->items()) a.slopes.push_back(to_float32(x.number()));
      if (a.slopes.empty()) list->fail("at least one slope");
    }
  }
  if (a.kind == Kind::LeakyHardtanh) {
    number("min_val", a.min_val);
    number("max_val", a.max_val);
    number("min_slope", a.min_slope);
    number("max_slope", a.max_slope);
  }
  fields->finish();
  return a;
}

double Activation::operator()(double x, int channel) const {
  switch (kind) {
    case Kind::Tanh:
      return std::tanh(x);
    case Kind::Hardtanh:
      return std::clamp(x, -1.0, 1.0);
    case Kind::ReLU:
      return x > 0 ? x : 0.0;
    case Kind::LeakyReLU:
      return x > 0 ? x : slopes[0] * x;
    case Kind::PReLU:
      return x > 0 ? x : slopes[slopes.size() == 1 ? 0 : static_cast<size_t>(channel)] * x;
    case Kind::Sigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case Kind::SiLU:
      return x / (1.0 + std::exp(-x));
    case Kind::Hardswish:
      return x * std::clamp(x + 3.0, 0.0, 6.0) / 6.0;
    case Kind::LeakyHardtanh:
      if (x < min_val) return min_val + (x - min_val) * min_slope;
      if (x > max_val) return max_val + (x - max_val) * max_slope;
      return x;
    case Kind::Softsign:
      return x / (1.0 + std::fabs(x));
  }
  return x;
}

std::string Activation::name() const {
  switch (kind) {
    case Kind::Tanh:
      return "Tanh";
    case Kind::Hardtanh:
      return "Hardtanh";
    case Kind::ReLU:
      return "ReLU";
    case Kind::LeakyReLU:
      return "LeakyReLU(" + format_number(slopes[0]) + ")";
    case Kind::PReLU:
      return "PReLU(" + std::to_string(slopes.size()) + " slopes)";
    case Kind::Sigmoid:
      return "Sigmoid";
    case Kind::SiLU:
      return "SiLU";
    case Kind::Hardswish:
      return "Hardswish";
    case Kind::LeakyHardtanh:
      return "LeakyHardtanh";
    case Kind::Softsign:
      return "Softsign";
  }
  return "?";
}

}  // namespace namk::reference
