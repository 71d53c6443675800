// Writes a file so that readers see either the old complete file or the new complete one, never a
// half-written one (a crash or Ctrl-C mid-write leaves only a stray temp file). Used for audio,
// dataset JSON and, by the trainer, checkpoints. The temp file sits in the same folder, because
// rename() is atomic only within one file system.
#pragma once

#include <functional>
#include <string>

#include "base/error.h"

namespace namk {

// Calls write(temp_path) to produce the file at temp_path, fsyncs it, renames it to `path` and
// fsyncs the folder, so a power cut leaves the old file or the whole new one. If write throws, the
// temp file is removed and the exception passes through. Throws namk::Error when the sync or the
// rename fails.
void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& temp_path)>& write);

// The error for a temp file whose writing failed, with the system's reason when it gave one. A
// `write` callback throws it when its stream reports a failure.
InputError write_failed(const std::string& temp_path);

// Convenience for text (JSON, HTML): the bytes of `text`, exactly.
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace namk
