// See trainer.h. The loop, outermost first: epochs -> optimiser steps -> batch items shared out
// to ranks, then to each rank's OpenMP threads (train/train_step.h) -> one tape per item, cleared
// and reused.
#include "train/trainer.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/atomic_file.h"
#include "base/error.h"
#include "data/sampler.h"
#include "core/esr.h"
#include "train/adam.h"
#include "train/checkpoint.h"
#include "train/losses.h"
#include "train/predictor.h"
#include "train/train_step.h"
#include "train/weight_average.h"

namespace namk {

namespace {

constexpr int kBadStepsBeforeRestore = 3;

std::string csv_path(const TrainOptions& o) { return o.out_dir + "/training_log.csv"; }
std::string checkpoint_path(const TrainOptions& o) { return o.out_dir + "/checkpoint.bin"; }

constexpr const char* kCsvHeader =
    "epoch,train_loss,validation_esr,best_validation_esr,lr,elapsed_s,samples_per_s,skipped_steps";

// Keeps the log's lines for epochs before `epoch` (a resumed run logs the rest again).
void truncate_log(const std::string& path, int64_t epoch) {
  std::ifstream in(path);
  std::string text = std::string(kCsvHeader) + "\n", line;
  std::getline(in, line);  // header
  while (std::getline(in, line))
    if (!line.empty() && std::stoll(line) < epoch + 1) text += line + "\n";
  write_text_atomically(path, text);
}

// The validation ESR column of the log, one value per epoch.
std::vector<double> logged_validation(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<double> esr;
  while (std::getline(in, line)) {
    const size_t a = line.find(','), b = line.find(',', a + 1), c = line.find(',', b + 1);
    if (c != std::string::npos) esr.push_back(std::stod(line.substr(b + 1, c - b - 1)));
  }
  return esr;
}

void append_log(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
}

}  // namespace

std::string knob_label(const KnobDataset& data, const std::vector<double>& values) {
  std::ostringstream s;
  for (size_t k = 0; k < values.size(); ++k)
    s << (k ? " " : "") << data.knobs[k].name << "=" << values[k];
  return s.str();
}

int resolve_threads(int64_t requested) {
  return requested > 0 ? static_cast<int>(requested) : omp_get_num_procs();
}

EvalResult evaluate(const Model& model, const KnobDataset& data,
                    const std::vector<BatchItem>& items, int threads, const Distributed* ranks) {
  const Distributed one;
  const Distributed& share = ranks ? *ranks : one;
  const auto n = static_cast<Index>(items.size());
  const Index first = share.first_item(n), mine = share.item_count(n);
  Predictor predictor(model, threads);
  // Per item: squared error, energy.
  std::vector<double> sums(static_cast<size_t>(2 * mine)), all(static_cast<size_t>(2 * n));
  std::vector<float> prediction;
  for (Index i = 0; i < mine; ++i) {
    const BatchItem& item = items[static_cast<size_t>(first + i)];
    prediction.resize(item.y.size());
    predictor.run(item.x, item.knobs, prediction);
    double error = 0, energy = 0;
    for (size_t k = 0; k < prediction.size(); ++k) {
      const double d = static_cast<double>(prediction[k]) - item.y[k];
      error += d * d;
      energy += static_cast<double>(item.y[k]) * item.y[k];
    }
    sums[static_cast<size_t>(2 * i)] = error;
    sums[static_cast<size_t>(2 * i + 1)] = energy;
  }
  share.allgather_items(sums, all, n, 2);
  std::vector<double> error(data.entries.size()), energy(data.entries.size()), samples(data.entries.size());
  std::vector<bool> seen(data.entries.size());
  for (Index i = 0; i < n; ++i) {
    const auto e = static_cast<size_t>(items[static_cast<size_t>(i)].entry);
    error[e] += all[static_cast<size_t>(2 * i)];
    energy[e] += all[static_cast<size_t>(2 * i + 1)];
    samples[e] += static_cast<double>(items[static_cast<size_t>(i)].y.size());
    seen[e] = true;
  }
  EvalResult result;
  for (size_t e = 0; e < data.entries.size(); ++e) {
    if (!seen[e]) continue;
    const double esr = esr_from_sums(error[e], energy[e], samples[e]);
    result.entries.push_back({static_cast<int>(e), data.entries[e].spec.knob_values, esr});
    result.mean_esr += esr;
  }
  if (!result.entries.empty()) result.mean_esr /= static_cast<double>(result.entries.size());
  return result;
}

TrainResult train(Model& model, const KnobDataset& data, const LearningConfig& config,
                  const TrainOptions& options, Progress& progress) {
  if (data.train.empty()) throw UsageError("train: the dataset has no training segments");
  const Distributed one;
  const Distributed& ranks = options.ranks ? *options.ranks : one;
  if (ranks.leader()) std::filesystem::create_directories(options.out_dir);
  const int threads = resolve_threads(config.threads);
  const WindowSampler sampler(data, config.seed);
  const std::vector<BatchItem> validation = sampler.validation();
  const int64_t batch_size = config.batch_size;
  const int64_t steps = config.steps_per_epoch > 0
                            ? config.steps_per_epoch
                            : std::max<int64_t>(1, (sampler.items_per_epoch() + batch_size - 1) / batch_size);

  TrainState state;
  Adam adam(model.num_params(), AdamConfig{config.adam_beta1, config.adam_beta2, config.adam_eps,
                                           config.weight_decay});
  const bool averaging = config.ema_decay > 0;
  // Rank 0's checkpoint, sent to every rank: the others may run where --out is not.
  std::vector<char> checkpoint;
  if (ranks.leader() && options.resume && std::filesystem::exists(checkpoint_path(options)))
    checkpoint = read_checkpoint_file(checkpoint_path(options));
  ranks.broadcast(checkpoint);
  const bool resuming = !checkpoint.empty();
  if (resuming) {
    state = parse_checkpoint(checkpoint_path(options), checkpoint);
    if (state.config_hash != options.config_hash)
      throw input_error(checkpoint_path(options), "config fingerprint",
                        "a checkpoint of this run's data, model and learning configs",
                        "one made with other configs (use another --out, or the same configs)");
    if (state.params.size() != model.num_params())
      throw input_error(checkpoint_path(options), "parameters",
                        std::to_string(model.num_params()), std::to_string(state.params.size()));
    model.params() = state.params;
    adam.set_state(state.adam);
    if (averaging && state.ema_params.size() != model.num_params()) state.ema_params = model.params();
    if (ranks.leader()) truncate_log(csv_path(options), state.epoch);
    progress.info("resuming from " + checkpoint_path(options) + " at epoch " +
                     std::to_string(state.epoch + 1) + ", step " + std::to_string(state.step_in_epoch));
  } else {
    state.config_hash = options.config_hash;
    state.best_params = model.params();
    if (averaging) state.ema_params = model.params();
    if (ranks.leader()) write_text_atomically(csv_path(options), std::string(kCsvHeader) + "\n");
  }

  const double elapsed_before = state.elapsed_s;  // training time of earlier runs (resume)
  const auto run_start = std::chrono::steady_clock::now();
  auto seconds_since = [](auto start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto save = [&] {
    state.elapsed_s = elapsed_before + seconds_since(run_start);
    state.params = model.params();
    state.adam = adam.state();
    if (ranks.leader()) save_checkpoint(checkpoint_path(options), state);
  };

  TrainStep step_gradient(model, config.loss, threads, setting_energies(data), &ranks);
  data.release_pages();  // setting_energies read every training sample
  Vec& grad = step_gradient.grad();
  TrainResult result;
  int64_t steps_this_run = 0;

  int64_t epoch = state.epoch;
  for (; epoch < config.epochs; ++epoch) {
    const std::vector<BatchItem> items = sampler.epoch(static_cast<uint64_t>(epoch));
    if (items.empty()) throw UsageError("train: the sampler produced no training items");
    const double lr = exponential_lr(config.lr, config.lr_decay, epoch) * state.lr_scale;
    // The NaN guard's fallback: this epoch's starting point.
    const Vec good_params = model.params();
    const AdamState good_adam = adam.state();
    const Vec good_average = state.ema_params;
    int bad_in_a_row = 0;
    progress.begin_epoch(epoch, config.epochs, steps);
    const auto epoch_start = std::chrono::steady_clock::now();
    int64_t epoch_steps_done = 0;
    std::vector<BatchItem> batch(static_cast<size_t>(batch_size));

    for (int64_t step = state.step_in_epoch; step < steps; ++step) {
      // Every rank stops at the same step, whichever received the signal.
      if (ranks.any(options.stop && options.stop->load())) {
        state.step_in_epoch = step;
        save();
        result.interrupted = true;
        result.stop_reason = "interrupted";
        progress.message("interrupted: checkpoint saved at epoch " + std::to_string(epoch + 1) +
                         ", step " + std::to_string(step) + "; continue with --resume");
        // The best weights so far are a usable model: hand them back (the checkpoint above keeps
        // the raw weights to resume from).
        if (state.best_esr >= 0) {
          model.params() = state.best_params;
          result.best_epoch = state.best_epoch;
          result.best_validation_esr = state.best_esr;
          result.epochs_run = epoch;
        }
        return result;
      }
      for (int64_t i = 0; i < batch_size; ++i)
        batch[static_cast<size_t>(i)] = items[static_cast<size_t>((step * batch_size + i) % static_cast<int64_t>(items.size()))];
      const double loss = step_gradient.gradient(batch);
      const double norm = clip_grad_norm(grad.data(), grad.size(), config.grad_clip);
      if (!std::isfinite(loss) || !std::isfinite(norm)) {
        ++state.skipped_steps;
        progress.message("epoch " + std::to_string(epoch + 1) + " step " + std::to_string(step + 1) +
                         ": non-finite loss or gradient, step skipped");
        if (++bad_in_a_row >= kBadStepsBeforeRestore) {
          model.params() = good_params;
          adam.set_state(good_adam);
          state.ema_params = good_average;
          state.lr_scale *= 0.5;
          bad_in_a_row = 0;
          progress.message("restored this epoch's starting weights and halved the learning rate");
        }
        continue;
      }
      bad_in_a_row = 0;
      adam.step(model.params().data(), grad.data(), lr);
      if (averaging)
        update_weight_average(state.ema_params, model.params(), config.ema_decay, adam.state().steps - 1);
      state.epoch_loss_sum += loss;
      ++epoch_steps_done;
      ++steps_this_run;
      progress.step(step + 1, loss,
                    static_cast<double>(epoch_steps_done * batch_size * data.ny) / seconds_since(epoch_start));
      // Mapped audio pages go back after every step: a page fault maps the page cache's whole
      // folio, which on current kernels can be megabytes, so a few steps' windows could keep much
      // of the dataset resident; unmapping is a page-table walk, microseconds.
      data.release_pages();
      if (options.after_step) options.after_step(steps_this_run);
      if (options.stop_after_steps > 0 && steps_this_run >= options.stop_after_steps) {
        result.interrupted = true;
        result.stop_reason = "killed (test hook)";
        return result;
      }
    }

    // Validation scores the weights a saved model would carry: the moving average when there is one.
    if (averaging) model.params().swap(state.ema_params);
    const EvalResult val = evaluate(model, data, validation, threads, &ranks);
    data.release_pages();
    const bool finite = std::isfinite(val.mean_esr) && model.params().allFinite();
    const bool better = finite && (state.best_esr < 0 || val.mean_esr < state.best_esr);
    if (better) state.best_params = model.params();
    if (averaging) model.params().swap(state.ema_params);
    if (better) {
      state.best_esr = val.mean_esr;
      state.best_epoch = epoch;
      state.epochs_without_improvement = 0;
    } else {
      ++state.epochs_without_improvement;
    }
    const double train_loss = state.epoch_loss_sum / static_cast<double>(std::max<int64_t>(1, steps));
    const double elapsed = elapsed_before + seconds_since(run_start);
    const double rate = static_cast<double>(steps_this_run * batch_size * data.ny) / seconds_since(run_start);
    char line[256];
    std::snprintf(line, sizeof line, "%lld,%.9g,%.9g,%.9g,%.9g,%.3f,%.1f,%lld",
                  static_cast<long long>(epoch + 1), train_loss, val.mean_esr, state.best_esr, lr,
                  elapsed, rate, static_cast<long long>(state.skipped_steps));
    if (ranks.leader()) append_log(csv_path(options), line);
    std::snprintf(line, sizeof line,
                  "epoch %lld/%lld  train loss %.4g  val ESR %.4g (best %.4g @%lld)  lr %.3g  %s  %.0f samples/s",
                  static_cast<long long>(epoch + 1), static_cast<long long>(config.epochs), train_loss,
                  val.mean_esr, state.best_esr, static_cast<long long>(state.best_epoch + 1), lr,
                  format_duration(elapsed).c_str(), rate);
    progress.end_epoch(line);
    if (options.after_epoch && ranks.leader())
      options.after_epoch({epoch + 1, config.epochs, state.best_epoch + 1, &val, csv_path(options)});

    state.epoch = epoch + 1;
    state.step_in_epoch = 0;
    state.epoch_loss_sum = 0;
    if (!model.params().allFinite() || (averaging && !state.ema_params.allFinite())) {
      // never checkpoint (or later save) non-finite weights
      model.params() = good_params;
      adam.set_state(good_adam);
      state.ema_params = good_average;
      state.lr_scale *= 0.5;
    }
    const bool last = epoch + 1 == config.epochs;
    const bool patience_out = config.patience > 0 && state.epochs_without_improvement >= config.patience;
    const bool target_hit = config.target_esr > 0 && state.best_esr >= 0 && state.best_esr <= config.target_esr;
    if (last || patience_out || target_hit || (epoch + 1) % config.checkpoint_every == 0) save();
    if (patience_out || target_hit) {
      result.stop_reason = patience_out ? "patience" : "target ESR";
      ++epoch;
      break;
    }
  }
  if (result.stop_reason.empty()) result.stop_reason = "epochs";
  // Only rank 0 has the log; the others leave the spread at 0.
  const std::vector<double> history = ranks.leader() ? logged_validation(csv_path(options)) : std::vector<double>{};
  result.late_epochs = std::min<int64_t>(kLateEpochs, static_cast<int64_t>(history.size()));
  if (result.late_epochs > 0) {
    const auto [lo, hi] = std::minmax_element(history.end() - result.late_epochs, history.end());
    result.late_validation_spread = *hi - *lo;
  }

  result.epochs_run = epoch;
  result.best_epoch = state.best_epoch;
  result.best_validation_esr = state.best_esr;
  result.samples_per_second =
      static_cast<double>(steps_this_run * batch_size * data.ny) / std::max(1e-9, seconds_since(run_start));
  model.params() = state.best_params;
  result.validation = evaluate(model, data, validation, threads, &ranks);
  std::vector<BatchItem> test;
  for (const Segment& s : data.test) test.push_back(data.whole(s));
  result.test = evaluate(model, data, test, threads, &ranks);
  data.release_pages();
  return result;
}

}  // namespace namk
