// nam-knobs synth: not built yet (issue 4).
#include "apps/commands.h"
#include "core/error.h"

namespace namk::app {

int cmd_synth(const Words&) { throw Error("nam-knobs synth is not implemented yet (issue 4)"); }

}  // namespace namk::app
