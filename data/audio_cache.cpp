// See audio_cache.h. Layout, little-endian: a 64-byte header ("NAMKF32", 0, u32 version, u32 sample
// rate, u64 source size, i64 source modification time in ns, u64 source hash, u64 sample count,
// padding), the samples (float32, 64-byte aligned in the file, so 4-byte aligned in the mapping),
// then the warnings (u32 count; per warning u32 length and its bytes).
#include "data/audio_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/fnv1a.h"

namespace namk {

namespace {

constexpr char kMagic[8] = {'N', 'A', 'M', 'K', 'F', '3', '2', 0};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 64;
constexpr size_t kHashedBytes = 1 << 20;  // from each end of the source

struct Header {
  char magic[8];
  uint32_t version = kVersion, sample_rate = 0;
  uint64_t source_size = 0;
  int64_t source_time_ns = 0;
  uint64_t source_hash = 0, samples = 0;
};
static_assert(sizeof(Header) <= kHeaderBytes);

// The source as the header records it: size, modification time and the hash of both ends.
Header describe_source(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw input_error(path, "", "an audio file", "no such file (or it cannot be read)");
  Header h;
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.source_size = static_cast<uint64_t>(st.st_size);
  h.source_time_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buffer(kHashedBytes);
  uint64_t hash = fnv1a(&h.source_size, sizeof h.source_size);
  const auto hash_from = [&](uint64_t at) {
    in.seekg(static_cast<std::streamoff>(at));
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash = fnv1a(buffer.data(), static_cast<size_t>(in.gcount()), hash);
    in.clear();
  };
  hash_from(0);
  if (h.source_size > kHashedBytes) hash_from(h.source_size - kHashedBytes);
  h.source_hash = hash;
  return h;
}

bool same_source(const Header& a, const Header& b) {
  return a.source_size == b.source_size && a.source_time_ns == b.source_time_ns && a.source_hash == b.source_hash;
}

// The cache's warnings and track, when `file` is a complete cache of the source `expected`.
bool load_cache(const std::string& cache, const Header& expected, CachedAudio& out,
                std::vector<std::string>& warnings) {
  std::error_code ec;
  if (!std::filesystem::exists(cache, ec)) return false;
  auto file = std::make_shared<const MappedFile>(cache);
  Header h;
  if (file->size() < kHeaderBytes) return false;
  std::memcpy(&h, file->bytes(), sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.version != kVersion || !same_source(h, expected))
    return false;
  size_t at = kHeaderBytes + h.samples * sizeof(float);
  if (h.samples > (file->size() - kHeaderBytes) / sizeof(float) || file->size() - at < sizeof(uint32_t)) return false;
  uint32_t count = 0;
  std::memcpy(&count, file->bytes() + at, sizeof count);
  at += sizeof count;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t length = 0;
    if (file->size() - at < sizeof length) return false;
    std::memcpy(&length, file->bytes() + at, sizeof length);
    at += sizeof length;
    if (file->size() - at < length) return false;
    warnings.emplace_back(file->bytes() + at, length);
    at += length;
  }
  if (at != file->size()) return false;
  out.sample_rate = static_cast<int>(h.sample_rate);
  out.samples = Track(file, kHeaderBytes, h.samples);
  return true;
}

void write_cache(const std::string& cache, Header h, const Audio& audio, const std::vector<std::string>& warnings) {
  std::filesystem::create_directories(std::filesystem::path(cache).parent_path());
  h.sample_rate = static_cast<uint32_t>(audio.sample_rate);
  h.samples = audio.samples.size();
  write_file_atomically(cache, [&](const std::string& temp) {
    std::ofstream out(temp, std::ios::binary);
    std::array<char, kHeaderBytes> header{};
    std::memcpy(header.data(), &h, sizeof h);
    out.write(header.data(), header.size());
    out.write(reinterpret_cast<const char*>(audio.samples.data()),
              static_cast<std::streamsize>(audio.samples.size() * sizeof(float)));
    const auto count = static_cast<uint32_t>(warnings.size());
    out.write(reinterpret_cast<const char*>(&count), sizeof count);
    for (const std::string& w : warnings) {
      const auto length = static_cast<uint32_t>(w.size());
      out.write(reinterpret_cast<const char*>(&length), sizeof length);
      out.write(w.data(), static_cast<std::streamsize>(w.size()));
    }
    out.close();
    if (!out) throw write_failed(temp);
  });
}

}  // namespace

std::string audio_cache_path(const std::string& audio_path) {
  const std::filesystem::path p(audio_path);
  return (p.parent_path() / ".namk-cache" / (p.filename().string() + ".f32")).string();
}

CachedAudio read_audio_cached(const std::string& path, const WarningSink& warn) {
  const Header source = describe_source(path);
  const std::string cache = audio_cache_path(path);
  CachedAudio result;
  std::vector<std::string> warnings;
  if (!load_cache(cache, source, result, warnings)) {
    warnings.clear();
    Audio audio = read_audio(path, [&](const std::string& w) { warnings.push_back(w); });
    try {
      write_cache(cache, source, audio, warnings);
    } catch (const std::exception& e) {
      // A read-only dataset still trains, from memory.
      warn(path + ": no audio cache (" + e.what() + "); holding the audio in memory");
      for (const std::string& w : warnings) warn(w);
      return {Track(std::move(audio.samples)), audio.sample_rate};
    }
    warnings.clear();
    if (!load_cache(cache, source, result, warnings))
      throw input_error(cache, "", "the audio cache just written for " + path, "a file that does not read back");
  }
  for (const std::string& w : warnings) warn(w);
  return result;
}

// Track and MappedFile (track.h) live here, beside the one place that maps files.

Track::Track(std::vector<float> samples) : owned_(std::move(samples)), view_(owned_) {}

Track::Track(std::shared_ptr<const MappedFile> file, size_t offset, size_t count) : file_(std::move(file)) {
  if (offset > file_->size() || count > (file_->size() - offset) / sizeof(float))
    throw UsageError("Track: " + std::to_string(count) + " floats at byte " + std::to_string(offset) +
                     " of a " + std::to_string(file_->size()) + "-byte mapping");
  view_ = std::span<const float>(reinterpret_cast<const float*>(file_->bytes() + offset), count);
}

bool Track::operator==(const std::vector<float>& other) const {
  return view_.size() == other.size() && std::equal(view_.begin(), view_.end(), other.begin());
}

std::vector<float>& Track::owned() {
  if (file_) throw UsageError("Track::owned: a mapped track is read-only");
  return owned_;
}

void Track::release() const {
  if (!file_ || file_->size() == 0) return;
  // The whole mapping: it starts on a page boundary, and other tracks never share it.
  madvise(const_cast<char*>(file_->bytes()), file_->size(), MADV_DONTNEED);
}

MappedFile::MappedFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw input_error(path, "", "a readable audio cache file", std::strerror(errno));
  struct stat st {};
  fstat(fd, &st);
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    base_ = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (base_ == MAP_FAILED) {
      const std::string why = std::strerror(errno);
      close(fd);
      base_ = nullptr;
      throw input_error(path, "", "an audio cache file that can be mapped", why);
    }
  }
  close(fd);  // the mapping keeps the file
}

MappedFile::~MappedFile() {
  if (base_) munmap(base_, size_);
}

}  // namespace namk
