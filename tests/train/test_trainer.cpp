// The trainer on a tiny knob model and an in-memory dataset: it learns, it is bit-identical for a
// seed at any thread count, and a run killed mid-epoch resumes to the same final weights.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/ops.h"
#include "data/sampler.h"
#include "train/checkpoint.h"
#include "train/train_step.h"
#include "train/trainer.h"
#include "tests/test_temp_path.h"

using namespace namk;

namespace {

// y = (0.3 + 0.7 gain) * tanh(2 x[t] + 0.5 x[t-1]): the knob scales the output.
KnobDataset tiny_dataset(Index nx) {
  KnobDataset d;
  d.knobs = {KnobSpec{"gain", 0, 1, 0.5, ""}};
  d.sample_rate = 48000;
  d.nx = nx;
  d.ny = 256;
  const Index n = 6000;
  std::vector<float> x(static_cast<size_t>(n));
  uint64_t state = 12345;
  for (auto& v : x) {  // a fixed pseudo-random signal, no library RNG involved
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>(static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5);
  }
  d.tracks.push_back(x);
  d.track_files.push_back("input");
  for (double gain : {0.0, 1.0, 0.5}) {
    std::vector<float> y(x.size());
    for (size_t t = 1; t < x.size(); ++t)
      y[t] = static_cast<float>((0.3 + 0.7 * gain) * std::tanh(2 * x[t] + 0.5 * x[t - 1]));
    d.tracks.push_back(y);
    d.track_files.push_back("output");
    LoadedEntry e;
    e.spec.knob_values = {gain};
    e.spec.split = gain == 0.5 ? Split::test : Split::train;
    e.output_track = static_cast<int>(d.tracks.size() - 1);
    d.entries.push_back(e);
    const int entry = static_cast<int>(d.entries.size() - 1);
    const Index begin = nx - 1, val = 1000;
    if (e.spec.split == Split::test) {
      d.test.push_back({entry, 0, e.output_track, begin, begin, n - begin});
    } else {
      d.train.push_back({entry, 0, e.output_track, begin, begin, n - begin - val});
      d.validation.push_back({entry, 0, e.output_track, n - val, n - val, val});
    }
  }
  return d;
}

ModelConfig tiny_config() {
  ModelConfig c;
  LayerArrayConfig a;
  a.input_size = 1;
  a.condition_size = 1;
  a.channels = 4;
  a.head_size = 1;
  a.kernel_size = 3;
  a.dilations = {1, 2};
  a.head_bias = true;
  c.wavenet.layers = {a};
  c.wavenet.head_scale = 1.0;
  c.knobs = {KnobSpec{"gain", 0, 1, 0.5, ""}};
  c.film.hidden = 4;
  return c;
}

LearningConfig tiny_learning(int threads) {
  LearningConfig l;
  l.epochs = 3;
  l.batch_size = 4;
  l.lr = 0.01;
  l.threads = threads;
  l.seed = 3;
  l.loss = LossWeights{};
  l.loss.pre_emphasis_mrstft = 0;  // items are shorter than the STFT sizes
  return l;
}

Vec run(int threads, const std::string& dir, int64_t stop_after = 0, bool resume = false,
        double ema_decay = 0) {
  auto model = make_model(tiny_config());
  model->init_params(7);
  const KnobDataset data = tiny_dataset(model->receptive_field());
  TrainOptions o;
  o.out_dir = dir;
  o.resume = resume;
  o.config_hash = 99;
  o.stop_after_steps = stop_after;
  Progress quiet(Progress::Mode::Quiet);
  LearningConfig l = tiny_learning(threads);
  l.ema_decay = ema_decay;
  train(*model, data, l, o, quiet);
  return model->params();
}

std::string temp_dir(const char* name) {
  auto p = test::temp_path(name);
  std::filesystem::remove_all(p);
  return p.string();
}

}  // namespace

