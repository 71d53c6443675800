// nam-knobs report: the page `train` writes (report.html), made from a saved model and a dataset:
// ESR per knob setting, the best and worst settings against the recording, the knobs' responses,
// and the training curves when the model's folder holds the training_log.csv of its run.
#include <cstdio>
#include <filesystem>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/common_options.h"
#include "base/error.h"

#include "apps/report_facts.h"
#include "nn/model_file.h"
#include "report/build_report.h"
#include "train/learning_config.h"

namespace namk::app {

int cmd_report(const Words& argv) {
  const std::vector<OptionSpec> specs = {
      kModelFileOption,
      kDataOption,
      {"out", true, "the HTML file to write (e.g. report.html)"},
      kThreadsOption,
  };
  const Args args("report", argv, specs);
  namespace fs = std::filesystem;
  const std::string model_path = args.require("model"), data_path = args.require("data"), out = args.require("out");
  const int threads = resolve_threads(threads_option(args, 0));
  const ModelOnData read = load_model_on_data(args);
  const Model& model = *read.loaded.model;
  const KnobDataset& data = read.data;

  ReportData report;
  report.title = "Model report: " + fs::path(model_path).filename().string();
  report.status = "finished";
  report.facts = {{"Command", command_line("report", argv)},
                  {"Data", data_path + ": " + dataset_fact(data)},
                  {"Model", model_fact(model_path, model)}};
  // The run's folder, when the model sits in one: its log and its learning config.
  const fs::path folder = fs::path(model_path).parent_path();
  const std::string log = (folder / "training_log.csv").string();
  if (fs::exists(log)) {
    report.epochs = read_training_log(log);
    report.best_epoch = best_logged_epoch(report.epochs);
    if (fs::exists(folder / "learning.json"))
      report.facts.push_back({"Recipe", recipe_fact(load_learning_config((folder / "learning.json").string()), data.ny)});
    add_log_facts(report.facts, report.epochs);
  }
  add_model_analysis(report, model, data, evaluate_validation(model, data, threads), evaluate_test(model, data, threads),
                     threads);
  report.facts.push_back({"Written", utc_now()});
  write_report(out, report);
  std::printf("report: %s\n", out.c_str());
  return 0;
}

}  // namespace namk::app
