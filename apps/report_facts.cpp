// See report_facts.h.
#include "apps/report_facts.h"

#include <cstdio>
#include <ctime>

#include "apps/common_options.h"
#include "base/error.h"
#include "data/data_config.h"
#include "train/progress.h"

namespace namk::app {

namespace {

std::string number(const char* format, double v) {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

}  // namespace

std::string command_line(const std::string& command, const Words& argv) {
  std::string out = "nam-knobs " + command;
  for (const std::string& w : argv) {
    const bool plain = !w.empty() && w.find_first_not_of(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,@+") == std::string::npos;
    if (plain) {
      out += " " + w;
      continue;
    }
    std::string quoted = "'";
    for (char c : w) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += " " + quoted + "'";
  }
  return out;
}

std::string dataset_fact(const KnobDataset& data) {
  double train_samples = 0;
  for (const Segment& s : data.train) train_samples += static_cast<double>(s.length);
  std::string out = std::to_string(data.entries.size()) + " recorded settings (" + std::to_string(data.test.size()) +
                    " held out), " + number("%.1f", train_samples / data.sample_rate) + " s of training audio at " +
                    std::to_string(data.sample_rate) + " Hz";
  for (size_t k = 0; k < data.knobs.size(); ++k) {
    const KnobSpec& knob = data.knobs[k];
    out += (k ? ", " : "; knobs: ") + knob.name + " " + number("%g", knob.min) + " to " + number("%g", knob.max) +
           " (default " + number("%g", knob.default_value) + (knob.units.empty() ? "" : " " + knob.units) + ")";
  }
  return out;
}

std::string model_fact(const std::string& description, const Model& model) {
  return description + ": " + std::to_string(model.num_params()) + " parameters, receptive field " +
         std::to_string(model.receptive_field()) + " samples, " + std::to_string(model.knobs().size()) + " knobs";
}

std::string recipe_fact(const LearningConfig& c, long long ny) {
  std::string out = std::to_string(c.epochs) + " epochs x " +
                    (c.steps_per_epoch > 0 ? std::to_string(c.steps_per_epoch) : std::string("one pass of")) +
                    " steps x batch " + std::to_string(c.batch_size) + " x " + std::to_string(ny) + " samples; lr " +
                    number("%g", c.lr) + " x " + number("%g", c.lr_decay) + " per epoch; loss";
  const std::pair<const char*, double> terms[] = {
      {"mse", c.loss.mse}, {"esr", c.loss.esr}, {"setting_esr", c.loss.setting_esr}, {"dc", c.loss.dc},
      {"mrstft", c.loss.mrstft}, {"pre_emphasis_esr", c.loss.pre_emphasis_esr},
      {"pre_emphasis_mrstft", c.loss.pre_emphasis_mrstft}};
  for (const auto& [name, weight] : terms)
    if (weight != 0) out += std::string(" ") + name + " " + number("%g", weight);
  return out + "; seed " + std::to_string(c.seed);
}

void add_log_facts(Facts& facts, const std::vector<EpochRow>& rows) {
  if (rows.empty()) return;
  const EpochRow& last = rows.back();
  facts.push_back({"Epochs logged", std::to_string(last.epoch)});
  facts.push_back({"Training time", format_duration(last.elapsed_s)});
  facts.push_back({"Speed", number("%.0f", last.samples_per_s) + " samples/s (training targets, whole run)"});
}

namespace {

void check_knobs_match(const Model& model, const KnobDataset& data, const std::string& data_path) {
  if (data.knobs.size() != model.knobs().size())
    throw input_error(data_path, "knobs", std::to_string(model.knobs().size()) + " (the model's)",
                      std::to_string(data.knobs.size()));
  for (size_t k = 0; k < data.knobs.size(); ++k)
    if (data.knobs[k].name != model.knobs()[k].name)
      throw input_error(data_path, "knobs[" + std::to_string(k) + "]", "\"" + model.knobs()[k].name + "\" (the model's)",
                        "\"" + data.knobs[k].name + "\"");
}

}  // namespace

ModelOnData load_model_on_data(const Args& args) {
  ModelOnData read{load_model(args.require("model")), {}};
  const std::string data_path = args.require("data");
  read.data = load_knob_dataset(read_data_config(data_path), read.loaded.model->receptive_field(), warn_on_stderr);
  check_knobs_match(*read.loaded.model, read.data, data_path);
  return read;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

}  // namespace namk::app
