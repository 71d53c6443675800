// The learning config (configs/learning/*.json): how long and how to train. Every key and its
// default is declared once, in learning_config.cpp's table, which also produces the documentation
// in configs/README.md's "Learning config" section. Unknown keys are errors.
#pragma once

#include <cstdint>
#include <string>

namespace namk {

struct LossWeights {
  double mse = 1.0;
  double esr = 0.0;
  // MSE divided by the mean square of the item's knob setting over all its training audio: every
  // setting weighs the same however loud it is, without per-item ESR's blow-ups on quiet windows.
  double setting_esr = 0.0;
  double dc = 0.0;
  double mrstft = 0.0;
  double pre_emphasis_esr = 0.0;     // ESR of pre-emphasised signals
  double pre_emphasis_mrstft = 2e-4;  // NAM's default recipe: MSE + 2e-4 x MRSTFT(pre-emphasised)
  double pre_emphasis_coef = 0.85;
  // Knob smoothness (train/knob_smoothness.h): weight of the output's curvature along one knob,
  // the second difference y(k + h) - 2 y(k) + y(k - h) with h = knob_step x the knob's range, over
  // the first knob_window targets of each item. Penalises wiggles between recorded settings, not
  // the knob's effect itself. 0: off (a model without knobs ignores it).
  double knob_smoothness = 0.0;
  double knob_step = 0.1;
  int64_t knob_window = 1024;
};

struct LearningConfig {
  int64_t epochs = 100;
  int64_t batch_size = 16;
  int64_t steps_per_epoch = 0;  // 0: enough batches to cover the training audio once
  double lr = 0.004;
  double lr_decay = 0.993;      // per epoch, exponential
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_eps = 1e-8;
  double weight_decay = 0.0;
  double grad_clip = 0.0;       // max global gradient norm; 0: off
  double ema_decay = 0.999;     // moving average of the weights for validation and export; 0: off
  uint64_t seed = 0;
  int64_t threads = 0;          // 0: every core
  int64_t patience = 0;         // early stopping after this many epochs without improvement; 0: off
  double target_esr = 0.0;      // stop once the validation ESR is at or below this; 0: off
  int64_t checkpoint_every = 1; // epochs between checkpoints
  LossWeights loss;
};

// Reads and validates a learning config file; errors name the file and key.
LearningConfig load_learning_config(const std::string& path);
// The same from text (name is what errors call it).
LearningConfig parse_learning_config(const std::string& text, const std::string& name);

// The config as JSON with every key (what the trainer copies into its output folder).
std::string learning_config_json(const LearningConfig& config);

// Markdown table of every key, its default and meaning.
std::string learning_config_docs();

}  // namespace namk
