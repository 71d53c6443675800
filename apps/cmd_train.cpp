// nam-knobs train: the user's main job. Reads the three configs, checks all the data before any
// training starts, trains with progress and checkpoints, and writes into --out: model.nam (the best
// weights), checkpoint.bin, training_log.csv, report.html (redrawn after every epoch, completed
// with the audio analysis at the end) and copies of the configs used. Under an MPI launcher
// (mpirun -np N nam-knobs train ...) every rank trains its share of each batch and rank 0 alone
// writes and prints; an error on any rank ends the whole job (docs/distributed.md).
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <filesystem>

#include <sched.h>
#include <unistd.h>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/common_options.h"
#include "apps/model_spec.h"
#include "base/error.h"
#include "base/fnv1a.h"
#include "base/text_file.h"

#include "base/atomic_file.h"
#include "data/knob_dataset.h"
#include "apps/report_facts.h"
#include "nn/architecture.h"
#include "nn/init_from_model.h"
#include "nn/loudness.h"
#include "nn/model_file.h"
#include "report/build_report.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/learning_config.h"
#include "train/trainer.h"

namespace namk::app {

namespace {

std::atomic<bool> g_stop{false};

// First Ctrl-C (or SIGTERM, as `kill` and service managers send): finish the current step,
// checkpoint, write the best model so far, exit 130. A second signal: the default (kill).
extern "C" void on_interrupt(int signal_number) {
  g_stop.store(true);
  std::signal(signal_number, SIG_DFL);
}

// --resume: the checkpoint in --out must exist (a typo in --out must not silently start afresh);
// --resume=auto: resume when there is one, else start afresh (for scripts that rerun a command).
enum class ResumeMode { kNo, kRequired, kAuto };

// Only rank 0 looks for the checkpoint: the others may run on machines without --out.
ResumeMode resume_mode(const Args& args, const std::string& out, const Distributed& ranks) {
  const std::optional<std::string> value = args.get("resume");
  if (!value) return ResumeMode::kNo;
  if (*value == "auto") return ResumeMode::kAuto;
  if (!value->empty())
    throw UsageError("nam-knobs train: --resume: expected --resume or --resume=auto, found --resume=" + *value);
  const std::string checkpoint = out + "/checkpoint.bin";
  if (ranks.leader() && !std::filesystem::exists(checkpoint))
    throw input_error(checkpoint, "", "a checkpoint to resume from (--resume=auto starts afresh when there is none)",
                      "no such file");
  return ResumeMode::kRequired;
}

// --out is checked before any data is loaded, so a typo costs nothing: the folder, or its nearest
// existing parent, must be a folder we can write into.
void check_out_dir(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(out, ec);
  if (ec) p = out;
  for (;; p = p.parent_path()) {
    if (fs::exists(p, ec)) break;
    if (p == p.parent_path()) return;
  }
  const std::string where = p == fs::absolute(out, ec) ? out : p.string() + " (a parent of --out " + out + ")";
  if (!fs::is_directory(p, ec))
    throw input_error(where, "", "a folder for --out (or a path where one can be created)",
                      "a file that is not a folder");
  if (access(p.c_str(), W_OK | X_OK) != 0)
    throw input_error(where, "", "a folder for --out that can be written", "no write permission");
}

// A run killed while writing (checkpoint, model, report) leaves "NAME.tmp-PID" beside NAME. The
// next run in the folder clears them: two runs never share an --out folder, so none is live.
void remove_stale_temp_files(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(out, ec)) return;
  for (const fs::directory_entry& entry : fs::directory_iterator(out, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t mark = name.rfind(".tmp-");
    if (mark == std::string::npos || mark + 5 == name.size()) continue;
    if (name.find_first_not_of("0123456789", mark + 5) != std::string::npos) continue;
    if (entry.is_regular_file(ec)) fs::remove(entry.path(), ec);
  }
}

// The test hook behind NAMK_TEST_KILL_RANK=R:S: rank R dies by SIGKILL after S optimiser steps,
// as a crashed or killed machine would (tests/apps/mpi_test.sh).
std::function<void(int64_t)> kill_hook(const Distributed& ranks) {
  const char* value = std::getenv("NAMK_TEST_KILL_RANK");
  if (!value) return {};
  int rank = -1;
  long long steps = 0;
  if (std::sscanf(value, "%d:%lld", &rank, &steps) != 2 || rank < 0 || steps < 1)
    throw UsageError("NAMK_TEST_KILL_RANK: expected RANK:STEPS (e.g. 1:5), found '" + std::string(value) + "'");
  if (rank != ranks.rank()) return {};
  return [steps](int64_t done) {
    if (done >= steps) std::raise(SIGKILL);
  };
}

int train_command(const Words& argv, const Distributed& ranks) {
  const std::vector<OptionSpec> specs = {
      kDataOption,
      {"model", true,
       "model config (configs/models/*.json) or a preset: standard, lite, feather, nano, a2-lite, a2-full"},
      {"learning", true, "learning config (configs/learning/*.json); default: NAM's recipe"},
      {"out", true, "output folder (created if missing)"},
      {"epochs", true, "override the learning config's epochs"},
      {"threads", true, "override the learning config's threads (0: every core)"},
      {"seed", true, "override the learning config's seed"},
      {"init", true, "start from this model's weights (.nam): a plain capture of the same architecture "
                     "for a FiLM knob model, or a knob model with the same knobs"},
      {"resume", false, "continue from the checkpoint in --out (an error if there is none); "
                        "--resume=auto: continue if there is one, else start afresh"},
      {"quiet", false, "print only warnings and the final result"},
  };
  const Args args("train", argv, specs);
  const std::string out = args.require("out");
  if (ranks.leader()) check_out_dir(out);
  const ResumeMode resume = resume_mode(args, out, ranks);
  // The other ranks print nothing but errors: they see the same data and numbers as rank 0.
  Progress progress = ranks.leader() ? Progress(stderr, args.has("quiet")) : Progress(Progress::Mode::Silent);
  const WarningSink warn = [&](const std::string& w) { progress.message("warning: " + w); };

  // Everything is read and checked before training starts.
  LearningConfig learning;
  if (auto path = args.get("learning")) learning = load_learning_config(*path);
  learning.epochs = args.get_int("epochs", learning.epochs, 1, 1000000);
  learning.threads = threads_option(args, learning.threads);
  learning.seed = seed_option(args, learning.seed);

  const ModelSpec model_spec = resolve_model_spec(args.require("model"));
  const DataConfig data_config = read_data_config(args.require("data"));
  if (!trainable(model_spec.config) && model_spec.config.wavenet.in_channels > 1)
    throw InputError(model_spec.description + ": config.in_channels: expected 1 (a WaveNet this runtime can train), "
                     "found " + std::to_string(model_spec.config.wavenet.in_channels) +
                     ": knob input channels run for inference only (docs/model_format.md)");
  if (!trainable(model_spec.config))
    throw InputError(model_spec.description + ": config.condition_dsp: expected null (a WaveNet this runtime can "
                     "train), found a condition model, which runs for inference only (docs/model_format.md)");
  const Index nx = make_model(model_spec.config)->receptive_field();
  // Training maps the audio from float32 cache files next to it (made on the first run): ranks on
  // one machine share the pages. Rank 0 loads first, so it alone makes missing caches there.
  const auto load = [&] { return load_knob_dataset(data_config, nx, warn, AudioStorage::kMappedCache); };
  if (!ranks.leader()) ranks.any(false);
  const KnobDataset data = load();
  if (ranks.leader()) ranks.any(false);
  ModelConfig config = model_spec.config;
  config.knobs = data.knobs;
  config.sample_rate = data.sample_rate;
  std::unique_ptr<Model> model = make_model(config);
  model->init_params(learning.seed);
  const std::optional<std::string> init_path = args.get("init");
  if (init_path) {
    const LoadedModel init = load_model(*init_path);
    if (init.model->sample_rate() != data.sample_rate)
      throw input_error(*init_path, "sample_rate", format_number(data.sample_rate) + " Hz, as the data",
                        format_number(init.model->sample_rate()) + " Hz");
    init_from_model(*model, *init.model, *init_path);
  }
  progress.info(data.summary());
  progress.info("model: " + model_spec.description + ", " + std::to_string(model->num_params()) +
                   " parameters, receptive field " + std::to_string(nx) + " samples, " +
                   std::to_string(data.knobs.size()) + " knobs");

  // The fingerprint that a resumed run must match: everything but epochs and threads, which a
  // user may change to extend a run or move it to another machine.
  LearningConfig fingerprint = learning;
  fingerprint.epochs = 0;
  fingerprint.threads = 0;
  // A resumed run must start from the same --init weights, or none.
  const std::string identity = learning_config_json(fingerprint) + model_spec.text +
                               read_text_file(data_config.file, "a data config") +
                               read_text_file(data_config.dataset, "a dataset JSON") +
                               (init_path ? "init:" + read_text_file(*init_path, "a model file") : "");
  TrainOptions options;
  options.out_dir = out;
  options.resume = resume != ResumeMode::kNo;
  options.config_hash = fnv1a(identity.data(), identity.size());
  options.stop = &g_stop;
  options.ranks = &ranks;
  options.after_step = kill_hook(ranks);
  if (ranks.size() > 1)
    progress.info("training on " + std::to_string(ranks.size()) + " ranks (MPI) of " +
                  std::to_string(resolve_threads(learning.threads)) + " threads each");
  // mpirun pins each rank to one core unless told otherwise: threads beyond the cores a process
  // may use only take turns on them.
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) < resolve_threads(learning.threads))
    warn(std::to_string(resolve_threads(learning.threads)) + " threads, but this process may run on " +
         std::to_string(CPU_COUNT(&allowed)) + " core(s) only (under mpirun: --bind-to none, or "
         "--map-by slot:PE=" + std::to_string(resolve_threads(learning.threads)) + ")");

