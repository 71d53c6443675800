// nam-knobs synth: writes the built-in demo knob dataset, or the quality protocol's harder one
// (--amp hard), from data/demo_amp.h into a folder, ready for `nam-knobs train --data
// DIR/data.json`. Deterministic: the same seed gives the same bytes.
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/common_options.h"
#include "base/error.h"

#include "data/demo_amp.h"

namespace namk::app {

int cmd_synth(const Words& argv) {
  const std::vector<OptionSpec> specs = {
      {"out", true, "folder to write the dataset into (created if missing)"},
      {"seed", true, "seed of the guitar-like input signal (default 1)"},
      {"seconds", true, "length of the input in seconds at 48 kHz (default 24; hard: 5)"},
      {"amp", true,
       "demo (gain, tone; the default) or hard (gain, bass, mid, treble, sag, 3 samples of "
       "latency: one-knob sweeps for training, mixed settings with other playing for test)"},
  };
  const Args args("synth", argv, specs);
  const std::string out = args.require("out");
  const std::uint64_t seed = seed_option(args, 1);
  const std::string amp = args.get("amp").value_or("demo");
  if (amp != "demo" && amp != "hard")
    throw UsageError("nam-knobs synth: --amp: expected demo or hard, found " + amp);
  const double seconds = args.get_double("seconds", amp == "hard" ? 5.0 : 24.0, 1.0, 600.0);
  if (amp == "hard") {
    const DemoDataset hard =
        write_hard_dataset(out, seed, seconds, 2 * seconds);
    std::printf(
        "synth: wrote %zu files to %s (hard amp: one-knob sweeps of gain, bass, mid, treble; 5 "
        "mixed settings with other playing held out as \"test\"; latency %ld samples)\n",
        hard.files.size(), out.c_str(), kHardAmpLatency);
    std::printf("synth: train with --data %s\n", hard.data_config.c_str());
    return 0;
  }
  const DemoDataset demo = write_demo_dataset(out, seed, seconds);
  std::printf(
      "synth: wrote %zu files to %s (gain 0..10 x tone 0..10, 2 settings held out as \"test\")\n",
      demo.files.size(), out.c_str());
  std::printf("synth: train with --data %s\n", demo.data_config.c_str());
  return 0;
}

}  // namespace namk::app
