// Behaviour fixtures: fixed renders of fixed models, stored as hashes of their float32 bits, so a
// refactor that changes any output, any initial weight or any written file by one bit fails here.
// Covers NAM's own files, trained knob models (FiLM and concat), every architecture and
// conditioning after init_params, streaming with a knob ramp, the training graph, bake and write.
// Bits depend on the instruction set the build targets, so the expectations are kept per flavour
// (portable SSE2, native AVX-512); other flavours and sanitizer builds have none and say so.
// To rewrite the expectations after an intended change: NAMK_WRITE_RENDER_FIXTURES=1.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/fnv1a.h"
#include "model_test_util.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;

namespace {
const std::string kFixtures = std::string(NAMK_FIXTURES_DIR) + "/";
const std::string kExpected = kFixtures + "renders/expected.txt";

std::string flavour() {
#if defined(__SANITIZE_ADDRESS__)
  return "";  // instrumented code at -O1: checked for memory, not for bits
#elif defined(__AVX512F__) && defined(__FMA__)
  return "avx512";
#elif !defined(__AVX__) && !defined(__FMA__)
  return "sse2";
#else
  return "";
#endif
}

// The hash as hex text, as the expectations store it. They were made starting from
// 1469598103934665603, FNV's offset basis short of its last digit; the start stays, so that the
// stored lines do.
std::string fnv1a_hex(const void* data, size_t n) {
  constexpr uint64_t kStart = 1469598103934665603ull;
  std::ostringstream s;
  s << std::hex << fnv1a(data, n, kStart);
  return s.str();
}
std::string hash_of(const Mat& m) {
  const std::vector<float> f(m.data(), m.data() + m.size());  // float32 bits in any build
  return fnv1a_hex(f.data(), f.size() * sizeof(float));
}
std::string hash_of(const std::string& s) { return fnv1a_hex(s.data(), s.size()); }
// A fixed date: the written file would otherwise carry today's.
std::string file_text(const Model& m) {
  ModelMetadata md;
  md.date = "2026-01-01T00:00:00";
  return model_to_json(m, md);
}

// The knob values a render uses: near each knob's range ends, away from the defaults.
std::vector<double> knob_setting(const Model& m, double where) {
  std::vector<double> v;
  for (const KnobSpec& k : m.knobs()) v.push_back(k.min + where * (k.max - k.min));
  return v;
}

// Every output this model produces that a refactor must keep: streaming in blocks of 64 after
// pre-warm with a knob change (ramped) halfway, the training graph, the written file, and for
// knob WaveNets the baked model's file and stream.
std::map<std::string, std::string> renders(const std::string& name, Model& m) {
  std::map<std::string, std::string> out;
  const Mat x = random_signal(4096, 77);
  const std::vector<double> a = knob_setting(m, 0.2), b = knob_setting(m, 0.9);
  for (size_t i = 0; i < a.size(); ++i) m.set_knob(static_cast<Index>(i), a[i]);
  m.prepare(64);
  m.prewarm();
  Mat y(1, x.cols());
  for (Index pos = 0; pos < x.cols(); pos += 64) {
    if (pos == x.cols() / 2)
      for (size_t i = 0; i < b.size(); ++i) m.set_knob(static_cast<Index>(i), b[i]);
    m.process(x.data() + pos, y.data() + pos, 64);
  }
  out[name + " stream"] = hash_of(y);
  const Mat xg = random_signal(m.receptive_field() + 1500, 78);
  out[name + " graph"] = hash_of(graph_output(m, xg, b));
  out[name + " file"] = hash_of(file_text(m));
  if (!m.knobs().empty() && m.config().architecture == "WaveNet") {
    auto plain = m.baked(a);
    out[name + " baked file"] = hash_of(file_text(*plain));
    plain->prepare(64);
    out[name + " baked stream"] = hash_of(stream_output(*plain, x, {64}));
  }
  return out;
}

std::map<std::string, std::string> all_renders() {
  std::map<std::string, std::string> all;
  auto add = [&](const std::map<std::string, std::string>& r) { all.insert(r.begin(), r.end()); };
  for (const char* file : {"nam/wavenet.nam", "nam/lstm.nam", "nam/wavenet_a1_standard.nam",
                           "c_api/knob_wavenet.nam", "renders/trained_film.nam",
                           "renders/trained_concat.nam", "renders/trained_lstm_film.nam"}) {
    LoadedModel l = load_model(kFixtures + file);
    add(renders(file, *l.model));
  }
  // Initial weights of every architecture and conditioning, and of NAM's presets with FiLM.
  for (auto& [name, config] : all_variants()) {
    auto m = make_model(config);
    m->init_params(3);
    all["init " + name] = hash_of(Mat(m->params()));
    randomise(*m, 4, 0.3);
    add(renders("random " + name, *m));
  }
  for (const std::string& preset : preset_names()) {
    ModelConfig c = preset_config(preset);
    c.knobs = two_knobs();
    auto m = make_model(c);
    m->init_params(5);
    all["init " + preset + " film"] = hash_of(Mat(m->params()));
  }
  return all;
}
}  // namespace

TEST_CASE("fixed models render bit-identically to the stored fixtures") {
  const std::string f = flavour();
  const std::map<std::string, std::string> got = all_renders();
  if (std::getenv("NAMK_WRITE_RENDER_FIXTURES")) {
    // Other flavours' lines stay; all lines sorted, so a rewrite's diff shows only what changed.
    std::set<std::string> lines;
    std::ifstream in(kExpected);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(f + "\t", 0) != 0) lines.insert(line);
    for (auto& [name, h] : got) lines.insert(f + "\t" + name + "\t" + h);
    std::ofstream o(kExpected);
    for (const std::string& line : lines) o << line << "\n";
    MESSAGE("wrote " << got.size() << " " << f << " expectations to " << kExpected);
    return;
  }
  std::map<std::string, std::string> want;
  std::ifstream in(kExpected);
  REQUIRE(in.good());
  for (std::string line; std::getline(in, line);) {
    std::istringstream s(line);
    std::string fl, name, h;
    std::getline(s, fl, '\t');
    std::getline(s, name, '\t');
    std::getline(s, h, '\t');
    if (fl == f) want[name] = h;
  }
  if (f.empty() || want.empty()) {
    MESSAGE("no stored renders for this build's instruction set (flavour '" << f << "'): skipped");
    return;
  }
  CHECK(want.size() == got.size());
  for (auto& [name, h] : want) {
    CAPTURE(name);
    REQUIRE(got.count(name) == 1);
    CHECK(got.at(name) == h);
  }
}
