// nam_reference_render: renders a mono signal through a .nam file with the reference evaluator,
// so any loader's output can be compared with it on any file:
//   nam_reference_render in.wav model.nam out.wav [--slim x] [--prewarm n] [--inputs v1,v2,...]
// --inputs gives the constant values of a file's input channels after the audio (its knobs).
// Files ending in .wav are read and written with libsndfile when the build has it (output: 32-bit
// float WAV at the input's rate); any other name is raw little-endian float32 samples.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nam_reference.h"

#ifdef NAMK_REFERENCE_SNDFILE
#include <sndfile.h>
#endif

namespace {

bool is_wav(const std::string& path) {
  return path.size() > 4 && path.substr(path.size() - 4) == ".wav";
}

std::vector<double> read_audio(const std::string& path, int& sample_rate) {
  std::vector<double> x;
  if (is_wav(path)) {
#ifdef NAMK_REFERENCE_SNDFILE
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (!f) throw std::runtime_error(path + ": " + sf_strerror(nullptr));
    if (info.channels != 1) {
      sf_close(f);
      throw std::runtime_error(path + ": expected a mono file, found " +
                               std::to_string(info.channels) + " channels");
    }
    x.resize(static_cast<size_t>(info.frames));
    sf_read_double(f, x.data(), info.frames);
    sf_close(f);
    sample_rate = info.samplerate;
    return x;
#else
    throw std::runtime_error(path + ": this build has no libsndfile; use raw float32 files");
#endif
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  float s = 0;
  while (in.read(reinterpret_cast<char*>(&s), sizeof s)) x.push_back(s);
  return x;
}

void write_audio(const std::string& path, const std::vector<double>& y, int sample_rate) {
  if (is_wav(path)) {
#ifdef NAMK_REFERENCE_SNDFILE
    SF_INFO info{};
    info.channels = 1;
    info.samplerate = sample_rate;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error(path + ": " + sf_strerror(nullptr));
    sf_write_double(f, y.data(), static_cast<sf_count_t>(y.size()));
    sf_close(f);
    return;
#else
    (void)sample_rate;
    throw std::runtime_error(path + ": this build has no libsndfile; use raw float32 files");
#endif
  }
  std::ofstream out(path, std::ios::binary);
  for (double v : y) {
    const float s = static_cast<float>(v);
    out.write(reinterpret_cast<const char*>(&s), sizeof s);
  }
  if (!out) throw std::runtime_error(path + ": cannot write");
}

// "0.5,-2,7" -> {0.5, -2, 7}; each item must be a number.
std::vector<double> parse_values(const std::string& text) {
  std::vector<double> values;
  size_t at = 0;
  while (true) {
    const size_t comma = text.find(',', at);
    const std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    char* end = nullptr;
    values.push_back(std::strtod(item.c_str(), &end));
    if (item.empty() || *end != '\0') throw std::runtime_error("--inputs: expected numbers v1,v2,..., found '" + text + "'");
    if (comma == std::string::npos) return values;
    at = comma + 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s in.wav|in.f32 model.nam out.wav|out.f32 [--slim x] [--prewarm n] "
                 "[--inputs v1,v2,...]\n",
                 argv[0]);
    return 2;
  }
  try {
    namk::reference::RenderOptions options;
    for (int i = 4; i < argc; ++i) {
      const std::string flag = argv[i];
      if (i + 1 >= argc) throw std::runtime_error(flag + ": needs a value");
      if (flag == "--slim")
        options.slim = std::strtod(argv[++i], nullptr);
      else if (flag == "--prewarm")
        options.prewarm_samples = std::strtol(argv[++i], nullptr, 10);
      else if (flag == "--inputs")
        options.inputs = parse_values(argv[++i]);
      else
        throw std::runtime_error("unknown option " + flag);
    }
    int sample_rate = 48000;
    const std::vector<double> x = read_audio(argv[1], sample_rate);
    const auto model = namk::reference::ReferenceModel::load(argv[2]);
    std::fprintf(stderr, "%s %s: %s; pre-warm %ld samples\n", model.architecture().c_str(),
                 model.version().c_str(), model.describe(options.slim).c_str(),
                 options.prewarm_samples >= 0 ? options.prewarm_samples
                                              : model.prewarm_samples(options.slim));
    write_audio(argv[3], model.render(x, options), sample_rate);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nam_reference_render: %s\n", e.what());
    return 1;
  }
  return 0;
}
