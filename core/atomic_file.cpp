// See atomic_file.h.
#include "core/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <unistd.h>

#include "core/error.h"

namespace namk {

void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& temp_path)>& write) {
  // The pid keeps two processes writing the same target from sharing a temp file.
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  try {
    write(temp);
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    throw input_error(path, "", "a writable location", reason);
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](const std::string& temp) {
    // fsync before the rename: after a crash the new name never points at unwritten blocks.
    std::FILE* out = std::fopen(temp.c_str(), "wb");
    bool ok = out && std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fflush(out) == 0 &&
              ::fsync(fileno(out)) == 0;
    if (out && std::fclose(out) != 0) ok = false;
    if (!ok) throw input_error(temp, "", "a writable file", "a write error (disk full or no permission?)");
  });
}

}  // namespace namk