TEST_CASE("training a tiny knob model lowers its validation and held-out ESR") {
  auto model = make_model(tiny_config());
  model->init_params(7);
  const KnobDataset data = tiny_dataset(model->receptive_field());
  WindowSampler sampler(data, 0);
  const double before = evaluate(*model, data, sampler.validation(), 1).mean_esr;
  LearningConfig l = tiny_learning(2);
  l.epochs = 30;
  TrainOptions o;
  o.out_dir = temp_dir("namk_trainer_learns");
  // after_epoch (report.html's hook) runs once per epoch, after that epoch's log line is written.
  std::vector<int64_t> epochs_seen;
  o.after_epoch = [&](const EpochDone& e) {
    std::ifstream log(e.log_path);
    std::string line;
    int64_t rows = -1;  // the header
    while (std::getline(log, line)) ++rows;
    CHECK(rows == e.epoch);
    CHECK(e.epochs == 30);
    CHECK(e.validation->entries.size() == 2);
    CHECK(e.best_epoch >= 1);
    CHECK(e.best_epoch <= e.epoch);
    epochs_seen.push_back(e.epoch);
  };
  Progress quiet(Progress::Mode::Quiet);
  const TrainResult r = train(*model, data, l, o, quiet);
  CHECK(r.epochs_run == 30);
  REQUIRE(epochs_seen.size() == 30);
  CHECK(epochs_seen.front() == 1);
  CHECK(epochs_seen.back() == 30);
  CHECK(r.validation.mean_esr < 0.2 * before);
  REQUIRE(r.test.entries.size() == 1);
  CHECK(r.test.entries[0].knobs[0] == 0.5);
  CHECK(r.test.mean_esr < 0.2 * before);
  CHECK(std::filesystem::exists(o.out_dir + "/checkpoint.bin"));
  CHECK(std::filesystem::exists(o.out_dir + "/training_log.csv"));
}

TEST_CASE("the same seed and thread count give bit-identical weights") {
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    const Vec a = run(threads, temp_dir("namk_trainer_a"));
    const Vec b = run(threads, temp_dir("namk_trainer_b"));
    CHECK(a == b);
  }
}

// Each item's gradient is summed in item order, whoever computed it: the premise of training on
// several MPI ranks with one process's numbers (tests/apps/mpi_test.sh checks the ranks).
TEST_CASE("any thread count gives the same bits") {
  const Vec one = run(1, temp_dir("namk_trainer_t1"));
  for (int threads : {2, 3}) {
    CAPTURE(threads);
    CHECK(run(threads, temp_dir("namk_trainer_tn")) == one);
  }
}

TEST_CASE("a run killed mid-epoch resumes to the same final weights") {
  const Vec whole = run(2, temp_dir("namk_trainer_whole"));
  const std::string dir = temp_dir("namk_trainer_killed");
  // 19 windows of 256 per training entry x 2 entries -> 10 steps of 4 per epoch: step 15 is in
  // the middle of epoch 2, after epoch 1's checkpoint and before epoch 2's.
  run(2, dir, 15);
  REQUIRE(std::filesystem::exists(dir + "/checkpoint.bin"));
  const Vec resumed = run(2, dir, 0, true);
  CHECK(resumed == whole);
}

TEST_CASE("with a moving average, the model is the average's best, and a killed run resumes exactly") {
  const std::string dir = temp_dir("namk_trainer_ema_whole");
  const Vec whole = run(2, dir, 0, false, 0.9);
  const TrainState end = load_checkpoint(dir + "/checkpoint.bin");
  // The returned weights are the best validated ones, which are averages, not raw weights.
  CHECK(whole == end.best_params);
  REQUIRE(end.ema_params.size() == whole.size());
  CHECK(end.ema_params != end.params);
  CHECK(whole != run(2, temp_dir("namk_trainer_ema_off"), 0, false, 0));
  CHECK(end.elapsed_s > 0);

  const std::string killed = temp_dir("namk_trainer_ema_killed");
  run(2, killed, 15, false, 0.9);
  REQUIRE(std::filesystem::exists(killed + "/checkpoint.bin"));
  CHECK(run(2, killed, 0, true, 0.9) == whole);
}

TEST_CASE("a stop request checkpoints at once and a resumed run finishes identically") {
  const Vec whole = run(2, temp_dir("namk_trainer_whole_stop"));
  const std::string dir = temp_dir("namk_trainer_stopped");
  auto model = make_model(tiny_config());
  model->init_params(7);
  const KnobDataset data = tiny_dataset(model->receptive_field());
  std::atomic<bool> stop{true};  // as if Ctrl-C came before the first step
  TrainOptions o;
  o.out_dir = dir;
  o.config_hash = 99;
  o.stop = &stop;
  Progress quiet(Progress::Mode::Quiet);
  const TrainResult r = train(*model, data, tiny_learning(2), o, quiet);
  CHECK(r.interrupted);
  REQUIRE(std::filesystem::exists(dir + "/checkpoint.bin"));
  CHECK(run(2, dir, 0, true) == whole);
}

