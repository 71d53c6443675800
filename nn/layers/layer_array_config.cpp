// See layer_array_config.h. Options the runtime does not implement are accepted only at the value
// that means "off" (the defaults NAM's trainer writes into every 0.6/0.7 file), so such files load
// and any other value is refused instead of silently ignored.
#include "nn/layers/layer_array_config.h"

#include <algorithm>
#include <sstream>

#include "nn/config_values.h"

namespace namk {

namespace {

constexpr const char* kFilmSites[] = {"conv_pre_film",       "conv_post_film",        "input_mixin_pre_film",
                                      "input_mixin_post_film", "activation_pre_film", "activation_post_film",
                                      "layer1x1_post_film",  "head1x1_post_film"};

// A key given once for the array or as a list with one entry per layer; the list has one value
// per dilation. Returns the per-layer values, or one value when all are equal.
template <class T, class Read>
std::vector<T> per_layer(const Json& j, size_t layers, Read read) {
  if (!j.is_array()) return {read(j)};
  std::vector<T> values;
  for (const Json& item : j.items()) values.push_back(read(item));
  if (values.size() != layers)
    throw j.error("a list of " + std::to_string(layers) + " values (one per dilation)",
                  "a list of " + std::to_string(values.size()));
  if (std::all_of(values.begin(), values.end(), [&](const T& v) { return v == values.front(); }))
    values.resize(1);
  return values;
}

void require_integer(const Json& j, long long value, const std::string& why) {
  if (j.integer() != value) throw j.error(std::to_string(value) + " (" + why + ")");
}

// "gating_mode": "none" or "gated" (a Sigmoid gate, as 0.5's gated); "blended" is refused.
bool gating(const Json& j) {
  const std::string mode = j.string();
  if (mode == "none") return false;
  if (mode == "gated") return true;
  throw j.error("\"none\" or \"gated\" (\"blended\" is not supported yet)");
}

// The gate's activation of a gated layer: only NAM's default, Sigmoid.
void require_sigmoid_gate(const Json& j) {
  if (j.is_null() || read_activation(j) != Activation::Sigmoid)
    throw j.error("Sigmoid for a gated layer (other gate activations are not supported yet)");
}

void read_head(const Json& l, LayerArrayConfig& a) {
  if (auto head = l.find("head"); head && !head->is_null()) {
    if (l.has("head_size")) throw (*head).error("either \"head\" (0.7) or \"head_size\" (0.5), not both");
    head->allow_only({"out_channels", "kernel_size", "bias"});
    a.head_size = read_positive((*head)["out_channels"], kMaxWidth);
    a.head_kernel_size = read_positive((*head)["kernel_size"], kMaxKernel);
    a.head_bias = (*head)["bias"].boolean();
    return;
  }
  a.head_size = read_positive(l["head_size"], kMaxWidth);
  a.head_bias = l.boolean_or("head_bias", false);
}

void read_kernel_sizes(const Json& l, LayerArrayConfig& a) {
  if (auto ks = l.find("kernel_sizes")) {
    if (l.has("kernel_size")) throw ks->error("either \"kernel_sizes\" or \"kernel_size\", not both");
    if (!ks->is_array()) throw ks->error("a list of kernel sizes, one per dilation");
    a.kernel_sizes = per_layer<Index>(*ks, a.dilations.size(), [](const Json& k) { return read_positive(k, kMaxKernel); });
    a.kernel_size = a.kernel_sizes.front();
    if (a.kernel_sizes.size() == 1) a.kernel_sizes.clear();
    return;
  }
  a.kernel_size = read_positive(l["kernel_size"], kMaxKernel);
}

void read_activations_and_gating(const Json& l, LayerArrayConfig& a) {
  const size_t n = a.dilations.size();
  a.activations = per_layer<Activation>(l["activation"], n, read_activation);
  a.activation = a.activations.front();
  if (a.activations.size() == 1) a.activations.clear();
  a.gated = l.boolean_or("gated", false);
  if (auto mode = l.find("gating_mode")) {
    a.gated_layers = per_layer<bool>(*mode, n, gating);
    a.gated = a.gated_layers.front();
    if (a.gated_layers.size() == 1) a.gated_layers.clear();
  }
  // The gate's activation is read only where a layer is gated (files write null for the others).
  if (auto secondary = l.find("secondary_activation")) {
    const std::vector<Json> each = secondary->is_array() ? secondary->items() : std::vector<Json>(n, *secondary);
    if (each.size() != n)
      throw secondary->error("a list of " + std::to_string(n) + " values (one per dilation)",
                             "a list of " + std::to_string(each.size()));
    for (size_t i = 0; i < n; ++i)
      if (a.layer_gated(i)) require_sigmoid_gate(each[i]);
  }
}

// The 0.6 blocks the runtime implements only in their default form.
void require_defaults(const Json& l, const LayerArrayConfig& a) {
  if (auto b = l.find("bottleneck")) require_integer(*b, a.channels, "equal to channels: a bottleneck is not supported yet");
  for (const char* key : {"groups_input", "groups_input_mixin"})
    if (auto g = l.find(key)) require_integer(*g, 1, "grouped convolutions are not supported yet");
  if (auto b = l.find("layer1x1")) {
    b->allow_only({"active", "groups"});
    if (!b->boolean_or("active", true)) throw (*b)["active"].error("true (a layer without its 1x1 is not supported yet)");
    if (auto g = b->find("groups")) require_integer(*g, 1, "a grouped layer1x1 is not supported yet");
  }
  if (auto b = l.find("head1x1")) {
    b->allow_only({"active", "out_channels", "groups"});
    if (b->boolean_or("active", false)) throw (*b)["active"].error("false (head1x1 is not supported yet)");
  }
  for (const char* key : kFilmSites) {
    const auto site = l.find(key);
    if (!site || site->is_null() || (site->is_bool() && !site->boolean())) continue;
    if (site->is_bool() || site->boolean_or("active", true))
      throw (site->is_bool() ? *site : (*site)["active"]).error(std::string("false (FiLM at ") + key + " is not supported yet)");
  }
}

// 0.7 "slimmable": {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [...]}}.
// Without a list every width 1..channels is allowed.
void read_slimmable(const Json& l, LayerArrayConfig& a) {
  const auto s = l.find("slimmable");
  if (!s || s->is_null()) return;
  s->allow_only({"method", "kwargs"});
  if ((*s)["method"].string() != "slice_channels_uniform") throw (*s)["method"].error("\"slice_channels_uniform\"");
  if (a.head_kernel_size != 1) throw (*s).error("null for an array whose head looks back (NAM slims only 1x1 heads)");
  const auto kwargs = s->find("kwargs");
  const auto allowed = kwargs ? kwargs->find("allowed_channels") : std::nullopt;
  if (kwargs) kwargs->allow_only({"allowed_channels"});
  if (!allowed) {
    for (Index c = 1; c <= a.channels; ++c) a.slim_channels.push_back(c);
    return;
  }
  for (const Json& c : allowed->items()) {
    const Index v = read_positive(c, a.channels);
    if (!a.slim_channels.empty() && v <= a.slim_channels.back()) throw c.error("a width above the previous one");
    a.slim_channels.push_back(v);
  }
  if (a.slim_channels.empty() || a.slim_channels.back() != a.channels)
    throw allowed->error("ascending widths ending at channels (" + std::to_string(a.channels) + ")");
}

template <class T, class F>
std::string list(const std::vector<T>& values, F item) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + item(values[i]);
  return text + "]";
}

}  // namespace

