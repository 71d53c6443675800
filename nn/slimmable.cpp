// See slimmable.h. The widths follow docs/model_format.md ("slimmable"): an array's input follows
// the previous array's cut width, an inner array's head the next array's, and the model's input,
// output and condition keep theirs.
#include "nn/slimmable.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace namk {

namespace {

Index slim_width(const LayerArrayConfig& a, double v) {
  if (a.slim_channels.empty()) return a.channels;
  const auto n = static_cast<double>(a.slim_channels.size());
  const auto i = static_cast<size_t>(std::clamp(std::floor(v * n), 0.0, n - 1));
  return a.slim_channels[i];
}

// Copies the top-left corner of a row-major tensor of shape `from` into one of shape `to`
// (same rank, every dimension no larger).
void copy_corner(const Scalar* src, const std::vector<Index>& from, Scalar* dst, const std::vector<Index>& to) {
  if (to.size() == 1) {
    std::copy_n(src, to[0], dst);
    return;
  }
  Index inner_from = 1, inner_to = 1;
  for (size_t d = 1; d < from.size(); ++d) {
    inner_from *= from[d];
    inner_to *= to[d];
  }
  const std::vector<Index> sub_from(from.begin() + 1, from.end()), sub_to(to.begin() + 1, to.end());
  for (Index o = 0; o < to[0]; ++o) copy_corner(src + o * inner_from, sub_from, dst + o * inner_to, sub_to);
}

}  // namespace

bool is_slimmable(const ModelConfig& config) {
  return config.architecture == "WaveNet" &&
         std::any_of(config.wavenet.layers.begin(), config.wavenet.layers.end(),
                     [](const LayerArrayConfig& a) { return !a.slim_channels.empty(); });
}

size_t slim_size_index(const std::vector<double>& max_values, double v) {
  for (size_t i = 0; i < max_values.size(); ++i)
    if (v < max_values[i]) return i;
  return max_values.empty() ? 0 : max_values.size() - 1;
}

std::vector<double> slim_breakpoints(const ModelConfig& config) {
  std::vector<double> points;
  for (const LayerArrayConfig& a : config.wavenet.layers) {
    const auto n = a.slim_channels.size();
    for (size_t i = 1; i <= n; ++i) points.push_back(static_cast<double>(i) / static_cast<double>(n));
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

std::unique_ptr<Model> slim_wavenet(const Model& full, double v) {
  if (!full.knobs().empty()) throw UsageError("slim_wavenet: knob models are not slimmable");
  ModelConfig config = full.config();
  std::vector<LayerArrayConfig>& arrays = config.wavenet.layers;
  std::vector<Index> width;
  for (const LayerArrayConfig& a : arrays) width.push_back(slim_width(a, v));
  for (size_t i = 0; i < arrays.size(); ++i) {
    LayerArrayConfig& a = arrays[i];
    a.channels = width[i];
    if (i > 0) a.input_size = width[i - 1];
    if (i + 1 < arrays.size()) a.head_size = width[i + 1];
    a.slim_channels.clear();  // the cut model has one size
  }
  auto slim = make_model(config);
  const ParamLayout& from = full.param_layout();
  for (const ParamView& to : slim->param_layout().views()) {
    const ParamView& src = from.view(to.name);
    copy_corner(full.params().data() + src.offset, src.shape, slim->params().data() + to.offset, to.shape);
  }
  return slim;
}

}  // namespace namk
