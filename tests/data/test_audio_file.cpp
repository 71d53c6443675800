// Audio in and out: float32 WAV round trip, and the other formats libsndfile reads (PCM WAV,
// FLAC, AIFF) arriving as float32 mono.
#include <doctest/doctest.h>

#include "audio/audio_file.h"
#include "data_test_util.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("write_wav writes float32 WAV that reads back bit-exactly") {
  TempDir dir;
  const auto x = noise(1000, 2);
  write_wav(dir / "x.wav", x, 44100);
  Warnings w;
  const Audio a = read_audio(dir / "x.wav", w.sink());
  CHECK(a.sample_rate == 44100);
  CHECK(a.samples == x);
  CHECK(w.list.empty());
  SF_INFO info{};
  SNDFILE* f = sf_open((dir / "x.wav").c_str(), SFM_READ, &info);
  REQUIRE(f);
  CHECK(info.format == (SF_FORMAT_WAV | SF_FORMAT_FLOAT));
  CHECK(info.channels == 1);
  sf_close(f);
}

TEST_CASE("read_audio reads PCM WAV, FLAC and AIFF as float32") {
  TempDir dir;
  const auto x = noise(4800, 3);
  const std::pair<const char*, int> formats[] = {{"a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
                                                 {"b.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24},
                                                 {"c.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
                                                 {"d.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24},
                                                 {"e.wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE}};
  for (const auto& [name, format] : formats) {
    CAPTURE(name);
    write_audio(dir / name, x, 96000, 1, format);
    Warnings w;
    const Audio a = read_audio(dir / name, w.sink());
    CHECK(a.sample_rate == 96000);
    REQUIRE(a.samples.size() == x.size());
    double worst = 0;
    for (size_t t = 0; t < x.size(); ++t)
      worst = std::max(worst, double(std::fabs(a.samples[t] - x[t])));
    CHECK(worst < 1.0 / 16384);  // 16-bit quantisation at most
  }
}
