// The commands a build leaves out: without the training libraries (NAMK_BUILD_TRAINING=OFF) the
// ones that read datasets or train, without libsndfile `render`. Each still exists, so the command
// line is the same in every build, and says what it needs instead of being unknown.
#include <string>

#include "apps/commands.h"
#include "base/error.h"

namespace namk::app {

namespace {
[[noreturn]] void unavailable(const char* command, const char* needs) {
  throw Error(std::string("nam-knobs ") + command + " needs " + needs + ", which this build does not have");
}
constexpr const char* kTraining = "the training libraries (configure with -DNAMK_BUILD_TRAINING=ON)";
}  // namespace

#ifndef NAMK_HAVE_TRAINING
int cmd_train(const Words&) { unavailable("train", kTraining); }
int cmd_eval(const Words&) { unavailable("eval", kTraining); }
int cmd_report(const Words&) { unavailable("report", kTraining); }
int cmd_synth(const Words&) { unavailable("synth", kTraining); }
int cmd_plan(const Words&) { unavailable("plan", kTraining); }
#endif
#ifndef NAMK_HAVE_AUDIO_FILES
int cmd_render(const Words&) { unavailable("render", "libsndfile for audio files (Debian: libsndfile1-dev)"); }
#endif

}  // namespace namk::app
