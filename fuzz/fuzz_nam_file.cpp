// The .nam reader, then the loaded model's streaming path: whatever loads must stream only
// finite samples, NaN input and extreme knob settings included.
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "fuzz_util.h"
#include "nn/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namk::fuzz::refusals_allowed([&] {
    namk::LoadedModel loaded = namk::model_from_json(namk::fuzz::text(data, size), "fuzz.nam");
    namk::Model& m = *loaded.model;
    m.prepare(64);
    std::vector<namk::Scalar> in(200), out(200);
    for (size_t i = 0; i < in.size(); ++i) in[i] = namk::Scalar(0.9 * std::sin(0.07 * double(i)));
    in[17] = std::numeric_limits<namk::Scalar>::quiet_NaN();
    in[18] = std::numeric_limits<namk::Scalar>::infinity();
    for (namk::Index k = 0; k < static_cast<namk::Index>(m.knobs().size()); ++k)
      m.set_knob(k, k % 2 ? m.knobs()[static_cast<size_t>(k)].max : m.knobs()[static_cast<size_t>(k)].min);
    m.process(in.data(), out.data(), static_cast<int>(in.size()));
    for (namk::Scalar y : out)
      if (!std::isfinite(y)) std::abort();  // the streaming path promised finite output
  });
  return 0;
}
