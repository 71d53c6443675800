// See knob_inputs.h. The weights are written in NAM's order by walking the knob model's parameter
// layout (nn/param_layout.h): the tensors that read the knobs are rewritten, the ones the
// construction adds are inserted where NAM's order puts them, the rest are copied.
#include "nn/knob_inputs.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "nn/config_values.h"
#include "nn/model_config.h"

namespace namk {

namespace {

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The fused layer's activation in the general layer's terms; Identity, which NAM does not name, is
// LeakyReLU of slope 1.
LayerActivation layer_activation(Activation a) {
  if (a != Activation::Identity) return read_layer_activation(Json::parse_string(json_quote(activation_name(a)), "activation"));
  LayerActivation identity;
  identity.kind = LayerActivation::Kind::LeakyReLU;
  identity.slopes = {1};
  return identity;
}

// The 0.6 options that say what a fused array computes (bottleneck = channels, layer1x1 on, Sigmoid
// gates), so FiLM sites can be added to it.
LayerArrayOptions fused_options(const LayerArrayConfig& a, std::vector<LayerActivation> activations) {
  LayerArrayOptions o;
  o.bottleneck = a.channels;
  o.head1x1_out_channels = a.channels;
  o.activations = std::move(activations);
  LayerActivation sigmoid;
  sigmoid.kind = LayerActivation::Kind::Sigmoid;
  o.secondaries.assign(a.dilations.size(), sigmoid);
  for (size_t i = 0; i < a.dilations.size(); ++i) o.gating.push_back(a.layer_gated(i) ? Gating::Gated : Gating::None);
  return o;
}

// A row w of an affine map of the normalised knobs ((v - min) / (max - min)) made a map of their raw
// values: appends the columns divided by the ranges to out, returns what the bias gains.
double append_raw_columns(const std::vector<KnobSpec>& knobs, const Scalar* w, std::vector<Scalar>& out) {
  double bias = 0;
  for (size_t j = 0; j < knobs.size(); ++j) {
    const double range = knobs[j].max - knobs[j].min;
    out.push_back(static_cast<Scalar>(w[j] / range));
    bias -= w[j] * knobs[j].min / range;
  }
  return bias;
}

void append_zeros(std::vector<Scalar>& out, Index n) { out.insert(out.end(), static_cast<size_t>(n), Scalar(0)); }

// The FiLM conditioner as a condition_dsp on [audio; raw knobs] (n + 1 channels) whose output is
// [audio; the conditioner's F outputs]: one array of H + 1 channels and two kernel-1 layers. Layer 0
// (the MLP's activation) puts act(W1 k + b1) in rows 0..H-1 through its mixer and bias; layer 1
// (LeakyReLU of slope 1, the identity) puts the audio in row H. The layers' own stream is unused
// (rechannel, convs and 1x1s zero), so the head sum is [hidden; audio + act(0)], and the head
// (W2 and b2 below the audio row, act(0) taken off) gives the condition.
ConditionDsp film_condition_dsp(const Model& model, Index outputs) {
  const ModelConfig& c = model.config();
  const ParamLayout& layout = model.param_layout();
  const Scalar* p = model.params().data();
  const Index n = static_cast<Index>(c.knobs.size());
  const Index hidden = c.film.units(n), width = hidden + 1;
  LayerArrayConfig a;
  a.input_size = a.condition_size = 1 + n;
  a.channels = width;
  a.head_size = 1 + outputs;
  a.head_bias = true;
  a.kernel_size = 1;
  a.dilations = {1, 1};
  a.general = fused_options(a, {layer_activation(c.film.activation), layer_activation(Activation::Identity)});
  auto config = std::make_shared<WaveNetConfig>();
  config->layers = {a};
  config->head_scale = 1;
  config->in_channels = 1 + n;

  // Separable FiLM: the cross-knob entries count as zero whatever the buffer holds (as the
  // conditioner reads them), so they are written as zeros.
  std::vector<Scalar> w1_masked(p + layout.view("film.w1").offset, p + layout.view("film.w1").offset + hidden * n);
  for (Index i = 0; i < hidden; ++i)
    for (Index j = 0; j < n; ++j)
      if (!c.film.unit_reads(i, j)) w1_masked[static_cast<size_t>(i * n + j)] = 0;
  const Scalar* w1 = w1_masked.data();
  const Scalar* b1 = p + layout.view("film.b1").offset;
  const Scalar* w2 = p + layout.view("film.w2").offset;
  const Scalar* b2 = p + layout.view("film.b2").offset;
  std::vector<Scalar> w;
  append_zeros(w, width * (1 + n));  // rechannel
  // Layer 0: conv weight, bias (b1 with the normalisation folded in), mixer, layer1x1.
  append_zeros(w, width * width);
  std::vector<Scalar> mixer;
  for (Index i = 0; i < hidden; ++i) {
    mixer.push_back(0);  // the audio column
    w.push_back(static_cast<Scalar>(b1[i] + append_raw_columns(c.knobs, w1 + i * n, mixer)));
  }
  w.push_back(0);
  w.insert(w.end(), mixer.begin(), mixer.end());
  append_zeros(w, 1 + n);
  append_zeros(w, width * width + width);
  // Layer 1: the audio into row H through the mixer alone.
  append_zeros(w, width * width + width + hidden * (1 + n));
  w.push_back(1);
  append_zeros(w, n + width * width + width);
  // Head: row 0 the audio, rows 1..F the MLP's output layer; bias -act(0), then b2.
  append_zeros(w, hidden);
  w.push_back(1);
  for (Index f = 0; f < outputs; ++f) {
    w.insert(w.end(), w2 + f * hidden, w2 + (f + 1) * hidden);
    w.push_back(0);
  }
  Mat at_zero = Mat::Zero(1, 1);
  activation_forward(c.film.activation, at_zero, at_zero);
  w.push_back(Scalar(0) - at_zero(0, 0));  // +0, not -0, when a(0) is 0: the file reads back the same
  w.insert(w.end(), b2, b2 + outputs);
  return ConditionDsp{config, w, "0.7.0", c.sample_rate};
}

std::string knob_channels_json(const std::vector<KnobSpec>& knobs) {
  std::string s = "[";
  for (size_t j = 0; j < knobs.size(); ++j)
    s += std::string(j ? ", " : "") + "{\"channel\": " + std::to_string(j + 1) + ", \"name\": " +
         json_quote(knobs[j].name) + ", \"min\": " + json_number(knobs[j].min) + ", \"max\": " +
         json_number(knobs[j].max) + ", \"default\": " + json_number(knobs[j].default_value) +
         ", \"units\": " + json_quote(knobs[j].units) + "}";
  return s + "]";
}

}  // namespace

std::string knob_inputs_json(const Model& model, const ModelMetadata& metadata, const std::string& file) {
  const ModelConfig& c = model.config();
  if (c.architecture == "WaveNet" && c.wavenet.in_channels > 1) return model_to_json(model, metadata);
  if (c.knobs.empty())
    throw UsageError(file + " has no knobs to make input channels of: export it as it is, without --knobs-as-inputs");
  if (c.architecture == "ToneStackWaveNet")
    throw input_error(file, "architecture", "a knob WaveNet",
                      "KnobToneStackWaveNet (its tone stack is recursive filters; NAM's WaveNet has only finite "
                      "convolutions)");
  if (c.architecture != "WaveNet")
    throw input_error(file, "architecture",
                      "a knob WaveNet (this export writes the knobs as a WaveNet's extra input channels, "
                      "config.in_channels)",
                      "Knob" + c.architecture);
  const bool film = c.conditioning == Conditioning::Film;
  if (film && c.film.head)
    throw input_error(file, "conditioning.head",
                      "false (NAM has no FiLM site on a layer array's head output: its sites act inside the "
                      "layers, head1x1_post_film modulates each layer's term before the sum, and the previous "
                      "array's head joins that sum unmodulated)",
                      "true");
  for (const LayerArrayConfig& a : c.wavenet.layers)
    if (!a.slim_channels.empty())
      throw input_error(file, "config.layers[].slimmable",
                        "no slimmable array (a knob model is never slimmed, so there is no slimmed knob model for "
                        "NAM's runtime to cut to)",
                        "a slimmable array");

  const ParamLayout& layout = model.param_layout();
  const Scalar* p = model.params().data();
  const Index n = static_cast<Index>(c.knobs.size());
  const Index outputs = film ? layout.view("film.b2").size() : 0;  // the conditioner's F
  ModelConfig out;
  out.sample_rate = c.sample_rate;
  out.wavenet = c.wavenet;
  WaveNetConfig& w = out.wavenet;
  w.in_channels = 1 + n;
  w.layers.front().input_size = 1 + n;
  for (LayerArrayConfig& a : w.layers) {
    a.condition_size = film ? 1 + outputs : 1 + n;
    if (!film) continue;
    std::vector<LayerActivation> activations;
    for (size_t i = 0; i < a.dilations.size(); ++i) activations.push_back(layer_activation(a.layer_activation(i)));
    a.general = fused_options(a, activations);
    a.general->films[kActivationPreFilm] = LayerFilm{true, c.film.shift, 1};
  }
  if (film) w.condition_dsp = film_condition_dsp(model, outputs);

  // The main model's weights. The first rechannel reads the knobs with zeros. Each input mixer
  // reads the condition: with concat [audio; raw knobs] (the normalisation folded into the conv
  // bias), with FiLM [audio; conditioner outputs] (zeros on the outputs), and after each FiLM
  // layer's 1x1 comes its activation_pre_film, selecting gamma (and beta) from the condition.
  std::vector<Scalar> weights;
  Index site = 0;  // the next FiLM site's gamma in the conditioner's output
  for (const ParamView& v : layout.views()) {
    if (v.offset >= model.architecture_params()) break;
    const Scalar* t = p + v.offset;
    const std::string layer = v.name.substr(0, v.name.rfind('.', v.name.rfind('.') - 1) + 1);
    if (v.name == "layers[0].rechannel.weight") {
      for (Index r = 0; r < v.shape[0]; ++r) {
        weights.push_back(t[r]);
        append_zeros(weights, n);
      }
    } else if (ends_with(v.name, ".input_mixer.weight")) {
      for (Index r = 0; r < v.shape[0]; ++r) {
        weights.push_back(t[r * v.shape[1]]);
        if (film)
          append_zeros(weights, outputs);
        else
          append_raw_columns(c.knobs, t + r * v.shape[1] + 1, weights);
      }
    } else if (!film && ends_with(v.name, ".conv.bias")) {
      const ParamView& mixer = layout.view(layer + "input_mixer.weight");
      std::vector<Scalar> unused;
      for (Index r = 0; r < v.size(); ++r)
        weights.push_back(static_cast<Scalar>(
            t[r] + append_raw_columns(c.knobs, p + mixer.offset + r * mixer.shape[1] + 1, unused)));
    } else {
      weights.insert(weights.end(), t, t + v.size());
      if (film && ends_with(v.name, ".layer1x1.bias")) {
        const Index rows = (c.film.shift ? 2 : 1) * layout.view(layer + "input_mixer.weight").shape[0];
        for (Index r = 0; r < rows; ++r)
          for (Index col = 0; col < 1 + outputs; ++col) weights.push_back(col == 1 + site + r ? 1 : 0);
        append_zeros(weights, rows);
        site += rows;
      }
    }
  }
  if (site != outputs)
    throw std::logic_error("knob inputs: the FiLM sites cover " + std::to_string(site) + " of the conditioner's " +
                           std::to_string(outputs) + " outputs");

  return nam_wavenet_json(out, weights, knob_inputs_metadata(metadata, c.knobs));
}

ModelMetadata knob_inputs_metadata(const ModelMetadata& metadata, const std::vector<KnobSpec>& knobs) {
  ModelMetadata md = metadata;
  std::erase_if(md.kept, [](const auto& kept) {
    const std::string_view numbers[] = {"loudness", "input_level_dbu", "output_level_dbu", "gain"};
    return kept.second == "null" && std::find(std::begin(numbers), std::end(numbers), kept.first) != std::end(numbers);
  });
  // In the file's place when it has the key, so a file read and written again is unchanged.
  const auto key = std::find_if(md.kept.begin(), md.kept.end(), [](const auto& kept) { return kept.first == kKnobInputsKey; });
  if (key != md.kept.end())
    key->second = knob_channels_json(knobs);
  else
    md.kept.emplace_back(kKnobInputsKey, knob_channels_json(knobs));
  return md;
}

std::vector<KnobSpec> read_knob_inputs(const std::optional<Json>& metadata, Index inputs, const std::string& file) {
  const std::optional<Json> list = metadata && metadata->is_object() ? metadata->find(kKnobInputsKey) : std::nullopt;
  if (!list)
    throw input_error(file, std::string("metadata.") + kKnobInputsKey,
                      "the knobs feeding input channels 1.." + std::to_string(inputs - 1) +
                          " (config.in_channels is " + std::to_string(inputs) +
                          "; nam-knobs runs extra input channels only as knobs)",
                      "no such key");
  std::string plain = "[";  // the entries without "channel", as read_knobs reads a knob model's list
  const std::vector<Json> items = list->items();
  for (size_t j = 0; j < items.size(); ++j) {
    items[j].allow_only({"channel", "name", "min", "max", "default", "units"});
    if (items[j]["channel"].integer() != static_cast<long long>(j + 1))
      throw items[j]["channel"].error(std::to_string(j + 1) + " (the entries in channel order)");
    std::string entry;
    for (const char* key : {"name", "min", "max", "default", "units"})
      if (auto v = items[j].find(key)) entry += std::string(entry.empty() ? "" : ", ") + json_quote(key) + ": " + v->text();
    plain += std::string(j ? ", " : "") + "{" + entry + "}";
  }
  if (static_cast<Index>(items.size()) != inputs - 1)
    throw list->error(std::to_string(inputs - 1) + " knobs (config.in_channels - 1)", std::to_string(items.size()));
  return read_knobs(Json::parse_string(plain + "]", file + ": metadata." + kKnobInputsKey));
}

}  // namespace namk
