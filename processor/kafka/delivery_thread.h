#pragma once
// The thread that produces a batch's outbox while the next batch is applied
// (`[processing] overlap_delivery`, outbox_delivery.cc): one long-lived thread that runs one job
// at a time. Long-lived rather than a thread per round because a fresh thread starts with an
// empty allocator cache, and every allocation of its round then went to tcmalloc's central
// lists.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace fristvagt::processor {

class DeliveryThread {
 public:
  DeliveryThread() = default;
  ~DeliveryThread();
  DeliveryThread(const DeliveryThread&) = delete;
  DeliveryThread& operator=(const DeliveryThread&) = delete;

  // Hands the thread `job` (started on the first call); the previous job must have been waited
  // for. What the caller wrote before is visible to the job.
  void Start(std::function<void()> job);
  // Returns once the job handed last has finished (at once if none is running); what the job
  // wrote is visible to the caller afterwards.
  void Wait();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable changed_;  // a job handed over, a job finished, or stop
  std::function<void()> job_;        // under mu_; empty once taken
  bool busy_ = false;                // a job handed over and not yet finished, under mu_
  bool stop_ = false;                // under mu_
  std::thread thread_;
};

}  // namespace fristvagt::processor
