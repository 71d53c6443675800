// parallel_two_phase (train/train_step.h), which runs a training step's forward and backward over
// the batch items: every item once per phase, on the same thread in both, between() once in the
// middle, each thread's second phase in reverse order of its first, and errors that stop the rest.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "train/train_step.h"

using namespace namk;

TEST_CASE("parallel_two_phase runs each item once per phase, on one thread, the second phase in reverse") {
  for (int threads : {1, 2, 3})
    for (Index n : {1, 2, 7, 16}) {
      CAPTURE(threads);
      CAPTURE(n);
      std::mutex m;
      std::vector<std::pair<Index, int>> first_log, second_log;  // (item, thread) in each thread's order
      std::atomic<int> first_done{0}, between_calls{0};
      int first_done_at_between = -1;
      parallel_two_phase(
          threads, n,
          [&](Index i, int thread) {
            std::lock_guard<std::mutex> lock(m);
            first_log.emplace_back(i, thread);
            ++first_done;
          },
          [&] {
            ++between_calls;
            first_done_at_between = first_done.load();
          },
          [&](Index i, int thread) {
            std::lock_guard<std::mutex> lock(m);
            second_log.emplace_back(i, thread);
          });
      CHECK(between_calls.load() == 1);
      CHECK(first_done_at_between == n);
      REQUIRE(first_log.size() == size_t(n));
      REQUIRE(second_log.size() == size_t(n));
      std::vector<int> thread_of(static_cast<size_t>(n), -1);
      for (auto [i, thread] : first_log) {
        CHECK(thread_of[size_t(i)] == -1);  // once
        thread_of[size_t(i)] = thread;
      }
      for (int thread = 0; thread < threads; ++thread) {
        std::vector<Index> firsts, seconds;
        for (auto [i, t] : first_log)
          if (t == thread) firsts.push_back(i);
        for (auto [i, t] : second_log)
          if (t == thread) seconds.push_back(i);
        std::reverse(firsts.begin(), firsts.end());
        CHECK(firsts == seconds);  // the same items, the last one first
      }
    }
}

TEST_CASE("parallel_two_phase: an error in the first phase skips the rest and is rethrown") {
  std::atomic<int> between_calls{0}, seconds{0};
  CHECK_THROWS_WITH_AS(parallel_two_phase(
                           2, Index(8),
                           [&](Index i, int) {
                             if (i == 5) throw UsageError("item 5 failed");
                           },
                           [&] { ++between_calls; }, [&](Index, int) { ++seconds; }),
                       "item 5 failed", UsageError);
  CHECK(between_calls.load() == 0);
  CHECK(seconds.load() == 0);
  CHECK_THROWS_WITH_AS(parallel_two_phase(
                           2, Index(8), [](Index, int) {}, [] { throw UsageError("between failed"); },
                           [&](Index, int) { ++seconds; }),
                       "between failed", UsageError);
  CHECK(seconds.load() == 0);
}
