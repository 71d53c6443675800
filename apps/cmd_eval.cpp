// nam-knobs eval: how good a model is on a dataset, per knob setting: ESR, pre-emphasised ESR,
// multi-resolution STFT distance, and the DC the model puts out for silence; then a summary per
// split (train / validation / test). --json prints the same as one JSON document.
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/common_options.h"
#include "base/error.h"
#include "nn/model_file.h"

#include "apps/report_facts.h"
#include "base/json.h"
#include "core/ops.h"
#include "data/knob_dataset.h"
#include "train/losses.h"
#include "train/mrstft_loss.h"
#include "train/predictor.h"
#include "train/trainer.h"

namespace namk::app {

namespace {

struct Row {
  std::string split, knobs;
  double seconds = 0, esr = 0, pre_emphasis_esr = 0, mrstft = 0, dc = 0;
};

constexpr double kPreEmphasis = 0.85;  // NAM's coefficient

Row measure(const Model& model, Predictor& predictor, const BatchItem& item) {
  Row row;
  std::vector<float> prediction(item.y.size());
  predictor.run(item.x, item.knobs, prediction);
  const Index n = static_cast<Index>(prediction.size());
  Tape t;
  Var p = t.output(1, n, false), y = t.output(1, n, false);
  t.value(p) = Eigen::Map<const Eigen::RowVectorXf>(prediction.data(), n).cast<Scalar>();
  t.value(y) = Eigen::Map<const Eigen::RowVectorXf>(item.y.data(), n).cast<Scalar>();
  row.esr = esr(t.value(p), t.value(y));
  Var pe = pre_emphasis(t, p, Scalar(kPreEmphasis)), ye = pre_emphasis(t, y, Scalar(kPreEmphasis));
  row.pre_emphasis_esr = esr(t.value(pe), t.value(ye));
  row.mrstft = n > 1024 ? static_cast<double>(t.value(mrstft_loss(t, p, y))(0, 0)) : std::nan("");
  // DC for silence: one second of zeros after a receptive field of zeros.
  const Index nx = model.receptive_field(), quiet = static_cast<Index>(model.sample_rate());
  std::vector<float> zeros(static_cast<size_t>(quiet + nx - 1)), out(static_cast<size_t>(quiet));
  predictor.run(zeros, item.knobs, out);
  double sum = 0;
  for (float v : out) sum += v;
  row.dc = sum / static_cast<double>(quiet);
  row.seconds = static_cast<double>(n) / model.sample_rate();
  return row;
}

std::string json_number(double x) {
  if (!std::isfinite(x)) return "null";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", x);
  return text;
}

}  // namespace

int cmd_eval(const Words& argv) {
  const std::vector<OptionSpec> specs = {
      kModelFileOption, kDataOption, kThreadsOption, kJsonOption,
  };
  const Args args("eval", argv, specs);
  const ModelOnData read = load_model_on_data(args);
  const Model& model = *read.loaded.model;
  const KnobDataset& data = read.data;

  Predictor predictor(model, resolve_threads(threads_option(args, 0)));
  std::vector<Row> rows;
  const std::pair<const char*, const std::vector<Segment>*> splits[] = {
      {"train", &data.train}, {"validation", &data.validation}, {"test", &data.test}};
  for (const auto& [name, segments] : splits)
    for (const Segment& s : *segments) {
      Row row = measure(model, predictor, data.whole(s));
      row.split = name;
      row.knobs = knob_label(data, data.entries[static_cast<size_t>(s.entry)].spec.knob_values);
      rows.push_back(row);
    }

  std::map<std::string, std::pair<double, int>> summary;  // split -> (sum of ESR, count)
  for (const Row& r : rows) {
    summary[r.split].first += r.esr;
    summary[r.split].second += 1;
  }
  if (args.has("json")) {
    std::printf("{\"model\": %s, \"data\": %s, \"entries\": [", json_quote(args.require("model")).c_str(),
                json_quote(args.require("data")).c_str());
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      std::printf("%s\n  {\"split\": \"%s\", \"knobs\": %s, \"seconds\": %s, \"esr\": %s, \"pre_emphasis_esr\": %s, "
                  "\"mrstft\": %s, \"dc_for_silence\": %s}",
                  i ? "," : "", r.split.c_str(), json_quote(r.knobs).c_str(), json_number(r.seconds).c_str(),
                  json_number(r.esr).c_str(), json_number(r.pre_emphasis_esr).c_str(),
                  json_number(r.mrstft).c_str(), json_number(r.dc).c_str());
    }
    std::printf("\n], \"summary\": {");
    bool first = true;
    for (const auto& [split, acc] : summary) {
      std::printf("%s\"%s\": {\"mean_esr\": %s, \"entries\": %d}", first ? "" : ", ", split.c_str(),
                  json_number(acc.first / acc.second).c_str(), acc.second);
      first = false;
    }
    std::printf("}}\n");
    return 0;
  }
  std::printf("%-10s %-26s %7s %9s %9s %9s %10s\n", "split", "knobs", "seconds", "ESR", "ESR(pre)", "MRSTFT",
              "DC(quiet)");
  for (const Row& r : rows)
    std::printf("%-10s %-26s %7.1f %9.4f %9.4f %9.4f %10.2e\n", r.split.c_str(), r.knobs.c_str(), r.seconds,
                r.esr, r.pre_emphasis_esr, r.mrstft, r.dc);
  for (const auto& [split, acc] : summary)
    std::printf("%s: mean ESR %.4f over %d settings\n", split.c_str(), acc.first / acc.second, acc.second);
  return 0;
}

}  // namespace namk::app
