#include "processor/kafka/delivery_thread.h"

#include <pthread.h>

#include <utility>

namespace fristvagt::processor {

DeliveryThread::~DeliveryThread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void DeliveryThread::Start(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = std::move(job);
    busy_ = true;
  }
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { Loop(); });
  } else {
    changed_.notify_all();
  }
}

void DeliveryThread::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return !busy_; });
}

void DeliveryThread::Loop() {
  // So that `top -H`, perf and kafka_bench tell it from the main thread.
  pthread_setname_np(pthread_self(), "delivery");
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stop_ || job_; });
    if (stop_ && !job_) return;
    std::function<void()> job = std::move(job_);
    job_ = nullptr;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace fristvagt::processor
