// nam-knobs export: not built yet (issue 6).
#include "apps/commands.h"
#include "core/error.h"

namespace namk::app {

int cmd_export(const Words&) { throw Error("nam-knobs export is not implemented yet (issue 6)"); }

}  // namespace namk::app
