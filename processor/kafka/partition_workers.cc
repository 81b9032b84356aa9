#include "processor/kafka/partition_workers.h"

#include <pthread.h>

namespace fristvagt::processor {

PartitionWorkers::PartitionWorkers(int threads) {
  for (int i = 1; i < threads; ++i) helpers_.emplace_back([this] { Help(); });
}

PartitionWorkers::~PartitionWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& helper : helpers_) helper.join();
}

void PartitionWorkers::Run(size_t n, const std::function<void(size_t)>& task) {
  if (n == 0) return;
  if (helpers_.empty() || n == 1) {
    // Nothing to share: no wake-up, no hand-over (an idle loop with one partition costs nothing).
    for (size_t i = 0; i < n; ++i) task(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    task_ = &task;
    n_ = n;
    next_.store(0);
    busy_ = helpers_.size();
    ++round_;
  }
  wake_.notify_all();
  Drain();
  std::unique_lock<std::mutex> lock(mu_);
  // The helpers' release of mu_ after their last task orders their writes before our return.
  done_.wait(lock, [this] { return busy_ == 0; });
  task_ = nullptr;
}

// Takes task indices until none is left. Each index goes to exactly one thread.
void PartitionWorkers::Drain() {
  const std::function<void(size_t)>& task = *task_;
  for (size_t i = next_.fetch_add(1); i < n_; i = next_.fetch_add(1)) task(i);
}

void PartitionWorkers::Help() {
  // So that `top -H`, perf and kafka_bench tell the helpers from librdkafka's and RocksDB's.
  pthread_setname_np(pthread_self(), "partition-work");
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || round_ != seen; });
    if (stop_) return;
    seen = round_;
    lock.unlock();
    Drain();
    lock.lock();
    if (--busy_ == 0) done_.notify_one();
  }
}

}  // namespace fristvagt::processor
