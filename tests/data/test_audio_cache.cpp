// The float32 audio cache (data/audio_cache.h): made on the first load, mapped on the next, rebuilt
// when the source changes or the cache is damaged, and the source's warnings given every time.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "data/audio_cache.h"
#include "data_test_util.h"

using namespace namk;
using namespace namk::test;

namespace {

std::vector<float> ramp(size_t n, float scale) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = scale * std::sin(0.01f * static_cast<float>(i));
  return x;
}

// The cache's modification time, to tell a rebuilt cache from a reused one.
long long mtime_ns(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace

TEST_CASE("the audio cache is made once, mapped, and holds exactly what read_audio reads") {
  TempDir dir;
  const std::string wav = dir / "take.wav";
  write_audio(wav, ramp(50000, 0.5f), 44100, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  Warnings w;
  const Audio direct = read_audio(wav, w.sink());
  const CachedAudio first = read_audio_cached(wav, w.sink());
  CHECK(std::filesystem::exists(audio_cache_path(wav)));
  CHECK(audio_cache_path(wav) == dir / ".namk-cache/take.wav.f32");
  CHECK(first.samples.mapped());
  CHECK(first.sample_rate == 44100);
  CHECK(first.samples == direct.samples);
  const long long made = mtime_ns(audio_cache_path(wav));
  const CachedAudio again = read_audio_cached(wav, w.sink());
  CHECK(mtime_ns(audio_cache_path(wav)) == made);  // reused, not rewritten
  CHECK(again.samples == direct.samples);
  // Giving the pages back leaves the samples readable (they come back from the page cache).
  again.samples.release();
  CHECK(again.samples == direct.samples);
  CHECK(w.list.empty());
}

TEST_CASE("a changed source or a damaged cache is rebuilt") {
  TempDir dir;
  const std::string wav = dir / "take.wav";
  Warnings w;
  write_audio(wav, ramp(30000, 0.5f), 48000);
  CHECK(read_audio_cached(wav, w.sink()).samples == ramp(30000, 0.5f));
  SUBCASE("new samples, same length") {
    write_audio(wav, ramp(30000, 0.25f), 48000);
    CHECK(read_audio_cached(wav, w.sink()).samples == ramp(30000, 0.25f));
  }
  SUBCASE("a truncated cache file") {
    std::filesystem::resize_file(audio_cache_path(wav), 1000);
    CHECK(read_audio_cached(wav, w.sink()).samples == ramp(30000, 0.5f));
  }
  SUBCASE("a cache of another file put in its place") {
    const std::string other = dir / "other.wav";
    write_audio(other, ramp(20000, 0.1f), 48000);
    read_audio_cached(other, w.sink());
    std::filesystem::copy_file(audio_cache_path(other), audio_cache_path(wav),
                               std::filesystem::copy_options::overwrite_existing);
    CHECK(read_audio_cached(wav, w.sink()).samples == ramp(30000, 0.5f));
  }
}

TEST_CASE("the source's warnings come again when the cache is used") {
  TempDir dir;
  const std::string wav = dir / "stereo.wav";
  std::vector<float> stereo;
  for (float v : ramp(10000, 0.3f)) stereo.insert(stereo.end(), {v, v});
  write_audio(wav, stereo, 48000, 2);
  for (int load = 0; load < 2; ++load) {
    CAPTURE(load);
    Warnings w;
    const CachedAudio a = read_audio_cached(wav, w.sink());
    CHECK(a.samples.size() == 10000);
    REQUIRE(w.list.size() == 1);
    CHECK(w.contains("identical channels; using the first"));
  }
}
