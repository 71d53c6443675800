// Delay estimation against synthetic recordings delayed by known amounts (0, positive, negative),
// through a nonlinearity and with inverted polarity; and "auto" / numeric delays in a dataset.
#include <doctest/doctest.h>

#include "data/alignment.h"
#include "data/knob_dataset.h"
#include "data_test_util.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("estimate_delay finds known delays through a nonlinearity") {
  const auto x = noise(60000, 11);
  for (long delay : {0L, 1L, 37L, 480L, -25L, -300L, 2400L}) {
    CAPTURE(delay);
    CHECK(estimate_delay(x, delayed_amp(x, delay)) == delay);
    CHECK(estimate_delay(x, delayed_amp(x, delay, -0.7)) == delay);  // polarity inverted
  }
}

TEST_CASE("estimate_delay ignores DC and rumble, and copes with short signals") {
  const auto x = noise(20000, 12);
  auto y = delayed_amp(x, 13);
  for (size_t t = 0; t < y.size(); ++t)
    y[t] += 0.3f + 0.2f * static_cast<float>(std::sin(t * 2e-4));
  CHECK(estimate_delay(x, y) == 13);
  const auto tiny = noise(400, 1);
  CHECK(estimate_delay(tiny, delayed_amp(tiny, 3)) == 3);  // lag range shrinks to n / 4 = 100
  CHECK(estimate_delay(std::vector<float>(10, 0.1f), std::vector<float>(10, 0.1f)) == 0);
}

TEST_CASE("delay \"auto\" per distinct output, numbers override it, and the data lines up") {
  TempDir dir;
  const int rate = 48000;
  const auto x = noise(rate, 21);
  write_audio(dir / "in.wav", x, rate);
  write_audio(dir / "late.wav", delayed_amp(x, 40), rate);
  write_audio(dir / "early.wav", delayed_amp(x, -20), rate);
  write_text(dir / "dataset.json", R"({"entries": [
    {"input_file": "in.wav", "output_file": "late.wav", "knob_type": "g", "knob_level": 0},
    {"input_file": "in.wav", "output_file": "early.wav", "knob_type": "g", "knob_level": 1},
    {"input_file": "in.wav", "output_file": "late.wav", "knob_type": "g", "knob_level": 0.5, "delay": 40}]})");
  write_text(
      dir / "data.json",
      R"({"dataset": "dataset.json", "delay": "auto", "ny": 1000, "validation_tail_seconds": 0.2})");
  Warnings w;
  const KnobDataset d = load_knob_dataset(read_data_config(dir / "data.json"), 16, w.sink());
  CHECK(d.entries[0].delay == 40);
  CHECK(d.entries[0].delay_estimated);
  CHECK(d.entries[1].delay == -20);
  CHECK(d.entries[2].delay == 40);
  CHECK_FALSE(d.entries[2].delay_estimated);
  CHECK(w.contains("estimated delays disagree by 60 samples (entries[0]: 40, entries[1]: -20)"));
  // After alignment every target is the amp's response to the input sample it lines up with.
  for (const Segment& s : d.train) {
    const BatchItem item = d.whole(s);
    for (Index j = 0; j < s.length; j += 97)
      CHECK(item.y[j] ==
            doctest::Approx(0.5 * std::tanh(2.0 * item.x[j + d.nx - 1])).epsilon(1e-6));
  }

  write_text(
      dir / "data.json",
      R"({"dataset": "dataset.json", "delay": 40, "ny": 1000, "validation_tail_seconds": 0.2})");
  Warnings w2;
  const KnobDataset fixed = load_knob_dataset(read_data_config(dir / "data.json"), 16, w2.sink());
  CHECK(fixed.entries[1].delay == 40);
  CHECK_FALSE(fixed.entries[1].delay_estimated);
  CHECK(w2.list.empty());
}