LayerArrayConfig read_layer_array_config(const Json& l) {
  l.allow_only({"input_size", "condition_size", "head_size", "head_bias", "head", "channels", "bottleneck",
                "kernel_size", "kernel_sizes", "dilations", "activation", "gated", "gating_mode",
                "secondary_activation", "groups_input", "groups_input_mixin", "layer1x1", "head1x1", "slimmable",
                "conv_pre_film", "conv_post_film", "input_mixin_pre_film", "input_mixin_post_film",
                "activation_pre_film", "activation_post_film", "layer1x1_post_film", "head1x1_post_film"});
  LayerArrayConfig a;
  a.input_size = read_positive(l["input_size"], kMaxWidth);
  a.condition_size = read_positive(l["condition_size"], kMaxWidth);
  a.channels = read_positive(l["channels"], kMaxWidth);
  a.dilations = read_dilations(l["dilations"]);
  read_head(l, a);
  read_kernel_sizes(l, a);
  read_activations_and_gating(l, a);
  require_defaults(l, a);
  read_slimmable(l, a);
  return a;
}

std::string write_layer_array_config(const LayerArrayConfig& l) {
  const auto number = [](Index v) { return std::to_string(v); };
  const auto name = [](Activation a) { return json_quote(activation_name(a)); };
  std::ostringstream s;
  s << "{\"input_size\": " << l.input_size << ", \"condition_size\": " << l.condition_size;
  if (l.fits_nam_05()) {
    s << ", \"head_size\": " << l.head_size << ", \"channels\": " << l.channels << ", \"kernel_size\": "
      << l.kernel_size << ", \"dilations\": " << list(l.dilations, number) << ", \"activation\": "
      << name(l.activation) << ", \"gated\": " << (l.gated ? "true" : "false")
      << ", \"head_bias\": " << (l.head_bias ? "true" : "false") << "}";
    return s.str();
  }
  std::vector<Index> kernels;
  std::vector<Activation> activations;
  std::vector<std::string> gating;
  for (size_t i = 0; i < l.dilations.size(); ++i) {
    kernels.push_back(l.layer_kernel_size(i));
    activations.push_back(l.layer_activation(i));
    gating.push_back(l.layer_gated(i) ? "\"gated\"" : "\"none\"");
  }
  s << ", \"head\": {\"out_channels\": " << l.head_size << ", \"kernel_size\": " << l.head_kernel_size
    << ", \"bias\": " << (l.head_bias ? "true" : "false") << "}, \"channels\": " << l.channels
    << ", \"kernel_sizes\": " << list(kernels, number) << ", \"dilations\": " << list(l.dilations, number)
    << ", \"activation\": " << list(activations, name)
    << ", \"gating_mode\": " << list(gating, [](const std::string& g) { return g; });
  if (!l.slim_channels.empty())
    s << ", \"slimmable\": {\"method\": \"slice_channels_uniform\", \"kwargs\": {\"allowed_channels\": "
      << list(l.slim_channels, number) << "}}";
  s << "}";
  return s.str();
}

}  // namespace namk
