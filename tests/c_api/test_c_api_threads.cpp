// The C API from several threads: one handle per thread, 8 threads streaming at once, must give
// exactly the samples the same jobs give one after another. Models share nothing mutable (weights
// are copied per handle, the error text is thread-local), so this is also the test the
// ThreadSanitizer build of scripts/test.sh runs to find data races.
// Usage: namk_c_api_threads_test FIXTURES_DIR
#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "nn/namk.h"

namespace {

constexpr int kThreads = 8;
constexpr int kSamples = 12000;

struct Job {
  std::string path;
  int index = 0;
  std::vector<float> out;
  bool ok = false;
};

// Each thread streams its own input with its own block size and knob automation, so a handle
// that read another's state would give different samples.
void run(Job& job, const std::atomic<bool>* go) {
  namk_model* m = nullptr;
  if (namk_load_file(job.path.c_str(), &m) != NAMK_OK) return;
  const int block = 16 + 37 * job.index;
  bool ok = namk_prepare(m, namk_sample_rate(m), block) == NAMK_OK;
  std::vector<float> in(kSamples);
  for (int t = 0; t < kSamples; ++t)
    in[static_cast<size_t>(t)] = static_cast<float>(0.6 * std::sin(0.01 * (job.index + 1) * t));
  job.out.assign(kSamples, 0.0f);
  if (go)
    while (!go->load()) std::this_thread::yield();  // start together, so the threads overlap
  for (int t = 0, b = 0; t < kSamples; t += block, ++b) {
    ok = ok && namk_set_knob_index(m, 0, std::fmod(job.index + 0.5 * b, 10.0)) == NAMK_OK;
    const int n = t + block <= kSamples ? block : kSamples - t;
    ok = ok && namk_process(m, in.data() + t, job.out.data() + t, n) == NAMK_OK;
  }
  namk_free(m);
  job.ok = ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
    return 2;
  }
  const std::string path = std::string(argv[1]) + "/c_api/knob_wavenet.nam";
  std::vector<Job> alone(kThreads), together(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    alone[static_cast<size_t>(i)] = {path, i, {}, false};
    together[static_cast<size_t>(i)] = {path, i, {}, false};
    run(alone[static_cast<size_t>(i)], nullptr);
  }
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (Job& job : together) threads.emplace_back(run, std::ref(job), &go);
  go = true;
  for (std::thread& t : threads) t.join();

  int failures = 0;
  for (int i = 0; i < kThreads; ++i) {
    const Job &a = alone[static_cast<size_t>(i)], &b = together[static_cast<size_t>(i)];
    if (!a.ok || !b.ok) {
      std::fprintf(stderr, "FAIL: job %d: a C API call failed: %s\n", i, namk_last_error());
      ++failures;
    } else if (a.out != b.out) {
      std::fprintf(stderr, "FAIL: job %d: threaded output differs from the single-threaded run\n", i);
      ++failures;
    }
  }
  // The jobs differ from each other, so equal outputs above are not equal by accident.
  if (alone[0].out == alone[1].out) {
    std::fprintf(stderr, "FAIL: jobs 0 and 1 gave identical outputs\n");
    ++failures;
  }
  if (failures == 0) std::printf("%d threads, one handle each: identical to the single-threaded output\n", kThreads);
  return failures == 0 ? 0 : 1;
}
