// See atomic_file.h.
#include "base/atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>

#include <unistd.h>

#include "base/error.h"

namespace namk {

namespace {

// fsync of a file or folder by path. On Linux an fsync through a read-only descriptor flushes the
// file's data and metadata like any other.
bool sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

std::string folder_of(const std::string& path) {
  const std::string folder = std::filesystem::path(path).parent_path().string();
  return folder.empty() ? "." : folder;
}

}  // namespace

void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& temp_path)>& write) {
  // The pid keeps two processes writing the same target from sharing a temp file.
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  try {
    errno = 0;  // so that write_failed() reports this write's reason, not an older one
    write(temp);
    // The data reaches the disk before the new name can point at it: after a power cut the name
    // holds the old file or the whole new one.
    if (!sync_path(temp, O_RDONLY))
      throw input_error(temp, "", "a file that can be synced to disk", std::strerror(errno));
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    throw input_error(path, "", "a writable location", reason);
  }
  // The rename itself is an entry in the folder: sync the folder so it survives a power cut too.
  if (!sync_path(folder_of(path), O_RDONLY | O_DIRECTORY))
    throw input_error(folder_of(path), "", "a folder that can be synced to disk", std::strerror(errno));
}

InputError write_failed(const std::string& temp_path) {
  const std::string reason = errno != 0 ? std::string(std::strerror(errno)) : std::string("a write error");
  return input_error(temp_path, "", "a writable file", reason + " (disk full, no permission, or the folder removed?)");
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](const std::string& temp) {
    std::FILE* out = std::fopen(temp.c_str(), "wb");
    bool ok = out && std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fflush(out) == 0;
    if (out && std::fclose(out) != 0) ok = false;
    if (!ok) throw write_failed(temp);
  });
}

}  // namespace namk
