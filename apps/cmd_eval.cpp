// nam-knobs eval: not built yet (issue 6).
#include "apps/commands.h"
#include "core/error.h"

namespace namk::app {

int cmd_eval(const Words&) { throw Error("nam-knobs eval is not implemented yet (issue 6)"); }

}  // namespace namk::app
