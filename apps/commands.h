// The nam-knobs subcommands. Each lives in its own apps/cmd_<name>.cpp, takes the words after
// its name and returns the process exit code; errors are thrown as namk::Error and printed by main.
#pragma once

#include <string>
#include <vector>

namespace namk::app {

using Words = std::vector<std::string>;

int cmd_train(const Words& argv);
int cmd_render(const Words& argv);
int cmd_eval(const Words& argv);
int cmd_info(const Words& argv);
int cmd_export(const Words& argv);
int cmd_bench(const Words& argv);
int cmd_synth(const Words& argv);
int cmd_plan(const Words& argv);
int cmd_report(const Words& argv);

}  // namespace namk::app
