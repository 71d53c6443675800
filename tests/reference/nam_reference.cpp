// Reading a .nam model object (top level, condition_dsp, or a container's submodel), the
// SlimmableContainer, and rendering with NAM's pre-warming.
#include "nam_reference.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "reference_node.h"

namespace namk::reference {

namespace {

// NAM's files from 0.5.0 (the oldest the runtime reads) to the 0.7 the trainer writes now.
void check_version(const JsonValue& v) {
  const std::string s = v.string();
  int major = -1, minor = -1, patch = -1;
  char dot1 = 0, dot2 = 0;
  std::istringstream in(s);
  in >> major >> dot1 >> minor >> dot2 >> patch;
  if (!in || !in.eof() || dot1 != '.' || dot2 != '.' || major != 0 || minor < 5 || minor > 7 ||
      patch < 0)
    v.fail("a version from 0.5.0 to 0.7.x");
}

// Submodels are chosen by the slim value: the first whose max_value is above it, else the last.
class SlimmableContainer final : public Node {
 public:
  struct Submodel {
    double max_value;
    std::shared_ptr<const Node> model;
  };
  explicit SlimmableContainer(std::vector<Submodel> submodels) : submodels_(std::move(submodels)) {}

  Signal forward(const Signal& x) const override { return submodels_.back().model->forward(x); }
  long prewarm_samples() const override { return submodels_.back().model->prewarm_samples(); }
  // The submodel runs at its own full size: NAM's container only chooses, it does not pass the
  // slim value on.
  std::shared_ptr<const Node> at_size(double slim) const override {
    for (const Submodel& s : submodels_)
      if (slim < s.max_value) return s.model;
    return submodels_.back().model;
  }
  std::vector<double> size_breakpoints() const override {
    std::vector<double> b;
    for (size_t i = 0; i + 1 < submodels_.size(); ++i) b.push_back(submodels_[i].max_value);
    return b;
  }
  std::string describe() const override {
    std::string s = "SlimmableContainer:";
    for (const Submodel& m : submodels_)
      s += " [max_value " + format_number(m.max_value) + ": " + m.model->describe() + "]";
    return s;
  }

 private:
  std::vector<Submodel> submodels_;
};

double read_sample_rate(JsonObject& model) {
  std::optional<JsonValue> v = model.find("sample_rate");
  if (!v || v->is_null()) return -1.0;  // unknown, as in files before 0.5.2
  const double sr = v->number();
  if (sr < 1000 || sr > 768000) v->fail("a sample rate in 1000..768000 Hz");
  return sr;
}

// The metadata changes nothing NAM's runtime computes (loudness and levels are for the host's
// normalisation), so only its type is checked: trainers add fields over time.
void check_metadata(JsonObject& model) {
  if (auto m = model.find("metadata"); m && !m->is_null() && !m->is_object())
    m->fail("an object or null");
}

}  // namespace

std::shared_ptr<const Node> read_slimmable_container(JsonObject& config) {
  std::vector<SlimmableContainer::Submodel> submodels;
  const JsonValue list = config.get("submodels");
  for (const JsonValue& entry : list.items()) {
    JsonObject e = entry.object();
    const JsonValue max_value = e.get("max_value");
    submodels.push_back({max_value.number(), read_model(e.get("model"))});
    if (submodels.size() > 1 &&
        submodels.back().max_value <= submodels[submodels.size() - 2].max_value)
      max_value.fail("max_value above the previous submodel's");
    if (submodels.back().model->in_channels() != 1 || submodels.back().model->out_channels() != 1)
      entry.fail("a mono submodel");
    e.finish();
  }
  if (submodels.empty()) list.fail("at least one submodel");
  if (submodels.back().max_value < 1.0) list.fail("a last submodel with max_value >= 1");
  return std::make_shared<SlimmableContainer>(std::move(submodels));
}

std::shared_ptr<const Node> read_model(const JsonValue& value) {
  JsonObject model = value.object();
  check_version(model.get("version"));
  check_metadata(model);
  model.ignore("notes");  // free text some generated test files carry
  const double sample_rate = read_sample_rate(model);
  const JsonValue arch_value = model.get("architecture");
  const std::string arch = arch_value.string();
  std::vector<double> flat;
  const JsonValue weights_value = model.get("weights");
  for (const JsonValue& w : weights_value.items()) flat.push_back(w.number());
  WeightReader weights(std::move(flat),
                       value.file() + (value.path().empty() ? "" : " (" + value.path() + ")"));
  JsonObject config = model.get("config").object();
  std::shared_ptr<const Node> node;
  if (arch == "WaveNet")
    node = read_wavenet(config, weights);
  else if (arch == "LSTM")
    node = read_lstm(config, weights, sample_rate);
  else if (arch == "ConvNet")
    node = read_convnet(config, weights);
  else if (arch == "Linear")
    node = read_linear(config, weights);
  else if (arch == "SlimmableContainer") {
    node = read_slimmable_container(config);
    weights.finish("a SlimmableContainer (its weights are in its submodels)");
  } else
    arch_value.fail("WaveNet, LSTM, ConvNet, Linear or SlimmableContainer");
  config.finish();
  model.finish();
  return node;
}

ReferenceModel ReferenceModel::from_json(const std::string& text, const std::string& name) {
  const JsonValue root = JsonValue::parse(text, name);
  ReferenceModel m;
  m.root_ = read_model(root);
  JsonObject top = root.object();
  m.version_ = top.get("version").string();
  m.architecture_ = top.get("architecture").string();
  if (m.root_->out_channels() != 1)
    throw input_error(name, "", "a model with one output channel",
                      std::to_string(m.root_->out_channels()) + " output channels");
  return m;
}

ReferenceModel ReferenceModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, "", "a readable .nam file", "none");
  std::ostringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path);
}

std::vector<double> ReferenceModel::render(const std::vector<double>& x,
                                           const RenderOptions& options) const {
  if (!(options.slim >= 0.0 && options.slim <= 1.0))
    throw UsageError("render: slim must be in [0, 1], got " + format_number(options.slim));
  const std::shared_ptr<const Node> node = root_->at_size(options.slim);
  const long warm =
      options.prewarm_samples >= 0 ? options.prewarm_samples : node->prewarm_samples();
  const int channels = node->in_channels();
  if (static_cast<int>(options.inputs.size()) != channels - 1)
    throw UsageError("render: the model takes " + std::to_string(channels) +
                     " input channels, the audio and " + std::to_string(channels - 1) +
                     " constant ones; got values for " + std::to_string(options.inputs.size()));
  Signal padded = zeros(channels, warm + static_cast<long>(x.size()));
  std::copy(x.begin(), x.end(), padded[0].begin() + warm);
  for (int c = 1; c < channels; ++c)
    std::fill(padded[static_cast<size_t>(c)].begin(), padded[static_cast<size_t>(c)].end(),
              options.inputs[static_cast<size_t>(c - 1)]);
  const Signal y = node->forward(padded);
  return std::vector<double>(y[0].begin() + warm, y[0].end());
}

long ReferenceModel::prewarm_samples(double slim) const {
  return root_->at_size(slim)->prewarm_samples();
}
int ReferenceModel::in_channels() const { return root_->in_channels(); }
std::vector<double> ReferenceModel::size_breakpoints() const { return root_->size_breakpoints(); }
std::string ReferenceModel::describe(double slim) const { return root_->at_size(slim)->describe(); }

}  // namespace namk::reference
