// See nam_file.h.
#include "nn/nam_file.h"

#include <cstdio>

#include "nn/model_config.h"

namespace namk {

namespace {
// "0.5.x" is what this reader understands; newer minors may change the layout.
void check_version(const Json& v) {
  const std::string s = v.string();
  int major = -1, minor = -1, patch = -1;
  if (std::sscanf(s.c_str(), "%d.%d.%d", &major, &minor, &patch) != 3)
    throw v.error("a version \"major.minor.patch\"");
  if (major != 0 || minor != 5) throw v.error("version 0.5.x (the .nam versions this reader supports)");
}
}  // namespace

std::unique_ptr<Model> load_nam(const std::string& path) { return load_nam(Json::parse_file(path)); }

std::unique_ptr<Model> load_nam(const Json& j) {
  check_version(j["version"]);
  ModelConfig config;
  read_nam_architecture(j["architecture"].string(), j["config"], config);
  // Older files have no sample_rate; NAM then assumes 48 kHz.
  if (auto rate = j.find("sample_rate"); rate && !rate->is_null()) {
    config.sample_rate = rate->number();
    if (!(config.sample_rate > 0)) throw rate->error("a positive sample rate");
  }
  const Json weights_json = j["weights"];
  std::vector<Json> items = weights_json.items();
  const bool has_head_scale = config.architecture == "WaveNet";
  if (has_head_scale && !items.empty()) config.wavenet.head_scale = items.back().number();
  std::unique_ptr<Model> model = make_model(config);
  const size_t expected = static_cast<size_t>(model->num_params()) + (has_head_scale ? 1 : 0);
  if (items.size() != expected)
    throw weights_json.error(std::to_string(expected) + " weights for this " + config.architecture +
                                 " config",
                             std::to_string(items.size()) + " weights");
  for (Index i = 0; i < model->num_params(); ++i)
    model->params()[i] = static_cast<Scalar>(items[static_cast<size_t>(i)].number());
  return model;
}

}  // namespace namk