  if (ranks.leader()) {
    std::filesystem::create_directories(out);
    remove_stale_temp_files(out);
    write_text_atomically(out + "/learning.json", learning_config_json(learning));
    write_text_atomically(out + "/model.json", model_spec.text);
    write_text_atomically(out + "/data.json", read_text_file(data_config.file, "a data config"));
  }

  // report.html: the training curves and this epoch's ESR per setting after every epoch (a log
  // read and a page write, milliseconds); the audio analysis once, on the best weights, at the end.
  const std::string report_path = out + "/report.html";
  ReportData report;
  const std::filesystem::path out_path = std::filesystem::path(out).lexically_normal();
  report.title = "Training report: " +
                 (out_path.has_filename() ? out_path : out_path.parent_path()).filename().string();
  const Facts base_facts = {
      {"Command", command_line("train", argv)},
      {"Data", args.require("data") + ": " + dataset_fact(data)},
      {"Model", model_fact(model_spec.description, *model)},
      {"Recipe", recipe_fact(learning, data.ny) + "; " + std::to_string(resolve_threads(learning.threads)) + " threads" +
                     (ranks.size() > 1 ? " x " + std::to_string(ranks.size()) + " ranks" : "")},
      {"Initial weights", init_path ? *init_path + " (--init)" : "PyTorch's default init, seed " + std::to_string(learning.seed)},
      {"Output", out + "/model.nam"}};
  double report_seconds = 0;
  long long report_writes = 0;
  options.after_epoch = [&](const EpochDone& e) {
    const auto start = std::chrono::steady_clock::now();
    add_epoch_progress(report, data, e.log_path, *e.validation, e.epoch, e.epochs, e.best_epoch);
    report.facts = base_facts;
    add_log_facts(report.facts, report.epochs);
    report.facts.push_back({"Written", utc_now()});
    write_report(report_path, report);
    report_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ++report_writes;
  };

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const TrainResult result = train(*model, data, learning, options, progress);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  // Every rank holds the same result; rank 0 writes it.
  if (!ranks.leader()) return result.interrupted ? 130 : 0;

