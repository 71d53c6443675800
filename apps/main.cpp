// Entry point of the nam-knobs command: dispatches to a subcommand, and turns every namk::Error
// into a one-line message on stderr and a non-zero exit code (never a crash or a stack trace).
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "apps/args.h"
#include "apps/commands.h"
#include "base/error.h"

namespace {

struct Command {
  const char* name;
  int (*run)(const namk::app::Words&);
  const char* summary;
};

const Command kCommands[] = {
    {"train", namk::app::cmd_train, "train a knob-conditioned model from a dataset"},
    {"render", namk::app::cmd_render, "run audio through a model at given knob settings"},
    {"eval", namk::app::cmd_eval, "measure a model's error on a dataset, per knob setting"},
    {"report", namk::app::cmd_report, "write the HTML report of a model on a dataset (report.html)"},
    {"info", namk::app::cmd_info, "describe a model file"},
    {"export", namk::app::cmd_export, "convert a model to NAM's .nam format (optionally baking knobs)"},
    {"bench", namk::app::cmd_bench, "measure training and real-time inference speed"},
    {"synth", namk::app::cmd_synth, "write the built-in demo knob dataset"},
    {"plan", namk::app::cmd_plan, "plan a capture session: settings, order, reamp signal, dataset"},
};

void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: nam-knobs <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'nam-knobs <command> --help' lists a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  const std::vector<std::string> words(argv + 2, argv + argc);
  for (const auto& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.run(words);
    } catch (const namk::app::HelpRequested& help) {
      std::fputs(help.text.c_str(), stdout);
      return 0;
    } catch (const namk::UsageError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 2;
    } catch (const namk::Error& e) {
      std::fprintf(stderr, "error: %s\n", e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "internal error: %s\n", e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "nam-knobs: unknown command '%s'\n\n", name.c_str());
  print_usage(stderr);
  return 2;
}
