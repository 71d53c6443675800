// The options shared by several nam-knobs commands (apps/common_options.h).
#include "apps/common_options.h"

#include <cstdio>
#include <limits>

namespace namk::app {

const OptionSpec kModelFileOption{"model", true, "model file (.nam, ours or NAM's)"};
const OptionSpec kDataOption{"data", true, "data config (configs/knobs/*.json) or a dataset JSON"};
const OptionSpec kThreadsOption{"threads", true, "threads (default: every core)"};
const OptionSpec kJsonOption{"json", false, "print one JSON document instead of text"};

long long threads_option(const Args& args, long long fallback) {
  return args.get_int("threads", fallback, 0, kMaxThreads);
}

std::uint64_t seed_option(const Args& args, std::uint64_t fallback) {
  if (!args.has("seed")) return fallback;
  return static_cast<std::uint64_t>(args.get_int("seed", 0, 0, std::numeric_limits<long long>::max()));
}

void warn_on_stderr(const std::string& warning) { std::fprintf(stderr, "warning: %s\n", warning.c_str()); }

}  // namespace namk::app
