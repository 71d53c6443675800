// See atomic_file.h.
#include "core/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

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
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw input_error(temp, "", "a writable file", "a write error (disk full or no permission?)");
  });
}

}  // namespace namk
