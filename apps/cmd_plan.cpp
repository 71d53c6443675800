// nam-knobs plan: turns a knob list into a recording session (data/capture_plan.h), and with
// --check reports which of a session's takes are missing or unusable before training.
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/common_options.h"
#include "base/error.h"

#include "data/capture_plan.h"

namespace namk::app {

int cmd_plan(const Words& argv) {
  const std::vector<OptionSpec> specs = {
      {"knob", true,
       "a knob, repeatable: name:min:max[:default] (continuous) or name:a,b,c (detented or "
       "switch)"},
      {"settings", true, "number of training settings N (at least the number of knobs + 1)"},
      {"test", true, "number of held-out test settings M (default 0)"},
      {"seconds", true, "length of each take's reamp signal (default 20)"},
      {"anchor-seconds", true, "add one long take of this length at the defaults (default: none)"},
      {"seed", true, "seed of the design and the signal (default 1)"},
      {"out", true, "session folder to write (new or empty)"},
      {"force", false, "write the plan's files into a non-empty --out"},
      {"check", true, "a recorded session folder: report missing or unusable takes"},
  };
  const Args args("plan", argv, specs);
  if (auto session = args.get("check")) {
    const SessionCheck check = check_capture_session(*session);
    std::fputs(check.text().c_str(), stdout);
    return check.bad ? 1 : 0;
  }
  PlanOptions options;
  for (const auto& text : args.all("knob")) options.knobs.push_back(parse_plan_knob(text));
  if (!args.has("settings")) throw UsageError("nam-knobs plan: missing required option --settings");
  // Sign, overflow and absurd sizes are refused here; make_capture_plan checks what the knobs need.
  options.settings = static_cast<size_t>(args.get_int("settings", 0, 0, 100000));
  options.tests = static_cast<size_t>(args.get_int("test", 0, 0, 100000));
  options.seed = seed_option(args, 1);
  options.seconds = args.get_double("seconds", kDefaultTakeSeconds, 0, 1e9);
  options.anchor_seconds = args.get_double("anchor-seconds", 0.0, 0, 1e9);
  const std::string out = args.require("out");
  const CapturePlan plan = make_capture_plan(options);
  write_capture_session(plan, out, args.has("force"));
  std::fputs(plan_text(plan).c_str(), stdout);
  std::printf("\nplan: wrote %s/ (input.wav, plan.csv, plan.txt, dataset.json, README.txt)\n",
              out.c_str());
  std::printf("plan: knob travel %.2f vs %.2f for a random order\n", plan.travel,
              plan.random_travel);
  return 0;
}

}  // namespace namk::app