  const auto write_model = [&] {
    ModelMetadata metadata;
    metadata.name = std::filesystem::path(out).filename().string();
    metadata.validation_esr = result.best_validation_esr;
    // At the knobs' defaults, the setting export bakes by default.
    if (const double loudness = model_loudness(*model); std::isfinite(loudness)) metadata.loudness = loudness;
    metadata.gain = model_gain(*model);
    save_model(*model, out + "/model.nam", metadata);
  };
  if (result.interrupted) {
    // The best weights so far are a model worth keeping; --resume later replaces it.
    if (result.best_validation_esr >= 0) {
      write_model();
      progress.message("wrote " + out + "/model.nam from the best epoch so far (" +
                       std::to_string(result.best_epoch + 1) + ", validation ESR " +
                       format_number(result.best_validation_esr) + ")");
    } else {
      progress.message("no epoch finished yet: no model.nam written");
    }
    return 130;
  }
  write_model();

  const auto analysis_start = std::chrono::steady_clock::now();
  report.epochs = read_training_log(out + "/training_log.csv");
  report.best_epoch = result.best_epoch + 1;
  report.status = "finished";
  add_model_analysis(report, *model, data, result.validation, result.test, resolve_threads(learning.threads));
  report.facts = base_facts;
  report.facts.insert(report.facts.begin() + 4, {"Stopped by", result.stop_reason + " after " +
                                                     std::to_string(result.epochs_run) + " epochs; best epoch " +
                                                     std::to_string(result.best_epoch + 1)});
  add_log_facts(report.facts, report.epochs);
  report.facts.push_back({"Written", utc_now()});
  write_report(report_path, report);
  char timing[160];
  std::snprintf(timing, sizeof timing, "report.html: %.1f ms per epoch rewrite (%lld), %.2f s for the final analysis",
                report_writes ? 1000 * report_seconds / static_cast<double>(report_writes) : 0.0, report_writes,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - analysis_start).count());
  progress.info(timing);

  std::printf("trained %lld epochs (stopped by %s) at %.0f samples/s; best epoch %lld\n",
              static_cast<long long>(result.epochs_run), result.stop_reason.c_str(),
              result.samples_per_second, static_cast<long long>(result.best_epoch + 1));
  std::printf("validation ESR %.4f (mean over trained settings)\n", result.validation.mean_esr);
  std::printf("validation spread %.4f (max - min over the last %lld epochs)\n",
              result.late_validation_spread, static_cast<long long>(result.late_epochs));
  for (const EntryEsr& e : result.validation.entries)
    std::printf("  trained   %-28s ESR %.4f\n", knob_label(data, e.knobs).c_str(), e.esr);
  for (const EntryEsr& e : result.test.entries)
    std::printf("  held out  %-28s ESR %.4f\n", knob_label(data, e.knobs).c_str(), e.esr);
  if (!result.test.entries.empty())
    std::printf("test ESR %.4f (mean over settings never trained on)\n", result.test.mean_esr);
  std::printf("wrote %s/model.nam\n", out.c_str());
  std::printf("report: %s\n", report_path.c_str());
  return 0;
}

}  // namespace

int cmd_train(const Words& argv) {
  const std::unique_ptr<Distributed> ranks = join_ranks();
  try {
    return train_command(argv, *ranks);
  } catch (const std::exception& e) {
    if (ranks->size() == 1) throw;
    // The other ranks would wait for this one forever: say who failed, then end the job.
    std::fprintf(stderr, "nam-knobs train: %s: %s\n", ranks->where().c_str(), e.what());
    std::fflush(stderr);
    ranks->abort(dynamic_cast<const UsageError*>(&e) ? 2 : 1);
    throw;
  }
}

}  // namespace namk::app
