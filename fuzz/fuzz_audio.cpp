// Audio reading through libsndfile (WAV, FLAC, AIFF...). read_audio takes a path, as the CLI
// does, so each input is written to one scratch file per process first.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "audio/audio_file.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/namk_fuzz_audio_" + std::to_string(getpid()) + ".wav";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  const bool written = std::fwrite(data, 1, size, f) == size;
  std::fclose(f);
  if (written) namk::fuzz::refusals_allowed([&] { namk::read_audio(path, [](const std::string&) {}); });
  std::remove(path.c_str());
  return 0;
}
