// See data_config.h.
#include "data/data_config.h"

#include <filesystem>

#include "data/dataset_spec.h"

namespace namk {

namespace {
// Bounds on sample counts and durations (an hour at 768 kHz is ~2.8e9): they keep every offset
// computed from them far from overflow.
constexpr long long kMaxSamples = 1LL << 32;
constexpr double kMaxSeconds = 86400;
}  // namespace

DataConfig read_data_config(const std::string& path) {
  return parse_data_config(Json::parse_file(path));
}

DataConfig parse_data_config(const Json& root) {
  DataConfig c;
  c.file = root.file();
  if (looks_like_dataset(root)) {
    c.dataset = root.file();
    return c;
  }
  if (!root.is_object() || !root.has("dataset"))
    throw root.error("a data config (an object with \"dataset\") or a dataset (with \"entries\")");
  root.allow_only({"dataset", "sample_rate", "delay", "validation_tail_seconds", "ny",
                   "infer_knob_ranges", "max_length_difference"});
  namespace fs = std::filesystem;
  const fs::path dataset(root["dataset"].string());
  c.dataset = dataset.is_absolute()
                  ? dataset.string()
                  : (fs::path(c.file).parent_path() / dataset).lexically_normal().string();
  const long long rate = root.integer_or("sample_rate", c.sample_rate);
  if (rate < 1000 || rate > 768000)
    throw root["sample_rate"].error("a sample rate in Hz (1000..768000)");
  c.sample_rate = static_cast<int>(rate);
  if (auto delay = root.find("delay")) {
    if (delay->is_string() && delay->string() == "auto_per_pair") {
      c.delay_per_pair = true;
    } else if (!(delay->is_string() && delay->string() == "auto")) {
      if (!delay->is_number())
        throw delay->error("\"auto\", \"auto_per_pair\" or a whole number of samples");
      c.delay = delay->integer();
      // Far beyond any interface latency, and it keeps sample offsets far from overflow.
      if (c.delay < -kMaxSamples || c.delay > kMaxSamples)
        throw delay->error("a delay in [-" + std::to_string(kMaxSamples) + ", " +
                           std::to_string(kMaxSamples) + "] samples");
    }
  }
  if (auto tail = root.find("validation_tail_seconds")) {
    if (!(tail->is_string() && tail->string() == "auto")) {
      if (!tail->is_number() || !(tail->number() >= 0 && tail->number() <= kMaxSeconds))
        throw tail->error("\"auto\" or a number of seconds in [0, " + std::to_string(int(kMaxSeconds)) + "]");
      c.validation_tail_seconds = tail->number();
    }
  }
  c.ny = root.integer_or("ny", c.ny);
  if (c.ny < 1 || c.ny > kMaxSamples)
    throw root["ny"].error("a number of samples in [1, " + std::to_string(kMaxSamples) + "]");
  c.infer_knob_ranges = root.boolean_or("infer_knob_ranges", c.infer_knob_ranges);
  c.max_length_difference = root.integer_or("max_length_difference", c.max_length_difference);
  if (c.max_length_difference < 0 || c.max_length_difference > kMaxSamples)
    throw root["max_length_difference"].error("a number of samples in [0, " + std::to_string(kMaxSamples) + "]");
  return c;
}

}  // namespace namk
