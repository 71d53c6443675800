// nam-knobs bench: not built yet (issue 7).
#include "apps/commands.h"
#include "core/error.h"

namespace namk::app {

int cmd_bench(const Words&) { throw Error("nam-knobs bench is not implemented yet (issue 7)"); }

}  // namespace namk::app
