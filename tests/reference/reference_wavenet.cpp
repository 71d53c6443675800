// The reference WaveNet: every option of .nam 0.5.0 to 0.7.x (docs/model_format.md, "NAM's .nam
// files"), evaluated layer by layer over the whole signal. Reading follows the order NAM's runtime
// consumes the flat weights; a slimmed model is built by cutting the top-left corner out of every
// tensor of the full one, which is how NAM's runtime derives it.
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "base/error.h"
#include "reference_node.h"

namespace namk::reference {

namespace {

enum class Gating { None, Gated, Blended };

// The FiLM sites of a layer, in the order their weights follow the layer's convolutions.
enum FilmSite {
  ConvPre,
  ConvPost,
  MixinPre,
  MixinPost,
  ActivationPre,
  ActivationPost,
  Layer1x1Post,
  Head1x1Post
};
constexpr std::array<const char*, 8> kFilmKeys = {
    "conv_pre_film",       "conv_post_film",       "input_mixin_pre_film", "input_mixin_post_film",
    "activation_pre_film", "activation_post_film", "layer1x1_post_film",   "head1x1_post_film"};

struct FilmSpec {
  bool active = false, shift = true;
  int groups = 1;
};

// A layer array's hyper-parameters, as the config states them.
struct ArraySpec {
  int input_size = 1, condition_size = 1, channels = 1, bottleneck = 1;
  int head_size = 1, head_kernel = 1;
  bool head_bias = false;
  std::vector<int> kernels, dilations;
  std::vector<Activation> activations, secondaries;
  std::vector<Gating> gating;
  int groups_input = 1, groups_mixin = 1;
  bool layer1x1 = true, head1x1 = false;
  int layer1x1_groups = 1, head1x1_out = 1, head1x1_groups = 1;
  std::array<FilmSpec, 8> films{};
  std::vector<int> allowed_channels;  // slimmable sizes; empty: not slimmable

