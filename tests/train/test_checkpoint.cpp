// Checkpoints round-trip exactly; truncated, corrupt and foreign files are rejected by name.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "train/checkpoint.h"
#include "tests/test_temp_path.h"

using namespace namk;

namespace {
std::string temp_path(const char* name) {
  return test::temp_path(name).string();
}
TrainState sample_state() {
  TrainState s;
  s.config_hash = 0x1234abcd;
  s.epoch = 3;
  s.step_in_epoch = 5;
  s.epoch_loss_sum = 0.25;
  s.lr_scale = 0.5;
  s.best_esr = 0.0123;
  s.best_epoch = 2;
  s.params = Vec::LinSpaced(7, -1, 1);
  s.best_params = Vec::LinSpaced(7, 0, 3);
  s.adam.m = Vec::Constant(7, 0.5);
  s.adam.v = Vec::Constant(7, 0.125);
  s.adam.steps = 42;
  s.ema_params = Vec::LinSpaced(7, 2, 5);
  s.elapsed_s = 12.75;
  return s;
}
}  // namespace

TEST_CASE("a checkpoint round-trips every field exactly") {
  const std::string path = temp_path("namk_test_checkpoint.bin");
  const TrainState s = sample_state();
  save_checkpoint(path, s);
  const TrainState r = load_checkpoint(path);
  CHECK(r.config_hash == s.config_hash);
  CHECK(r.epoch == 3);
  CHECK(r.step_in_epoch == 5);
  CHECK(r.epoch_loss_sum == 0.25);
  CHECK(r.lr_scale == 0.5);
  CHECK(r.best_esr == s.best_esr);
  CHECK(r.best_epoch == 2);
  CHECK(r.params == s.params);
  CHECK(r.best_params == s.best_params);
  CHECK(r.adam.m == s.adam.m);
  CHECK(r.adam.v == s.adam.v);
  CHECK(r.adam.steps == 42);
  CHECK(r.ema_params == s.ema_params);
  CHECK(r.elapsed_s == 12.75);
  std::filesystem::remove(path);
}

TEST_CASE("a version 1 checkpoint (before the moving average) still loads") {
  // Version 1's layout written by hand: the fields of version 2 up to Adam's step count.
  const TrainState s = sample_state();
  std::string payload;
  auto put = [&](const auto& value) { payload.append(reinterpret_cast<const char*>(&value), sizeof value); };
  auto put_vec = [&](const Vec& v) {
    put(static_cast<int64_t>(v.size()));
    payload.append(reinterpret_cast<const char*>(v.data()), static_cast<size_t>(v.size()) * sizeof(Scalar));
  };
  put(static_cast<uint32_t>(sizeof(Scalar)));
  put(s.config_hash);
  put(s.epoch);
  put(s.step_in_epoch);
  put(s.epoch_loss_sum);
  put(s.lr_scale);
  put(s.skipped_steps);
  put(s.best_esr);
  put(s.best_epoch);
  put(s.epochs_without_improvement);
  put_vec(s.params);
  put_vec(s.best_params);
  put_vec(s.adam.m);
  put_vec(s.adam.v);
  put(s.adam.steps);
  std::string file = "NAMKCKPT";
  auto put_file = [&](const auto& value) { file.append(reinterpret_cast<const char*>(&value), sizeof value); };
  put_file(static_cast<uint32_t>(1));
  put_file(static_cast<uint64_t>(payload.size()));
  file += payload;
  put_file(fnv1a(payload.data(), payload.size()));
  const std::string path = temp_path("namk_test_checkpoint_v1.bin");
  std::ofstream(path, std::ios::binary) << file;

  const TrainState r = load_checkpoint(path);
  CHECK(r.epoch == 3);
  CHECK(r.params == s.params);
  CHECK(r.adam.steps == 42);
  CHECK(r.ema_params.size() == 0);
  CHECK(r.elapsed_s == 0);
  std::filesystem::remove(path);
}

TEST_CASE("damaged checkpoints are rejected with a message naming the file") {
  const std::string path = temp_path("namk_test_checkpoint_bad.bin");
  save_checkpoint(path, sample_state());
  const auto size = std::filesystem::file_size(path);

  std::filesystem::resize_file(path, size - 5);
  CHECK_THROWS_WITH_AS(load_checkpoint(path), doctest::Contains("truncated"), InputError);

  save_checkpoint(path, sample_state());
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  CHECK_THROWS_WITH_AS(load_checkpoint(path), doctest::Contains("corrupt"), InputError);

  {
    std::ofstream f(path, std::ios::binary);
    f << "not a checkpoint at all";
  }
  CHECK_THROWS_WITH_AS(load_checkpoint(path), doctest::Contains(path.c_str()), InputError);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(load_checkpoint(path), doctest::Contains("no such file (or it cannot be read)"), InputError);
}
