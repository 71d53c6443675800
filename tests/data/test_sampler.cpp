// Batches: item shapes and alignment, no copies, fresh seeded offsets every epoch, reproducible
// from (seed, epoch), settings mixed; validation segments and where the default policy puts them.
#include <doctest/doctest.h>

#include <set>

#include "data/sampler.h"
#include "data_test_util.h"

using namespace namk;
using namespace namk::test;

namespace {

constexpr int kRate = 48000;

// Three settings of a 2 s recording; setting i has gain 0.2 + 0.1 i and output delay 5.
KnobDataset three_settings(const TempDir& dir, Index nx, const std::string& config_extra = "") {
  const auto x = noise(2 * kRate, 31);
  write_audio(dir / "in.wav", x, kRate);
  std::string entries;
  for (int i = 0; i < 3; ++i) {
    write_audio(dir / ("o" + std::to_string(i) + ".wav"), delayed_amp(x, 5, 0.2 + 0.1 * i), kRate);
    entries += std::string(i ? "," : "") + R"({"input_file": "in.wav", "output_file": "o)" +
               std::to_string(i) + R"(.wav", "knob_type": "gain", "knob_level": )" +
               std::to_string(0.2 + 0.1 * i) + "}";
  }
  write_text(dir / "dataset.json", R"({"entries": [)" + entries + "]}");
  write_text(
      dir / "data.json",
      R"({"dataset": "dataset.json", "delay": 5, "ny": 2048, "validation_tail_seconds": 0.5)" +
          config_extra + "}");
  return load_knob_dataset(read_data_config(dir / "data.json"), nx, Warnings().sink());
}

}  // namespace

TEST_CASE(
    "items: nx + ny - 1 inputs, ny aligned targets, the entry's knobs, pointing into the tracks") {
  TempDir dir;
  const KnobDataset d = three_settings(dir, 129);
  const WindowSampler sampler(d, 7);
  const auto items = sampler.epoch(0);
  REQUIRE(items.size() == static_cast<size_t>(sampler.items_per_epoch()));
  // Each train segment: 2 s - 128 context - 5 delay - 0.5 s validation = 71867 targets -> 35
  // windows.
  CHECK(sampler.items_per_epoch() == 3 * 35);
  for (const auto& item : items) {
    CHECK(item.x.size() == 2048 + 128);
    CHECK(item.y.size() == 2048);
    REQUIRE(item.knobs.size() == 1);
    const double gain = item.knobs[0];
    CHECK(gain == doctest::Approx(0.2 + 0.1 * item.entry));
    for (size_t j = 0; j < item.y.size(); j += 101)
      CHECK(item.y[j] == doctest::Approx(gain * std::tanh(2.0 * item.x[j + 128])).epsilon(1e-5));
    // No copies: the spans point into the dataset's tracks.
    const auto& in = d.tracks[d.entries[item.entry].input_track];
    CHECK((item.x.data() >= in.data() && item.x.data() + item.x.size() <= in.data() + in.size()));
  }
}

TEST_CASE("epochs: fresh offsets each epoch, reproducible from (seed, epoch), settings mixed") {
  TempDir dir;
  const KnobDataset d = three_settings(dir, 1);
  const WindowSampler a(d, 42), b(d, 42), other(d, 43);
  const auto offsets = [](const std::vector<BatchItem>& items) {
    std::vector<const float*> out;
    for (const auto& i : items) out.push_back(i.y.data());
    return out;
  };
  CHECK(offsets(a.epoch(0)) == offsets(b.epoch(0)));
  CHECK(offsets(a.epoch(5)) == offsets(b.epoch(5)));  // resuming at epoch 5 needs only (seed, 5)
  CHECK(offsets(a.epoch(0)) != offsets(a.epoch(1)));
  CHECK(offsets(a.epoch(0)) != offsets(other.epoch(0)));
  // Fresh offsets: over a few epochs far more distinct windows than one epoch holds.
  std::set<const float*> distinct;
  for (std::uint64_t e = 0; e < 4; ++e)
    for (const auto* p : offsets(a.epoch(e))) distinct.insert(p);
  CHECK(distinct.size() > 3 * static_cast<size_t>(a.items_per_epoch()));
  // Shuffled across settings: the first few items do not all come from one entry.
  const auto items = a.epoch(0);
  std::set<int> first_entries;
  for (size_t i = 0; i < 8; ++i) first_entries.insert(items[i].entry);
  CHECK(first_entries.size() > 1);
}

TEST_CASE("validation: tails of the training entries, whole, ending where the signal ends") {
  TempDir dir;
  const auto x = noise(2 * kRate, 3);
  auto xs = x;
  for (size_t t = static_cast<size_t>(1.5 * kRate); t < xs.size(); ++t)
    xs[t] = 0.0f;  // 0.5 s of silence
  write_audio(dir / "in.wav", xs, kRate);
  write_audio(dir / "out.wav", delayed_amp(xs, 0), kRate);
  write_text(dir / "dataset.json", R"([{"input_path": "in.wav", "output_path": "out.wav"}])");
  write_text(
      dir / "data.json",
      R"({"dataset": "dataset.json", "delay": 0, "ny": 1024, "validation_tail_seconds": 0.25})");
  Warnings w;
  const KnobDataset d = load_knob_dataset(read_data_config(dir / "data.json"), 33, w.sink());
  const WindowSampler sampler(d, 1);
  const auto val = sampler.validation();
  REQUIRE(val.size() == 1);
  CHECK(val[0].y.size() == 12000);
  CHECK(val[0].x.size() == 12000 + 32);
  // The tail ends at the last block with signal (1.5 s, on a 1024-sample block grid), not at 2 s.
  const Index end = d.validation[0].output_begin + d.validation[0].length;
  CHECK(end >= static_cast<Index>(1.5 * kRate));
  CHECK(end < static_cast<Index>(1.5 * kRate) + 1024);
  CHECK(d.train[0].output_begin + d.train[0].length == d.validation[0].output_begin);
  CHECK(w.list.empty());
}