  int layers() const { return static_cast<int>(dilations.size()); }
  // Rows of the pre-activation z: doubled when a second half drives a gate or a blend.
  int z_rows(int l) const {
    return gating[static_cast<size_t>(l)] == Gating::None ? bottleneck : 2 * bottleneck;
  }
  // What each layer adds into the array's head accumulator.
  int head_input() const { return head1x1 ? head1x1_out : bottleneck; }
  int film_dim(FilmSite s, int l) const {
    switch (s) {
      case ConvPre:
        return channels;
      case MixinPre:
        return condition_size;
      case ActivationPost:
        return bottleneck;
      case Layer1x1Post:
        return channels;
      case Head1x1Post:
        return head1x1_out;
      default:
        return z_rows(l);
    }
  }
};

struct Layer {
  Conv conv, mixin, layer1x1, head1x1;
  std::array<Film, 8> films;
};

struct LayerArray {
  ArraySpec spec;
  Conv rechannel;
  std::vector<Layer> layers;
  Conv head;
};

FilmSpec read_film(JsonObject& la, const char* key) {
  FilmSpec f;
  std::optional<JsonValue> v = la.find(key);
  if (!v || (v->is_bool() && !v->boolean())) return f;
  JsonObject o = v->object();
  f.active = true;
  if (auto x = o.find("active")) f.active = x->boolean();
  if (auto x = o.find("shift")) f.shift = x->boolean();
  if (auto x = o.find("groups")) f.groups = positive_int(*x);
  o.finish();
  return f;
}

Gating parse_gating(const JsonValue& v) {
  const std::string s = v.string();
  if (s == "none") return Gating::None;
  if (s == "gated") return Gating::Gated;
  if (s == "blended") return Gating::Blended;
  v.fail("\"none\", \"gated\" or \"blended\"");
}

// One value per layer: an array of exactly `n`, or a single value repeated.
std::vector<JsonValue> per_layer(const JsonValue& v, int n) {
  if (!v.is_array()) return std::vector<JsonValue>(static_cast<size_t>(n), v);
  std::vector<JsonValue> items = v.items();
  if (static_cast<int>(items.size()) != n)
    v.fail("one entry per dilation (" + std::to_string(n) + ")");
  return items;
}

void read_gating(JsonObject& la, ArraySpec& s) {
  const int n = s.layers();
  std::optional<JsonValue> mode = la.find("gating_mode");
  std::optional<JsonValue> legacy = la.find("gated");  // 0.5.x; gating_mode wins when both exist
  std::optional<JsonValue> secondary = la.find("secondary_activation");
  s.gating.assign(static_cast<size_t>(n), Gating::None);
  if (mode) {
    const std::vector<JsonValue> modes = per_layer(*mode, n);
    for (int l = 0; l < n; ++l)
      s.gating[static_cast<size_t>(l)] = parse_gating(modes[static_cast<size_t>(l)]);
  } else if (legacy && legacy->boolean()) {
    s.gating.assign(static_cast<size_t>(n), Gating::Gated);
  }
  // A gate or blend without a named secondary activation uses Sigmoid (the 0.5.x gate). Layers
  // without gating ignore their entry, which the trainer writes as null or "".
  s.secondaries.assign(static_cast<size_t>(n), Activation{});
  for (int l = 0; l < n; ++l) {
    if (s.gating[static_cast<size_t>(l)] == Gating::None) continue;
    if (secondary)
      s.secondaries[static_cast<size_t>(l)] =
          Activation::parse(per_layer(*secondary, n)[static_cast<size_t>(l)]);
    else
      s.secondaries[static_cast<size_t>(l)].kind = Activation::Kind::Sigmoid;
  }
}

void read_slimmable(JsonObject& la, ArraySpec& s) {
  std::optional<JsonValue> v = la.find("slimmable");
  if (!v || v->is_null()) return;
  JsonObject o = v->object();
  const JsonValue method = o.get("method");
  if (method.string() != "slice_channels_uniform") method.fail("\"slice_channels_uniform\"");
  if (auto kwargs = o.find("kwargs")) {
    JsonObject k = kwargs->object();
    if (auto allowed = k.find("allowed_channels"))
      for (const JsonValue& c : allowed->items()) s.allowed_channels.push_back(positive_int(c));
    k.finish();
  }
  o.finish();
  if (s.allowed_channels.empty())
    for (int c = 1; c <= s.channels; ++c) s.allowed_channels.push_back(c);
  for (size_t i = 1; i < s.allowed_channels.size(); ++i)
    if (s.allowed_channels[i] <= s.allowed_channels[i - 1])
      v->fail("allowed_channels in ascending order");
  if (s.allowed_channels.back() != s.channels) v->fail("allowed_channels ending at channels");
}

void check_activation_channels(const Activation& a, int channels, const JsonValue& where) {
  if (a.kind == Activation::Kind::PReLU && a.slopes.size() != 1 &&
      static_cast<int>(a.slopes.size()) != channels)
    where.fail("PReLU with 1 or " + std::to_string(channels) + " (bottleneck) negative_slopes");
}

ArraySpec read_array_spec(const JsonValue& v) {
  JsonObject la = v.object();
  ArraySpec s;
  s.input_size = positive_int(la.get("input_size"));
  s.condition_size = positive_int(la.get("condition_size"));
  s.channels = positive_int(la.get("channels"), 4096);
  s.bottleneck = s.channels;
  if (auto b = la.find("bottleneck")) s.bottleneck = positive_int(*b, 4096);

  std::optional<JsonValue> head = la.find("head");
  std::optional<JsonValue> head_size = la.find("head_size");
  std::optional<JsonValue> head_bias = la.find("head_bias");
  if (head && !head->is_null()) {
    if (head_size || head_bias) head->fail("either head or head_size/head_bias, not both");
    JsonObject h = head->object();
    s.head_size = positive_int(h.get("out_channels"), 4096);
    s.head_kernel = positive_int(h.get("kernel_size"), 1024);
    s.head_bias = h.get("bias").boolean();
    h.finish();
  } else {
    if (!head_size) la.get("head_size");  // throws: one of the two is required
    s.head_size = positive_int(*head_size, 4096);
    s.head_bias = la.get("head_bias").boolean();
  }

  for (const JsonValue& d : la.get("dilations").items()) s.dilations.push_back(positive_int(d));
  if (s.dilations.empty()) v.fail("a layer array with at least one dilation");
  const int n = s.layers();
  std::optional<JsonValue> kernel = la.find("kernel_size");
  std::optional<JsonValue> kernels = la.find("kernel_sizes");
  if (kernel.has_value() == kernels.has_value())
    v.fail("exactly one of kernel_size and kernel_sizes");
  if (kernel)
    s.kernels.assign(static_cast<size_t>(n), positive_int(*kernel, 1024));
  else
    for (const JsonValue& k : per_layer(*kernels, n)) s.kernels.push_back(positive_int(k, 1024));

  for (const JsonValue& a : per_layer(la.get("activation"), n))
    s.activations.push_back(Activation::parse(a));
  read_gating(la, s);
  for (int l = 0; l < n; ++l) {
    check_activation_channels(s.activations[static_cast<size_t>(l)], s.bottleneck, v);
    if (s.gating[static_cast<size_t>(l)] != Gating::None)
      check_activation_channels(s.secondaries[static_cast<size_t>(l)], s.bottleneck, v);
  }

  if (auto g = la.find("groups_input")) s.groups_input = positive_int(*g);
  if (auto g = la.find("groups_input_mixin")) s.groups_mixin = positive_int(*g);
  if (auto l1 = la.find("layer1x1")) {
    JsonObject o = l1->object();
    s.layer1x1 = o.get("active").boolean();
    s.layer1x1_groups = positive_int(o.get("groups"));
    o.finish();
  }
  s.head1x1_out = s.channels;
  if (auto h1 = la.find("head1x1")) {
    JsonObject o = h1->object();
    s.head1x1 = o.get("active").boolean();
    s.head1x1_out = positive_int(o.get("out_channels"), 4096);
    s.head1x1_groups = positive_int(o.get("groups"));
    o.finish();
  }
  if (!s.layer1x1 && s.bottleneck != s.channels)
    v.fail("bottleneck equal to channels when layer1x1 is off");
  for (size_t i = 0; i < kFilmKeys.size(); ++i) s.films[i] = read_film(la, kFilmKeys[i]);
  if (s.films[Layer1x1Post].active && !s.layer1x1) v.fail("no layer1x1_post_film without layer1x1");
  if (s.films[Head1x1Post].active && !s.head1x1) v.fail("no head1x1_post_film without head1x1");
  read_slimmable(la, s);
  la.finish();
  return s;
}

// Tensors of the right shapes, zero until read.
LayerArray allocate(const ArraySpec& s) {
  LayerArray a;
  a.spec = s;
  a.rechannel = Conv::make(s.input_size, s.channels, 1, 1, 1, false);
  for (int l = 0; l < s.layers(); ++l) {
    Layer layer;
    const int z = s.z_rows(l);
    layer.conv = Conv::make(s.channels, z, s.kernels[static_cast<size_t>(l)],
                            s.dilations[static_cast<size_t>(l)], s.groups_input, true);
    layer.mixin = Conv::make(s.condition_size, z, 1, 1, s.groups_mixin, false);
    if (s.layer1x1)
      layer.layer1x1 = Conv::make(s.bottleneck, s.channels, 1, 1, s.layer1x1_groups, true);
    if (s.head1x1)
      layer.head1x1 = Conv::make(s.bottleneck, s.head1x1_out, 1, 1, s.head1x1_groups, true);
    for (size_t f = 0; f < kFilmKeys.size(); ++f) {
      const FilmSpec& fs = s.films[f];
      if (!fs.active) continue;
      Film& film = layer.films[f];
      film.active = true;
      film.shift = fs.shift;
      film.groups = fs.groups;
      film.dim = s.film_dim(static_cast<FilmSite>(f), l);
      film.conv =
          Conv::make(s.condition_size, (fs.shift ? 2 : 1) * film.dim, 1, 1, fs.groups, true);
    }
    a.layers.push_back(std::move(layer));
  }
  a.head = Conv::make(s.head_input(), s.head_size, s.head_kernel, 1, 1, s.head_bias);
  return a;
}

// NAM's order: the rechannel; per layer its dilated conv (weights, bias), input mixin, layer1x1,
// head1x1, then the active FiLMs in kFilmKeys order; last the array's head conv.
void read_weights(LayerArray& a, WeightReader& r) {
  a.rechannel.read(r);
  for (Layer& layer : a.layers) {
    layer.conv.read(r);
    layer.mixin.read(r);
    if (a.spec.layer1x1) layer.layer1x1.read(r);
    if (a.spec.head1x1) layer.head1x1.read(r);
    for (Film& f : layer.films)
      if (f.active) f.conv.read(r);
  }
  a.head.read(r);
}

void add_into(Signal& into, const Signal& x) {
  for (size_t c = 0; c < into.size(); ++c)
    for (size_t t = 0; t < into[c].size(); ++t) into[c][t] += x[c][t];
}

// z: (2B or B, T) -> the activated (B, T).
Signal activate(const Signal& z, const Activation& act, const Activation& secondary, Gating gating,
                int bottleneck) {
  Signal u = zeros(bottleneck, z.empty() ? 0 : static_cast<long>(z[0].size()));
  for (int c = 0; c < bottleneck; ++c)
    for (size_t t = 0; t < u[static_cast<size_t>(c)].size(); ++t) {
      const double x = z[static_cast<size_t>(c)][t];
      double& y = u[static_cast<size_t>(c)][t];
      if (gating == Gating::None) {
        y = act(x, c);
      } else {
        const double g = secondary(z[static_cast<size_t>(bottleneck + c)][t], c);
        // Gated: the activation times the gate. Blended: the gate mixes activated and raw.
        y = gating == Gating::Gated ? act(x, c) * g : g * act(x, c) + (1.0 - g) * x;
      }
    }
  return u;
}

struct ArrayOutput {
  Signal layers;  // (channels, T): the last layer's residual output
  Signal head;    // (head_size, T)
};

ArrayOutput run_array(const LayerArray& a, const Signal& input, const Signal& cond,
                      const Signal* head_in) {
  const ArraySpec& s = a.spec;
  const long T = static_cast<long>(input[0].size());
  Signal h = a.rechannel.apply(input);
  Signal acc = head_in ? *head_in : zeros(s.head_input(), T);
  for (int l = 0; l < s.layers(); ++l) {
    const Layer& layer = a.layers[static_cast<size_t>(l)];
    const auto& f = layer.films;
    Signal z = layer.conv.apply(f[ConvPre].active ? f[ConvPre].apply(h, cond) : h);
    if (f[ConvPost].active) z = f[ConvPost].apply(z, cond);
    Signal m = layer.mixin.apply(f[MixinPre].active ? f[MixinPre].apply(cond, cond) : cond);
    if (f[MixinPost].active) m = f[MixinPost].apply(m, cond);
    add_into(z, m);
    if (f[ActivationPre].active) z = f[ActivationPre].apply(z, cond);
    const Gating gating = s.gating[static_cast<size_t>(l)];
    Signal u = activate(z, s.activations[static_cast<size_t>(l)],
                        s.secondaries[static_cast<size_t>(l)], gating, s.bottleneck);
    if (f[ActivationPost].active) u = f[ActivationPost].apply(u, cond);
    if (s.layer1x1) {
      Signal r = layer.layer1x1.apply(u);
      // NAM's runtime applies layer1x1_post_film only in blended layers; in the others the
      // FiLM's weights are read and unused (docs/model_format.md, "Uncertain points").
      if (f[Layer1x1Post].active && gating == Gating::Blended) r = f[Layer1x1Post].apply(r, cond);
      add_into(h, r);
    }
    if (s.head1x1) {
      Signal hh = layer.head1x1.apply(u);
      if (f[Head1x1Post].active) hh = f[Head1x1Post].apply(hh, cond);
      add_into(acc, hh);
    } else {
      add_into(acc, u);
    }
  }
  return {std::move(h), a.head.apply(acc)};
}

int channels_at(double slim, const std::vector<int>& allowed) {
  const int n = static_cast<int>(allowed.size());
  const int index = std::clamp(static_cast<int>(std::floor(slim * n)), 0, n - 1);
  return allowed[static_cast<size_t>(index)];
}

class WaveNet final : public Node, public std::enable_shared_from_this<WaveNet> {
 public:
  WaveNet(int in_channels, std::vector<LayerArray> arrays, double head_scale,
          std::shared_ptr<const Node> cond)
      : in_channels_(in_channels),
        arrays_(std::move(arrays)),
        head_scale_(head_scale),
        condition_dsp_(std::move(cond)) {}