TEST_CASE("non-finite losses skip the step, restore good weights and never leave NaN weights") {
  auto model = make_model(tiny_config());
  model->init_params(7);
  KnobDataset data = tiny_dataset(model->receptive_field());
  // A target so large that its squared error overflows float: every batch that draws it is bad.
  for (float& v : data.tracks[1].owned()) v = 3e19f;
  TrainOptions o;
  o.out_dir = temp_dir("namk_trainer_nan");
  Progress quiet(Progress::Mode::Quiet);
  LearningConfig l = tiny_learning(1);
  const TrainResult r = train(*model, data, l, o, quiet);
  CHECK(r.epochs_run == l.epochs);
  CHECK(model->params().allFinite());
  const TrainState s = load_checkpoint(o.out_dir + "/checkpoint.bin");
  CHECK(s.skipped_steps > 0);
  CHECK(s.lr_scale < 1);
  CHECK(s.params.allFinite());
}

TEST_CASE("setting_esr divides the MSE by the mean square of the item's whole knob setting") {
  const KnobDataset data = tiny_dataset(5);
  const std::vector<double> energy = setting_energies(data);
  REQUIRE(energy.size() == data.entries.size());
  double sum = 0;
  Index n = 0;
  for (const Segment& s : data.train)
    if (s.entry == 1)
      for (float v : data.whole(s).y) {
        sum += double(v) * v;
        ++n;
      }
  CHECK(energy[1] == doctest::Approx(sum / double(n)));
  Tape t;
  Mat p(1, 3), y(1, 3);
  p << 1, 2, 3;
  y << 1, 1, 1;
  LossWeights w;
  w.mse = 0;
  w.pre_emphasis_mrstft = 0;
  w.setting_esr = 2;
  Var loss = item_loss(t, t.constant(p), t.constant(y), w, 0.25);
  CHECK(t.value(loss)(0, 0) == doctest::Approx(2 * (5.0 / 3) / 0.25));
}

TEST_CASE("training stops early at a target ESR or when patience runs out") {
  auto model = make_model(tiny_config());
  model->init_params(7);
  const KnobDataset data = tiny_dataset(model->receptive_field());
  Progress quiet(Progress::Mode::Quiet);
  TrainOptions o;
  o.out_dir = temp_dir("namk_trainer_early");
  LearningConfig l = tiny_learning(1);
  l.epochs = 10;
  l.target_esr = 1e9;  // any validation ESR reaches it
  TrainResult r = train(*model, data, l, o, quiet);
  CHECK(r.stop_reason == "target ESR");
  CHECK(r.epochs_run == 1);

  l.target_esr = 0;
  l.lr = 0;  // nothing changes, so nothing improves after the first epoch
  l.patience = 2;
  o.out_dir = temp_dir("namk_trainer_patience");
  r = train(*model, data, l, o, quiet);
  CHECK(r.stop_reason == "patience");
  CHECK(r.epochs_run == 3);
}

TEST_CASE("a step's gradient with the batch-coupled MRSTFT equals the whole batch's on one tape") {
  auto model = make_model(tiny_config());
  model->init_params(7);
  KnobDataset data = tiny_dataset(model->receptive_field());
  data.ny = 1100;  // longer than half the largest FFT (2048)
  const std::vector<BatchItem> batch = WindowSampler(data, 5).epoch(0);
  REQUIRE(batch.size() == 8);
  LossWeights w;
  w.mrstft = 0.01;  // both spectral slots, weighted so they matter next to the MSE
  w.pre_emphasis_mrstft = 0.02;

  // Reference: every item on one tape, the loss written as the batch's mean.
  Vec reference = Vec::Zero(model->num_params());
  Tape t;
  std::vector<ItemLoss> losses;
  for (const BatchItem& item : batch) {
    Var prediction = model->forward(t, audio_constant(t, item.x), item.knobs, reference.data());
    losses.push_back(item_loss_begin(t, prediction, audio_constant(t, item.y), w));
  }
  std::vector<MrstftBatch> sums(2);
  for (const ItemLoss& l : losses)
    for (size_t k = 0; k < 2; ++k) sums[k].add(l.spectral[k].item);
  Var total;
  for (const ItemLoss& l : losses) {
    Var v = item_loss_finish(t, l, sums);
    total = total.valid() ? add(t, total, v) : v;
  }
  Var loss = scale(t, total, Scalar(1) / Scalar(batch.size()));
  t.backward(loss);

  Vec one_thread;
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    TrainStep step(*model, w, threads);
    const double value = step.gradient(batch);
    CHECK(value == doctest::Approx(t.value(loss)(0, 0)).epsilon(1e-5));
    const Vec g = step.grad();
    // Items' gradients are summed in item order, whichever thread computed them.
    if (threads == 1) one_thread = g;
    CHECK(g == one_thread);
    CHECK((g - reference).norm() <= 1e-5 * reference.norm());
    step.gradient(batch);
    CHECK(step.grad() == g);  // the same batch adds the same numbers the same way
  }
}
