// nam-knobs info: not built yet (issue 6).
#include "apps/commands.h"
#include "core/error.h"

namespace namk::app {

int cmd_info(const Words&) { throw Error("nam-knobs info is not implemented yet (issue 6)"); }

}  // namespace namk::app