  int in_channels() const override { return in_channels_; }
  int out_channels() const override { return arrays_.back().spec.head_size; }

  Signal forward(const Signal& x) const override {
    const Signal cond = condition_dsp_ ? condition_dsp_->forward(x) : x;
    Signal layers = x, head;
    for (size_t i = 0; i < arrays_.size(); ++i) {
      ArrayOutput o = run_array(arrays_[i], layers, cond, i == 0 ? nullptr : &head);
      layers = std::move(o.layers);
      head = std::move(o.head);
    }
    for (auto& channel : head)
      for (double& y : channel) y *= head_scale_;
    return head;
  }

  // One sample, plus everything each layer array looks back (its dilated convs and head conv),
  // plus what the condition model needs before its output is settled.
  long prewarm_samples() const override {
    long n = condition_dsp_ ? condition_dsp_->prewarm_samples() : 1;
    for (const LayerArray& a : arrays_) {
      for (int l = 0; l < a.spec.layers(); ++l)
        n += static_cast<long>(a.spec.dilations[static_cast<size_t>(l)]) *
             (a.spec.kernels[static_cast<size_t>(l)] - 1);
      n += a.spec.head_kernel - 1;
    }
    return n;
  }

  std::vector<double> size_breakpoints() const override {
    std::vector<double> b;
    for (const LayerArray& a : arrays_)
      for (size_t i = 1; i < a.spec.allowed_channels.size(); ++i)
        b.push_back(static_cast<double>(i) / static_cast<double>(a.spec.allowed_channels.size()));
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
    return b;
  }

