// The pool of `[processing] threads` (processor/kafka/partition_workers.h): every task runs
// exactly once per round, the caller sees what the tasks wrote, and rounds follow each other
// without a task of one round running in the next; with one thread nothing leaves the caller.
// Under ThreadSanitizer (`./dev tsan`) this is the pool's race check.

#include "processor/kafka/partition_workers.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace fristvagt::processor {
namespace {

TEST(PartitionWorkersTest, EveryTaskRunsOncePerRoundAndItsWritesAreSeen) {
  for (int threads : {1, 2, 3, 8}) {
    PartitionWorkers workers(threads);
    EXPECT_EQ(workers.threads(), threads);
    for (size_t n : {0u, 1u, 2u, 5u, 64u}) {
      for (int round = 0; round < 50; ++round) {
        // Plain (non-atomic) slots, one per task: a race here is ThreadSanitizer's to report.
        std::vector<int> runs(n, 0);
        workers.Run(n, [&](size_t i) { runs[i] += round + 1; });
        for (size_t i = 0; i < n; ++i) {
          ASSERT_EQ(runs[i], round + 1) << threads << " threads, " << n << " tasks, task " << i;
        }
      }
    }
  }
}

TEST(PartitionWorkersTest, OneThreadRunsEverythingOnTheCaller) {
  PartitionWorkers workers(1);
  const std::thread::id caller = std::this_thread::get_id();
  int elsewhere = 0;
  workers.Run(4, [&](size_t) { elsewhere += std::this_thread::get_id() != caller; });
  EXPECT_EQ(elsewhere, 0);
}

TEST(PartitionWorkersTest, SeveralThreadsShareTheTasks) {
  PartitionWorkers workers(2);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> waiting{2};
  std::atomic<int> on_caller{0};
  // Each of the two tasks waits for the other to start: done only if they run side by side.
  workers.Run(2, [&](size_t) {
    on_caller += std::this_thread::get_id() == caller;
    --waiting;
    while (waiting.load() > 0) std::this_thread::yield();
  });
  EXPECT_EQ(waiting.load(), 0);
  EXPECT_EQ(on_caller.load(), 1);
}

}  // namespace
}  // namespace fristvagt::processor
