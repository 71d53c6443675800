// process(), set_knob(), reset() and prewarm() perform no heap allocation, for every architecture and conditioning
// method, at every block size up to max_block, while knobs ramp. A separate binary because it
// replaces the global allocator (see alloc_counter.h).
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "alloc_counter.h"
#include "model_test_util.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("the allocation counter catches allocations") {
  long count = 0;
  {
    CountAllocations counter;
    auto p = std::make_unique<int>(3);
    count = counter.count();
  }
  CHECK(count >= 1);
#if NAMK_COUNT_MALLOC
  {
    CountAllocations counter;
    void* p = std::malloc(16);
    count = counter.count();
    std::free(p);
  }
  CHECK(count == 1);
  // An Eigen temporary: the hidden allocation this binary exists to catch.
  const Mat a = Mat::Random(8, 8), b = Mat::Random(8, 8);
  {
    CountAllocations counter;
    Mat c = a * b;
    count = counter.count();
    CHECK(c.size() == 64);
  }
  CHECK(count >= 1);
#endif
  {
    CountAllocations counter;
    count = counter.count();
  }
  CHECK(count == 0);
}

namespace {
std::vector<std::pair<std::string, ModelConfig>> configs() {
  std::vector<std::pair<std::string, ModelConfig>> v;
  v.push_back({"wavenet", tiny_wavenet()});
  ModelConfig film = tiny_wavenet(true);
  film.knobs = two_knobs();
  film.film.head = true;
  v.push_back({"wavenet film gated", film});
  ModelConfig scale_only = tiny_wavenet();
  scale_only.knobs = two_knobs();
  scale_only.film.shift = false;
  v.push_back({"wavenet film scale-only", scale_only});
  ModelConfig concat = tiny_wavenet();
  concat.knobs = two_knobs();
  concat.conditioning = Conditioning::Concat;
  v.push_back({"wavenet concat", concat});
  ModelConfig standard = preset_config("standard");
  standard.knobs = two_knobs();
  v.push_back({"standard film", standard});
  ModelConfig a2_lite = preset_config("a2-lite");  // tiny layers: the planar path (layer_array.h)
  v.push_back({"a2-lite", a2_lite});
  a2_lite.knobs = two_knobs();
  v.push_back({"a2-lite film", a2_lite});
  ModelConfig lstm;
  lstm.architecture = "LSTM";
  lstm.lstm.hidden_size = 8;
  lstm.lstm.num_layers = 2;
  lstm.knobs = two_knobs();
  v.push_back({"lstm film", lstm});
  lstm.conditioning = Conditioning::Concat;
  v.push_back({"lstm concat", lstm});
  v.push_back({"tone stack wavenet", tiny_tone_stack_wavenet()});
  ModelConfig fixed_tone = tiny_tone_stack_wavenet();
  fixed_tone.knobs.clear();
  v.push_back({"tone stack wavenet, no knobs", fixed_tone});
  ModelConfig unmodulated = tiny_tone_stack_wavenet();
  unmodulated.tone_stack_wavenet.knobs_in_post = false;
  v.push_back({"tone stack wavenet, no knobs in post", unmodulated});
  for (auto& variant : all_variants()) v.push_back(variant);
  for (auto& variant : wavenet_07_variants()) v.push_back(variant);
  for (auto& variant : wavenet_06_variants()) v.push_back(variant);
  for (const char* file : {"wavenet_a2_max.nam", "wavenet_condition_dsp.nam"})
    v.push_back({file, load_model(std::string(NAMK_FIXTURES_DIR) + "/nam_models/" + file).model->config()});
  return v;
}
}  // namespace

TEST_CASE("process(), set_knob(), reset() and prewarm() allocate nothing") {
  for (auto& entry : configs()) {
    auto& [name, config] = entry;
    CAPTURE(entry.first);  // not the binding: clang before 16 cannot capture one in CAPTURE's lambda
    auto m = make_model(config);
    randomise(*m, 3, 0.3);
    const int max_block = 64;
    m->prepare(max_block);
    const Mat x = random_signal(6000, 2);
    Mat y(1, x.cols());
    long count = 0;
    {
      CountAllocations counter;
      Index pos = 0;
      int n = 1;
      for (int step = 0; pos + 2 * max_block < x.cols(); ++step) {
        if (step % 17 == 0 && !m->knobs().empty()) {
          m->set_knob(Index(0), double(step % 10));
          m->set_knob("tone", 0.1 * (step % 7) - 0.3);
        }
        if (step == 40) m->set_smoothing_ms(0);
        if (step == 60) m->set_smoothing_ms(5);
        m->process(x.data() + pos, y.data() + pos, n);
        pos += n;
        n = n % max_block + 7;
        if (n > max_block) n = max_block;
      }
      m->process(x.data() + pos, y.data() + pos, int(x.cols() - pos));  // more than max_block
      m->reset();
      m->prewarm();
      count = counter.count();
    }
    CHECK(count == 0);
    CHECK(y.allFinite());
  }
}