  std::shared_ptr<const Node> at_size(double slim) const override {
    std::vector<int> target;
    bool full = true;
    for (const LayerArray& a : arrays_) {
      target.push_back(a.spec.allowed_channels.empty()
                           ? a.spec.channels
                           : channels_at(slim, a.spec.allowed_channels));
      full = full && target.back() == a.spec.channels;
    }
    if (full) return shared_from_this();
    return slimmed(target);
  }

  std::string describe() const override {
    std::string s = "WaveNet";
    if (condition_dsp_) s += " (condition_dsp: " + condition_dsp_->describe() + ")";
    for (const LayerArray& a : arrays_) {
      s += "; array: " + std::to_string(a.spec.layers()) + " layers, channels " +
           std::to_string(a.spec.channels) + ", bottleneck " + std::to_string(a.spec.bottleneck) +
           ", head " + std::to_string(a.spec.head_size) + " (kernel " +
           std::to_string(a.spec.head_kernel) + ")";
      if (!a.spec.allowed_channels.empty()) s += ", slimmable";
    }
    return s + "; head_scale " + format_number(head_scale_);
  }

 private:
  // A narrower WaveNet: array i keeps its first target[i] channels (and a bottleneck in the same
  // proportion, at least 1), its inputs follow the previous array's width and an inner array's
  // head follows the next array's width; every tensor is the top-left corner of the full one.
  std::shared_ptr<const Node> slimmed(const std::vector<int>& target) const {
    std::vector<LayerArray> out;
    const size_t n = arrays_.size();
    for (size_t i = 0; i < n; ++i) {
      const LayerArray& full = arrays_[i];
      ArraySpec s = full.spec;
      if (s.head_kernel != 1 || s.groups_input != 1 || s.groups_mixin != 1 ||
          (s.layer1x1 && s.layer1x1_groups != 1) || (s.head1x1 && s.head1x1_groups != 1))
        throw InputError("slimming is defined only for arrays with a 1x1 head and no groups");
      s.channels = target[i];
      s.bottleneck = full.spec.layer1x1
                         ? std::max(1, full.spec.bottleneck * target[i] / full.spec.channels)
                         : target[i];
      if (i > 0) s.input_size = target[i - 1];
      if (i + 1 < n) s.head_size = target[i + 1];
      if (!s.head1x1) s.head1x1_out = s.channels;
      LayerArray a = allocate(s);
      a.rechannel = full.rechannel.corner(s.channels, s.input_size);
      for (size_t l = 0; l < a.layers.size(); ++l) {
        const Layer& from = full.layers[l];
        Layer& to = a.layers[l];
        to.conv = from.conv.corner(to.conv.out, s.channels);
        to.mixin = from.mixin.corner(to.mixin.out, s.condition_size);
        if (s.layer1x1) to.layer1x1 = from.layer1x1.corner(s.channels, s.bottleneck);
        if (s.head1x1) to.head1x1 = from.head1x1.corner(s.head1x1_out, s.bottleneck);
        for (size_t f = 0; f < kFilmKeys.size(); ++f)
          if (to.films[f].active)
            to.films[f].conv = from.films[f].conv.corner(to.films[f].conv.out, s.condition_size);
      }
      a.head = full.head.corner(s.head_size, s.head_input());
      a.spec.allowed_channels.clear();
      out.push_back(std::move(a));
    }
    return std::make_shared<WaveNet>(in_channels_, std::move(out), head_scale_, condition_dsp_);
  }

