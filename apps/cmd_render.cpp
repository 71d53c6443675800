// nam-knobs render: not built yet (issue 6).
#include "apps/commands.h"
#include "core/error.h"

namespace namk::app {

int cmd_render(const Words&) { throw Error("nam-knobs render is not implemented yet (issue 6)"); }

}  // namespace namk::app
