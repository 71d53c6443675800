// See checkpoint.h. Layout: "NAMKCKPT", u32 version, u64 payload size, payload, u64 hash of the
// payload. Scalars are written as float32 or float64 exactly as the build holds them, with the width
// recorded, so a float build never misreads a double build's file.
#include "train/checkpoint.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "base/error.h"
#include "base/fnv1a.h"
#include "base/atomic_file.h"

namespace namk {

namespace {

constexpr char kMagic[8] = {'N', 'A', 'M', 'K', 'C', 'K', 'P', 'T'};
// Version 2 added the weights' moving average and the training time of earlier runs; version 1
// files still load (no average yet, no time recorded).
constexpr uint32_t kVersion = 2;

class Writer {
 public:
  template <class T>
  void put(const T& value) {
    put_bytes(&value, sizeof(T));
  }
  void put_vec(const Vec& v) {
    put<int64_t>(v.size());
    put_bytes(v.data(), static_cast<size_t>(v.size()) * sizeof(Scalar));
  }
  const std::vector<char>& bytes() const { return bytes_; }

 private:
  void put_bytes(const void* data, size_t n) {
    if (n == 0) return;
    const size_t at = bytes_.size();
    bytes_.resize(at + n);
    std::memcpy(bytes_.data() + at, data, n);
  }
  std::vector<char> bytes_;
};

class Reader {
 public:
  Reader(const std::string& file, const char* data, size_t size)
      : file_(file), data_(data), size_(size) {}
  template <class T>
  T get() {
    T value;
    need(sizeof(T));
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  Vec get_vec() {
    const auto n = get<int64_t>();
    if (n < 0 || static_cast<size_t>(n) > (size_ - pos_) / sizeof(Scalar))
      throw input_error(file_, "", "a vector length that fits the file", std::to_string(n));
    Vec v(n);
    need(static_cast<size_t>(n) * sizeof(Scalar));
    // An empty Vec has no storage (data() is null, which memcpy must never get, even for 0 bytes).
    if (n > 0) std::memcpy(v.data(), data_ + pos_, static_cast<size_t>(n) * sizeof(Scalar));
    pos_ += static_cast<size_t>(n) * sizeof(Scalar);
    return v;
  }
  bool done() const { return pos_ == size_; }

 private:
  void need(size_t n) const {
    if (size_ - pos_ < n) throw input_error(file_, "", "a complete checkpoint", "a truncated file");
  }
  std::string file_;
  const char* data_;
  size_t size_, pos_ = 0;
};

}  // namespace

void save_checkpoint(const std::string& path, const TrainState& s) {
  Writer w;
  w.put<uint32_t>(sizeof(Scalar));
  w.put(s.config_hash);
  w.put(s.epoch);
  w.put(s.step_in_epoch);
  w.put(s.epoch_loss_sum);
  w.put(s.lr_scale);
  w.put(s.skipped_steps);
  w.put(s.best_esr);
  w.put(s.best_epoch);
  w.put(s.epochs_without_improvement);
  w.put_vec(s.params);
  w.put_vec(s.best_params);
  w.put_vec(s.adam.m);
  w.put_vec(s.adam.v);
  w.put(s.adam.steps);
  w.put_vec(s.ema_params);
  w.put(s.elapsed_s);
  const std::vector<char>& payload = w.bytes();
  const uint64_t size = payload.size(), hash = fnv1a(payload.data(), payload.size());
  write_file_atomically(path, [&](const std::string& temp) {
    std::ofstream out(temp, std::ios::binary);
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(&kVersion), sizeof kVersion);
    out.write(reinterpret_cast<const char*>(&size), sizeof size);
    out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    out.write(reinterpret_cast<const char*>(&hash), sizeof hash);
    out.close();
    if (!out) throw write_failed(temp);
  });
}

std::vector<char> read_checkpoint_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, "", "a checkpoint file", "no such file (or it cannot be read)");
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TrainState load_checkpoint(const std::string& path) { return parse_checkpoint(path, read_checkpoint_file(path)); }

TrainState parse_checkpoint(const std::string& path, const std::vector<char>& bytes) {
  Reader header(path, bytes.data(), bytes.size());
  char magic[8];
  for (char& c : magic) c = header.get<char>();
  if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw input_error(path, "", "a nam-knobs checkpoint", "another kind of file");
  const auto version = header.get<uint32_t>();
  if (version != 1 && version != kVersion)
    throw input_error(path, "version", "checkpoint version 1 or " + std::to_string(kVersion),
                      std::to_string(version));
  const auto size = header.get<uint64_t>();
  const size_t payload_at = sizeof kMagic + sizeof version + sizeof size;
  if (bytes.size() != payload_at + size + sizeof(uint64_t))
    throw input_error(path, "", "a complete checkpoint", "a truncated file");
  uint64_t stored_hash;
  std::memcpy(&stored_hash, bytes.data() + payload_at + size, sizeof stored_hash);
  if (stored_hash != fnv1a(bytes.data() + payload_at, size))
    throw input_error(path, "", "a checkpoint whose contents match its checksum", "a corrupt file");

  Reader r(path, bytes.data() + payload_at, size);
  const auto scalar_size = r.get<uint32_t>();
  if (scalar_size != sizeof(Scalar))
    throw input_error(path, "scalar width", std::to_string(sizeof(Scalar)) + "-byte numbers",
                      std::to_string(scalar_size) + "-byte numbers");
  TrainState s;
  s.config_hash = r.get<uint64_t>();
  s.epoch = r.get<int64_t>();
  s.step_in_epoch = r.get<int64_t>();
  s.epoch_loss_sum = r.get<double>();
  s.lr_scale = r.get<double>();
  s.skipped_steps = r.get<int64_t>();
  s.best_esr = r.get<double>();
  s.best_epoch = r.get<int64_t>();
  s.epochs_without_improvement = r.get<int64_t>();
  s.params = r.get_vec();
  s.best_params = r.get_vec();
  s.adam.m = r.get_vec();
  s.adam.v = r.get_vec();
  s.adam.steps = r.get<int64_t>();
  if (version >= 2) {
    s.ema_params = r.get_vec();
    s.elapsed_s = r.get<double>();
  }
  if (!r.done()) throw input_error(path, "", "a complete checkpoint", "trailing bytes");
  return s;
}

}  // namespace namk
