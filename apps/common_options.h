// The options that mean the same in several nam-knobs commands, defined once so that a flag has
// one help text and one parse wherever it appears. Options whose meaning differs between commands
// (--out is a file for one and a folder for another) stay in each command's own table.
#pragma once

#include <cstdint>
#include <string>

#include "apps/args.h"

namespace namk::app {

// Upper bound of every --threads option (0 means every core).
inline constexpr long long kMaxThreads = 1024;

// --model naming a model file to read (render, export, eval, report; train and bench take presets).
extern const OptionSpec kModelFileOption;
// --data naming the data of a knob model (train, eval, report).
extern const OptionSpec kDataOption;
// --threads where absent or 0 means every core (eval, report).
extern const OptionSpec kThreadsOption;
// --json: one JSON document on stdout instead of text (eval, bench).
extern const OptionSpec kJsonOption;

// --threads as a count in [0, kMaxThreads], `fallback` when absent.
long long threads_option(const Args& args, long long fallback);
// --seed as any whole number from 0 up, `fallback` when absent.
std::uint64_t seed_option(const Args& args, std::uint64_t fallback);

// Prints "warning: ..." on stderr: the warning sink of the commands that read files and go on.
void warn_on_stderr(const std::string& warning);

}  // namespace namk::app
