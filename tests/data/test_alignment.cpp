// Latency estimation: known delays (0, positive, negative) through a nonlinearity and inverted
// polarity; first arrivals through chains with strong phase shift (where the correlation peak is
// late); the shared latency of one chain with outliers flagged; "auto", "auto_per_pair" and
// numeric delays in a dataset, and the warning for a target that would need the future.
#include <doctest/doctest.h>

#include "chain_util.h"
#include "data/alignment.h"
#include "data/demo_amp.h"
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

TEST_CASE("first arrival through phase-shifting chains: exact or one sample early, never late") {
  // Broadband noise and a guitar-like signal with little above 5 kHz (which blurs the onset).
  const std::vector<float> inputs[] = {noise(60000, 11), demo_guitar_input(7, 3.0)};
  for (const auto& x : inputs)
    for (Chain chain :
         {Chain::drive, Chain::high_pass, Chain::tone_stack, Chain::all_pass, Chain::cab})
      for (long latency : {0L, 1L, 37L, 480L}) {
        CAPTURE(chain_name(chain));
        CAPTURE(latency);
        const DelayEstimate e = estimate_latency(x, chain_output(x, chain, latency));
        CHECK(e.delay <= latency);
        CHECK(e.delay >= latency - 1);
        CHECK(e.reliable());
        // Where the phase shift is strong the correlation peak comes late: what "auto" used to
        // align to, asking the model for samples it has not seen yet.
        if (chain == Chain::all_pass || chain == Chain::cab) CHECK(e.peak > latency);
      }
}

TEST_CASE("joint latency: the median of the reliable estimates, outliers flagged not used") {
  const auto est = [](long delay, double db) {
    DelayEstimate e;
    e.delay = delay;
    e.confidence_db = db;
    e.clear_onset = true;
    return e;
  };
  const std::vector<DelayEstimate> one_chain = {est(5, 40),  est(5, 45), est(4, 38),
                                                est(61, 44), est(5, 42), est(-200, 9)};
  const JointDelay j = joint_latency(one_chain);
  CHECK(j.delay == 5);
  CHECK(j.outlier == std::vector<bool>{false, false, false, true, false, true});
  // Nothing reliable: the earliest estimate, everything flagged.
  const std::vector<DelayEstimate> weak = {est(3, 5), est(1, 6)};
  const JointDelay w = joint_latency(weak);
  CHECK(w.delay == 1);
  CHECK(w.outlier == std::vector<bool>{true, true});
  CHECK(joint_latency(std::vector<DelayEstimate>{}).delay == 0);
}

TEST_CASE(
    "delay \"auto_per_pair\" per distinct output, numbers override it, and the data lines up") {
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
      R"({"dataset": "dataset.json", "delay": "auto_per_pair", "ny": 1000, "validation_tail_seconds": 0.2})");
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

  // A stated delay later than the output's first arrival: warned, the target would be acausal.
  write_text(
      dir / "data.json",
      R"({"dataset": "dataset.json", "delay": 40, "ny": 1000, "validation_tail_seconds": 0.2})");
  Warnings w2;
  const KnobDataset fixed = load_knob_dataset(read_data_config(dir / "data.json"), 16, w2.sink());
  CHECK(fixed.entries[1].delay == 40);
  CHECK_FALSE(fixed.entries[1].delay_estimated);
  CHECK(fixed.entries[1].estimate.delay == -20);
  REQUIRE(w2.list.size() == 1);
  CHECK(
      w2.contains("entries[1]: with delay 40 the target leads its input: the "
                  "output's first arrival is at -20 (correlation peak -20, "));
  CHECK(
      w2.contains("so a causal model would need to see 60 samples of the future. Set \"delay\" "
                  "to -20 or less"));
}

TEST_CASE("delay \"auto\": one latency shared by the chain, the outlier flagged and not used") {
  TempDir dir;
  const int rate = 48000;
  const auto x = noise(rate, 22);
  write_audio(dir / "in.wav", x, rate);
  std::string entries;
  const Chain chains[] = {Chain::drive, Chain::high_pass, Chain::tone_stack, Chain::all_pass,
                          Chain::cab};
  for (int i = 0; i < 5; ++i) {
    const std::string name = "out" + std::to_string(i) + ".wav";
    write_audio(dir / name, chain_output(x, chains[i], 5), rate);
    entries += R"({"input_file": "in.wav", "output_file": ")" + name +
               R"(", "knob_type": "g", "knob_level": 0.)" + std::to_string(i) + "},\n";
  }
  write_audio(dir / "other.wav", chain_output(x, Chain::drive, 300), rate);
  entries +=
      R"({"input_file": "in.wav", "output_file": "other.wav", "knob_type": "g", "knob_level": 0.9})";
  write_text(dir / "dataset.json", "{\"entries\": [" + entries + "]}");
  write_text(dir / "data.json",
             R"({"dataset": "dataset.json", "ny": 1000, "validation_tail_seconds": 0.2})");
  Warnings w;
  const KnobDataset d = load_knob_dataset(read_data_config(dir / "data.json"), 16, w.sink());
  REQUIRE(d.entries.size() == 6);
  for (const auto& e : d.entries) {
    CAPTURE(e.spec.field);
    CHECK(e.delay == 5);
    CHECK(e.delay_estimated);
  }
  for (int i = 0; i < 5; ++i) CHECK_FALSE(d.entries[i].delay_outlier);
  CHECK(d.entries[5].delay_outlier);
  CHECK(d.entries[5].estimate.delay == 300);
  REQUIRE(w.list.size() == 1);
  CHECK(w.contains("entries[5]: its first arrival, 300 (correlation peak 300, "));
  CHECK(
      w.contains("disagrees with the other recordings'; it was left out of the shared latency "
                 "5, which it uses. If it went through another chain, give it its own \"delay\""));
  CHECK(d.summary().find("delay 5 estimated (first arrival 300 (correlation peak 300, ") !=
        std::string::npos);
}
