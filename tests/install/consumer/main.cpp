// The installed C++ headers on their own: load a model with namk::load_model and stream through
// Model::process. Exits non-zero on an error or a silent or non-finite output.
#include <cmath>
#include <cstdio>
#include <vector>

#include "base/error.h"
#include "nn/model_file.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  try {
    namk::LoadedModel loaded = namk::load_model(argv[1]);
    loaded.model->prepare(256);
    std::vector<namk::Scalar> x(4800), y(4800);
    for (size_t t = 0; t < x.size(); ++t) x[t] = namk::Scalar(0.3 * std::sin(0.0144 * double(t)));
    loaded.model->process(x.data(), y.data(), static_cast<int>(x.size()));
    double peak = 0;
    for (namk::Scalar v : y) peak = std::isfinite(v) && peak >= 0 ? std::fmax(peak, std::fabs(v)) : -1;
    std::printf("consumer_cpp: peak %.4f\n", peak);
    return peak > 1e-3 ? 0 : 1;
  } catch (const namk::Error& e) {
    std::fprintf(stderr, "consumer_cpp: %s\n", e.what());
    return 1;
  }
}
