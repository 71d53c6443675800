// See layer_array_config.h. Every layer option of 0.5 to 0.7 is read; an array the fused layer
// can run keeps only its fields, any other keeps LayerArrayOptions too (the general layer's), and
// the writer writes those back so a file round-trips.
#include "nn/layers/layer_array_config.h"

#include <algorithm>
#include <sstream>

#include "nn/config_values.h"

namespace namk {

namespace {

// One value for the whole array, or a list with exactly one per layer.
template <class Read>
auto each_layer(const Json& j, size_t layers, Read read) {
  if (!j.is_array()) return std::vector<decltype(read(j))>(layers, read(j));
  std::vector<decltype(read(j))> values;
  for (const Json& item : j.items()) values.push_back(read(item));
  if (values.size() != layers)
    throw j.error("a list of " + std::to_string(layers) + " values (one per dilation)",
                  "a list of " + std::to_string(values.size()));
  return values;
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
    a.kernel_sizes = each_layer(*ks, a.dilations.size(), [](const Json& k) { return read_positive(k, kMaxKernel); });
    a.kernel_size = a.kernel_sizes.front();
    if (std::all_of(a.kernel_sizes.begin(), a.kernel_sizes.end(), [&](Index k) { return k == a.kernel_size; }))
      a.kernel_sizes.clear();
    return;
  }
  a.kernel_size = read_positive(l["kernel_size"], kMaxKernel);
}

// "gating_mode" values, in Gating's order.
constexpr const char* kGatingModes[] = {"none", "gated", "blended"};

Gating read_gating(const Json& j) {
  const std::string mode = j.string();
  for (int g = 0; g < 3; ++g)
    if (mode == kGatingModes[g]) return static_cast<Gating>(g);
  throw j.error("\"none\", \"gated\" or \"blended\"");
}

// A FiLM site: absent, null or false is off; else {"active", "shift", "groups"}.
LayerFilm read_film(const Json& j) {
  LayerFilm f;
  if (j.is_null() || (j.is_bool() && !j.boolean())) return f;
  if (j.is_bool()) throw j.error("an object {\"active\", \"shift\", \"groups\"}, null or false");
  j.allow_only({"active", "shift", "groups"});
  f.active = j.boolean_or("active", true);
  f.shift = j.boolean_or("shift", true);
  if (auto g = j.find("groups")) f.groups = read_positive(*g, kMaxWidth);
  return f;
}

void require_divides(const Json& where, Index groups, Index rows, const std::string& what) {
  if (rows % groups != 0)
    throw where.error("groups dividing " + what + " (" + std::to_string(rows) + ")", std::to_string(groups));
}

// Every layer option of 0.5 to 0.7, read into LayerArrayOptions; the array keeps them (general) only
// when the fused layer cannot run it, else they become the fused layer's fields.
void read_layer_options(const Json& l, LayerArrayConfig& a) {
  const size_t n = a.dilations.size();
  LayerArrayOptions o;
  o.bottleneck = l.has("bottleneck") ? read_positive(l["bottleneck"], kMaxWidth) : a.channels;
  o.activations = each_layer(l["activation"], n, read_layer_activation);
  o.gating.assign(n, l.boolean_or("gated", false) ? Gating::Gated : Gating::None);
  if (auto mode = l.find("gating_mode")) o.gating = each_layer(*mode, n, read_gating);  // wins over 0.5's gated
  // A gate or blend without a named secondary activation is a Sigmoid (0.5's gate); ungated layers'
  // entries (null or "" in NAM's files) are not read.
  LayerActivation sigmoid;
  sigmoid.kind = LayerActivation::Kind::Sigmoid;
  o.secondaries.assign(n, sigmoid);
  if (auto secondary = l.find("secondary_activation")) {
    const std::vector<Json> each = secondary->is_array() ? secondary->items() : std::vector<Json>(n, *secondary);
    if (each.size() != n)
      throw secondary->error("a list of " + std::to_string(n) + " values (one per dilation)",
                             "a list of " + std::to_string(each.size()));
    for (size_t i = 0; i < n; ++i)
      if (o.gating[i] != Gating::None) o.secondaries[i] = read_layer_activation(each[i]);
  }
  if (auto g = l.find("groups_input")) o.groups_input = read_positive(*g, kMaxWidth);
  if (auto g = l.find("groups_input_mixin")) o.groups_input_mixin = read_positive(*g, kMaxWidth);
  if (auto b = l.find("layer1x1")) {
    b->allow_only({"active", "groups"});
    o.layer1x1 = b->boolean_or("active", true);
    if (auto g = b->find("groups")) o.layer1x1_groups = read_positive(*g, kMaxWidth);
  }
  o.head1x1_out_channels = a.channels;
  if (auto b = l.find("head1x1")) {
    b->allow_only({"active", "out_channels", "groups"});
    o.head1x1 = b->boolean_or("active", false);
    if (auto c = b->find("out_channels")) o.head1x1_out_channels = read_positive(*c, kMaxWidth);
    if (auto g = b->find("groups")) o.head1x1_groups = read_positive(*g, kMaxWidth);
  }
  if (!o.layer1x1 && o.bottleneck != a.channels)
    throw l["bottleneck"].error("equal to channels (" + std::to_string(a.channels) + ") when layer1x1 is off");
  for (size_t f = 0; f < kLayerFilmSites; ++f)
    if (auto site = l.find(kLayerFilmKeys[f])) o.films[f] = read_film(*site);
  if (o.films[kLayer1x1PostFilm].active && !o.layer1x1)
    throw l["layer1x1_post_film"].error("off when layer1x1 is off");
  if (o.films[kHead1x1PostFilm].active && !o.head1x1) throw l["head1x1_post_film"].error("off when head1x1 is off");

  // Shapes: every group count divides what it splits, PReLU has one slope or one per channel.
  for (size_t i = 0; i < n; ++i) {
    const Index z = o.z_rows(i);
    if (auto g = l.find("groups_input")) {
      require_divides(*g, o.groups_input, a.channels, "channels");
      require_divides(*g, o.groups_input, z, "the layer's conv outputs");
    }
    if (auto g = l.find("groups_input_mixin")) {
      require_divides(*g, o.groups_input_mixin, a.condition_size, "condition_size");
      require_divides(*g, o.groups_input_mixin, z, "the layer's mixer outputs");
    }
    for (const LayerActivation* act : {&o.activations[i], &o.secondaries[i]})
      if (act->kind == LayerActivation::Kind::PReLU && act->slopes.size() != 1 &&
          static_cast<Index>(act->slopes.size()) != o.bottleneck)
        throw l["activation"].error("PReLU with 1 or " + std::to_string(o.bottleneck) + " (bottleneck) negative_slopes",
                                    std::to_string(act->slopes.size()));
    for (size_t f = 0; f < kLayerFilmSites; ++f) {
      if (!o.films[f].active) continue;
      const Index dim = film_rows(o, a.channels, a.condition_size, f, i);
      require_divides(l[kLayerFilmKeys[f]], o.films[f].groups, a.condition_size, "condition_size");
      require_divides(l[kLayerFilmKeys[f]], o.films[f].groups, (o.films[f].shift ? 2 : 1) * dim,
                      "the FiLM's outputs");
    }
  }
  if (o.layer1x1) {
    require_divides(l.has("layer1x1") ? l["layer1x1"] : l, o.layer1x1_groups, o.bottleneck, "bottleneck");
    require_divides(l.has("layer1x1") ? l["layer1x1"] : l, o.layer1x1_groups, a.channels, "channels");
  }
  if (o.head1x1) {
    require_divides(l["head1x1"], o.head1x1_groups, o.bottleneck, "bottleneck");
    require_divides(l["head1x1"], o.head1x1_groups, o.head1x1_out_channels, "head1x1.out_channels");
  }

  // The fused layer: bottleneck = channels, no groups, layer1x1 on, no head1x1 or FiLM, gates of
  // Sigmoid and activations it holds.
  bool fused = o.bottleneck == a.channels && o.groups_input == 1 && o.groups_input_mixin == 1 && o.layer1x1 &&
               o.layer1x1_groups == 1 && !o.head1x1;
  for (const LayerFilm& f : o.films) fused = fused && !f.active;
  std::vector<Activation> activations;
  std::vector<bool> gated;
  for (size_t i = 0; i < n; ++i) {
    const std::optional<Activation> act = fused_activation(o.activations[i]);
    fused = fused && act && o.gating[i] != Gating::Blended &&
            (o.gating[i] == Gating::None || o.secondaries[i] == sigmoid);
    activations.push_back(act.value_or(Activation::Tanh));
    gated.push_back(o.gating[i] == Gating::Gated);
  }
  const auto one_value = [](auto& values) {
    if (std::all_of(values.begin(), values.end(), [&](const auto& v) { return v == values.front(); }))
      values.resize(1);
  };
  one_value(activations);
  one_value(gated);
  a.activation = activations.front();
  if (activations.size() > 1) a.activations = activations;
  a.gated = gated.front();
  if (gated.size() > 1) a.gated_layers = gated;
  if (!fused) a.general = std::move(o);
}

// 0.7 "slimmable": {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [...]}}.
// Without a list every width 1..channels is allowed.
void read_slimmable(const Json& l, LayerArrayConfig& a) {
  const auto s = l.find("slimmable");
  if (!s || s->is_null()) return;
  s->allow_only({"method", "kwargs"});
  if ((*s)["method"].string() != "slice_channels_uniform") throw (*s)["method"].error("\"slice_channels_uniform\"");
  if (a.head_kernel_size != 1) throw (*s).error("null for an array whose head looks back (NAM slims only 1x1 heads)");
  if (a.general) throw (*s).error("null for an array with NAM 0.6 layer options (slimming those is not supported)");
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

// The keys of LayerArrayOptions, after 0.7's own.
std::string write_options(const LayerArrayOptions& o) {
  const auto boolean = [](bool b) { return b ? "true" : "false"; };
  std::ostringstream s;
  s << ", \"bottleneck\": " << o.bottleneck << ", \"groups_input\": " << o.groups_input
    << ", \"groups_input_mixin\": " << o.groups_input_mixin << ", \"layer1x1\": {\"active\": "
    << boolean(o.layer1x1) << ", \"groups\": " << o.layer1x1_groups << "}, \"head1x1\": {\"active\": "
    << boolean(o.head1x1) << ", \"out_channels\": " << o.head1x1_out_channels << ", \"groups\": " << o.head1x1_groups
    << "}";
  std::vector<std::string> secondaries;
  for (size_t i = 0; i < o.gating.size(); ++i)
    secondaries.push_back(o.gating[i] == Gating::None ? "null" : write_layer_activation(o.secondaries[i]));
  s << ", \"secondary_activation\": " << list(secondaries, [](const std::string& v) { return v; });
  for (size_t f = 0; f < kLayerFilmSites; ++f) {
    if (!o.films[f].active) continue;
    s << ", \"" << kLayerFilmKeys[f] << "\": {\"active\": true, \"shift\": " << boolean(o.films[f].shift)
      << ", \"groups\": " << o.films[f].groups << "}";
  }
  return s.str();
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
  read_layer_options(l, a);
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
  if (l.general)
    for (size_t i = 0; i < gating.size(); ++i)
      gating[i] = json_quote(kGatingModes[static_cast<int>(l.general->gating[i])]);
  s << ", \"head\": {\"out_channels\": " << l.head_size << ", \"kernel_size\": " << l.head_kernel_size
    << ", \"bias\": " << (l.head_bias ? "true" : "false") << "}, \"channels\": " << l.channels
    << ", \"kernel_sizes\": " << list(kernels, number) << ", \"dilations\": " << list(l.dilations, number)
    << ", \"activation\": "
    << (l.general ? list(l.general->activations, write_layer_activation) : list(activations, name))
    << ", \"gating_mode\": " << list(gating, [](const std::string& g) { return g; });
  if (l.general) s << write_options(*l.general);
  if (!l.slim_channels.empty())
    s << ", \"slimmable\": {\"method\": \"slice_channels_uniform\", \"kwargs\": {\"allowed_channels\": "
      << list(l.slim_channels, number) << "}}";
  s << "}";
  return s.str();
}

}  // namespace namk
