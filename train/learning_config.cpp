// See learning_config.h. One table per struct lists every key with its range and meaning; parsing,
// writing and documentation all walk the same table, so a key cannot be added to one and not the
// others, and each default lives only in the struct's member initialiser.
#include "train/learning_config.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <variant>
#include <vector>

#include "base/json.h"

namespace namk {

namespace {

template <class T>
struct Field {
  const char* key;
  std::variant<int64_t T::*, double T::*, uint64_t T::*> member;
  double min, max;
  const char* help;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<Field<LearningConfig>>& learning_fields() {
  using C = LearningConfig;
  static const std::vector<Field<C>> fields = {
      {"epochs", &C::epochs, 1, 1e9, "passes over the training data"},
      {"batch_size", &C::batch_size, 1, 1e6, "items (windows of ny samples) per optimiser step"},
      {"steps_per_epoch", &C::steps_per_epoch, 0, 1e9,
       "optimiser steps per epoch; 0 covers the training audio once"},
      {"lr", &C::lr, 0, 10, "Adam learning rate at epoch 0"},
      {"lr_decay", &C::lr_decay, 0, 1, "learning rate factor per epoch (exponential schedule)"},
      {"adam_beta1", &C::adam_beta1, 0, 1, "Adam first-moment decay"},
      {"adam_beta2", &C::adam_beta2, 0, 1, "Adam second-moment decay"},
      {"adam_eps", &C::adam_eps, 0, 1, "Adam epsilon, added to sqrt(v_hat)"},
      {"weight_decay", &C::weight_decay, 0, 1, "decoupled (AdamW) weight decay"},
      {"grad_clip", &C::grad_clip, 0, kInf, "maximum global gradient norm; 0 turns clipping off"},
      {"ema_decay", &C::ema_decay, 0, 0.999999,
       "per-step decay of the weights' moving average that validation and the saved model use; 0 uses the raw weights"},
      {"seed", &C::seed, 0, 1.8e19, "seed of initial weights and batch sampling"},
      {"threads", &C::threads, 0, 4096, "training threads; 0 uses every core"},
      {"patience", &C::patience, 0, 1e9,
       "stop after this many epochs without a better validation ESR; 0 turns it off"},
      {"target_esr", &C::target_esr, 0, kInf,
       "stop once validation ESR reaches this; 0 turns it off"},
      {"checkpoint_every", &C::checkpoint_every, 1, 1e9, "epochs between checkpoints"},
  };
  return fields;
}

const std::vector<Field<LossWeights>>& loss_fields() {
  using L = LossWeights;
  static const std::vector<Field<L>> fields = {
      {"mse", &L::mse, 0, kInf, "weight of the mean squared error"},
      {"esr", &L::esr, 0, kInf, "weight of the error-to-signal ratio of each item"},
      {"setting_esr", &L::setting_esr, 0, kInf,
       "weight of MSE over the mean square of the item's whole knob setting (loudness-fair, stable)"},
      {"dc", &L::dc, 0, kInf, "weight of the DC loss"},
      {"mrstft", &L::mrstft, 0, kInf, "weight of the multi-resolution STFT loss"},
      {"pre_emphasis_esr", &L::pre_emphasis_esr, 0, kInf, "weight of ESR on pre-emphasised signals"},
      {"pre_emphasis_mrstft", &L::pre_emphasis_mrstft, 0, kInf,
       "weight of the MRSTFT loss on pre-emphasised signals"},
      {"pre_emphasis_coef", &L::pre_emphasis_coef, 0, 1, "pre-emphasis filter y[n] - c*y[n-1]"},
      {"knob_smoothness", &L::knob_smoothness, 0, kInf,
       "weight of the output's curvature along a knob (second difference, over the setting's mean square): smooth interpolation between recorded settings; 0 turns it off"},
      {"knob_step", &L::knob_step, 1e-3, 0.5, "knob_smoothness's step, as a fraction of the knob's range"},
      {"knob_window", &L::knob_window, 1, 1e6,
       "targets per item that knob_smoothness looks at (its cost: two more forward passes, each over this many samples and the receptive field)"},
  };
  return fields;
}

template <class T>
void read_fields(const Json& object, const std::vector<Field<T>>& fields, T& out) {
  for (const auto& f : fields) {
    auto value = object.find(f.key);
    if (!value) continue;
    const std::string range = "a number in [" + std::to_string(f.min) + ", " + std::to_string(f.max) + "]";
    std::visit(
        [&](auto member) {
          using V = std::remove_reference_t<decltype(out.*member)>;
          double x;
          if constexpr (std::is_same_v<V, double>) {
            x = value->number();
          } else {
            x = static_cast<double>(value->integer());
          }
          if (!(x >= f.min && x <= f.max)) throw value->error(range);
          out.*member = static_cast<V>(x);
        },
        f.member);
  }
}

template <class T>
std::vector<const char*> keys_of(const std::vector<Field<T>>& fields) {
  std::vector<const char*> keys;
  for (const auto& f : fields) keys.push_back(f.key);
  return keys;
}

template <class T>
std::string format_value(const T& object, const Field<T>& f) {
  return std::visit(
      [&](auto member) {
        char text[64];
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(object.*member)>, double>) {
          // The shortest text that reads back as the same double: 0.004, not 0.0040000000000000001.
          for (int digits = 1; digits <= 17; ++digits) {
            std::snprintf(text, sizeof text, "%.*g", digits, object.*member);
            if (std::strtod(text, nullptr) == object.*member) break;
          }
        } else
          std::snprintf(text, sizeof text, "%lld", static_cast<long long>(object.*member));
        return std::string(text);
      },
      f.member);
}

template <class T>
std::string write_fields(const T& object, const std::vector<Field<T>>& fields, const char* indent) {
  std::string text;
  for (const auto& f : fields)
    text += std::string(text.empty() ? "" : ",\n") + indent + json_quote(f.key) + ": " +
            format_value(object, f);
  return text;
}

// Json::allow_only takes a literal list; these key lists come from the tables.
void reject_unknown_keys(const Json& object, const std::vector<const char*>& keys) {
  for (const auto& key : object.keys()) {
    bool known = false;
    for (const char* k : keys) known = known || key == k;
    if (known) continue;
    std::string list;
    for (const char* k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
    throw object[key].error("one of the keys " + list, "the unknown key \"" + key + "\"");
  }
}

LearningConfig from_json(const Json& root) {
  if (!root.is_object()) throw root.error("an object of learning settings");
  auto keys = keys_of(learning_fields());
  keys.push_back("loss");
  reject_unknown_keys(root, keys);
  LearningConfig config;
  read_fields(root, learning_fields(), config);
  if (auto loss = root.find("loss")) {
    if (!loss->is_object()) throw loss->error("an object of loss weights");
    reject_unknown_keys(*loss, keys_of(loss_fields()));
    read_fields(*loss, loss_fields(), config.loss);
  }
  return config;
}

}  // namespace

LearningConfig load_learning_config(const std::string& path) {
  return from_json(Json::parse_file(path));
}

LearningConfig parse_learning_config(const std::string& text, const std::string& name) {
  return from_json(Json::parse_string(text, name));
}

std::string learning_config_json(const LearningConfig& config) {
  return "{\n" + write_fields(config, learning_fields(), "  ") + ",\n  \"loss\": {\n" +
         write_fields(config.loss, loss_fields(), "    ") + "\n  }\n}\n";
}

std::string learning_config_docs() {
  std::string text = "| key | default | meaning |\n|---|---|---|\n";
  const LearningConfig defaults;
  for (const auto& f : learning_fields())
    text += "| `" + std::string(f.key) + "` | " + format_value(defaults, f) + " | " + f.help + " |\n";
  for (const auto& f : loss_fields())
    text += "| `loss." + std::string(f.key) + "` | " + format_value(defaults.loss, f) + " | " +
            f.help + " |\n";
  return text;
}

}  // namespace namk
