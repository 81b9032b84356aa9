#pragma once
// A small fixed pool for `[processing] threads`: runs a batch's per-partition tasks (decode and
// apply, fire timers, write the store) in parallel and returns when every one has finished, so
// the caller (the processor's main thread, which consumes, produces and commits) never runs
// alongside them. The calling thread works too: N threads means N - 1 helpers; with 1, tasks run
// inline and no thread is started. Which thread runs which task is not fixed, so a task must
// touch only its own partition's state (kafka_processor.h says what that is).

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fristvagt::processor {

class PartitionWorkers {
 public:
  explicit PartitionWorkers(int threads);
  ~PartitionWorkers();
  PartitionWorkers(const PartitionWorkers&) = delete;
  PartitionWorkers& operator=(const PartitionWorkers&) = delete;

  // Calls task(i) once for every i in [0, n), then returns; everything the tasks wrote is
  // visible to the caller afterwards (and what the caller wrote before is visible to them).
  void Run(size_t n, const std::function<void(size_t)>& task);
  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

 private:
  void Help();
  void Drain();

  std::mutex mu_;
  std::condition_variable wake_;  // a new round, or stop
  std::condition_variable done_;  // a helper finished its part of the round
  const std::function<void(size_t)>* task_ = nullptr;  // the round's task, under mu_
  size_t n_ = 0;                                        // the round's task count, under mu_
  std::atomic<size_t> next_{0};                         // the next task index to take
  uint64_t round_ = 0;                                  // under mu_
  size_t busy_ = 0;  // helpers still in the round, under mu_
  bool stop_ = false;
  std::vector<std::thread> helpers_;
};

}  // namespace fristvagt::processor