  int in_channels_;
  std::vector<LayerArray> arrays_;
  double head_scale_;
  std::shared_ptr<const Node> condition_dsp_;
};

}  // namespace

std::shared_ptr<const Node> read_wavenet(JsonObject& config, WeightReader& weights) {
  const JsonValue& where = config.value();
  int in_channels = 1;
  if (auto v = config.find("in_channels")) in_channels = positive_int(*v, 64);
  std::shared_ptr<const Node> cond;
  if (auto v = config.find("condition_dsp"); v && !v->is_null()) {
    cond = read_model(*v);
    if (cond->in_channels() != in_channels)
      v->fail("a condition model taking the WaveNet's input channels");
  }
  if (auto head = config.find("head"); head && !head->is_null())
    head->fail("null (a post-stack head is in no file we can check against; refused)");
  // The config's head_scale is informative only: NAM's runtime takes the last weight instead.
  config.get("head_scale").number();

  std::vector<LayerArray> arrays;
  for (const JsonValue& la : config.get("layers").items())
    arrays.push_back(allocate(read_array_spec(la)));
  if (arrays.empty()) where.fail("at least one layer array");
  const int condition_channels = cond ? cond->out_channels() : in_channels;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const ArraySpec& s = arrays[i].spec;
    const std::string which = "layers[" + std::to_string(i) + "]";
    if (s.condition_size != condition_channels)
      throw input_error(where.file(), which + ".condition_size", std::to_string(condition_channels),
                        std::to_string(s.condition_size));
    const int expected_input = i == 0 ? in_channels : arrays[i - 1].spec.channels;
    if (s.input_size != expected_input)
      throw input_error(where.file(), which + ".input_size", std::to_string(expected_input),
                        std::to_string(s.input_size));
    // The previous array's head output seeds this array's head accumulator, and NAM also asks
    // this array's channels to match it.
    if (i > 0 && (arrays[i - 1].spec.head_size != s.head_input() ||
                  arrays[i - 1].spec.head_size != s.channels))
      throw input_error(where.file(), which,
                        "channels and head input equal to the previous head_size (" +
                            std::to_string(arrays[i - 1].spec.head_size) + ")",
                        std::to_string(s.channels) + " and " + std::to_string(s.head_input()));
  }
  for (LayerArray& a : arrays) read_weights(a, weights);
  const double head_scale = weights.next();
  weights.finish("this WaveNet");
  return std::make_shared<WaveNet>(in_channels, std::move(arrays), head_scale, std::move(cond));
}

}  // namespace namk::reference
