// The "facts" lines of report.html that `train` and `report` share: the command line, the dataset,
// the model and the training recipe, written the same way by both commands; and the model and
// data that `eval` and `report` both measure.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "apps/args.h"
#include "apps/commands.h"
#include "data/knob_dataset.h"
#include "nn/model.h"
#include "nn/model_file.h"
#include "report/report_data.h"
#include "train/learning_config.h"

namespace namk::app {

using Facts = std::vector<std::pair<std::string, std::string>>;

// "nam-knobs train --data 'my amp/data.json' ...", quoting words a shell would split.
std::string command_line(const std::string& command, const Words& argv);
// "15 settings (2 held out), 21.6 s of training audio at 48000 Hz; knobs: gain 0-10 (default 5), ..."
std::string dataset_fact(const KnobDataset& data);
// "preset nano: 1,234 parameters, receptive field 1023 samples"
std::string model_fact(const std::string& description, const Model& model);
// "15 epochs x 32 steps x batch 16 x 8192 samples; lr 0.005 x 0.88 per epoch; loss setting_esr 1; seed 0"
std::string recipe_fact(const LearningConfig& config, long long ny);
// Time, speed and the epoch count from the log's last row (nothing when the log is empty).
void add_log_facts(Facts& facts, const std::vector<EpochRow>& rows);
// The model file of --model and the dataset of --data, read for eval and report. They measure a
// model only on the data it was made for: InputError naming the data file when the dataset's
// knobs are not the model's (count, names, order).
struct ModelOnData {
  LoadedModel loaded;
  KnobDataset data;
};
ModelOnData load_model_on_data(const Args& args);
// "2026-12-04 06:10 UTC"
std::string utc_now();

}  // namespace namk::app
