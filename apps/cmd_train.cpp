// nam-knobs train: not built yet (issue 5).
#include "apps/commands.h"
#include "core/error.h"

namespace namk::app {

int cmd_train(const Words&) { throw Error("nam-knobs train is not implemented yet (issue 5)"); }

}  // namespace namk::app
