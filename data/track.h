// One audio file's samples as a dataset holds them: in memory, or mapped read-only from a float32
// cache file made once next to the audio (data/audio_cache.h), so that processes on one machine
// share the pages and a process's resident memory holds only what it touched lately (release()).
// A Track reads like a const std::vector<float>; only an in-memory one can be changed (owned()).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace namk {

class MappedFile;

class Track {
 public:
  Track() = default;
  Track(std::vector<float> samples);  // NOLINT: implicit, so tests push vectors
  // `count` floats at byte `offset` of `file`, which stays mapped while any Track refers to it.
  Track(std::shared_ptr<const MappedFile> file, size_t offset, size_t count);

  std::span<const float> samples() const { return view_; }
  operator std::span<const float>() const { return view_; }  // NOLINT: reads like the vector it replaces
  const float* data() const { return view_.data(); }
  size_t size() const { return view_.size(); }
  const float& operator[](size_t i) const { return view_[i]; }
  const float* begin() const { return view_.data(); }
  const float* end() const { return view_.data() + view_.size(); }
  bool operator==(const std::vector<float>& other) const;

  bool mapped() const { return file_ != nullptr; }
  // The in-memory samples, to change (tests); throws UsageError for a mapped track.
  std::vector<float>& owned();
  // Gives the mapped pages back to the page cache (MADV_DONTNEED): this process's resident memory
  // drops by them, and touching them again is a minor fault. Nothing for an in-memory track.
  void release() const;

 private:
  std::vector<float> owned_;
  std::shared_ptr<const MappedFile> file_;
  std::span<const float> view_;
};

// A file mapped read-only (MAP_SHARED: every process mapping it shares the page cache's copy).
class MappedFile {
 public:
  // Throws InputError naming the file when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* bytes() const { return static_cast<const char*>(base_); }
  size_t size() const { return size_; }

 private:
  void* base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace namk
