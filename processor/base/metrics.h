#pragma once
// The processor's metrics, declared in one place (conventions.md) and rendered in Prometheus
// text format for /metrics. Names follow fristvagt_<subsystem>_<name>_<unit>. Updated by the
// processing thread, read by the HTTP thread: every value is atomic or guarded.

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace fristvagt::processor {

class Metrics {
 public:
  std::atomic<uint64_t> events_consumed{0};
  std::atomic<uint64_t> events_redelivered{0};
  // Keyed input records on a partition the configured [input] partitioner would not choose.
  std::atomic<uint64_t> events_misrouted{0};
  std::atomic<uint64_t> dead_letters{0};
  std::atomic<uint64_t> alerts_produced{0};
  std::atomic<uint64_t> timers_fired{0};
  std::atomic<uint64_t> batches_committed{0};
  std::atomic<uint64_t> restore_records{0};
  std::atomic<uint64_t> produce_failures{0};
  std::atomic<int64_t> timers_due{0};  // armed timers already due and not yet fired
  std::atomic<bool> ready{false};

  void AddAlert(const std::string& kind);
  void SetLag(int32_t partition, int64_t lag);
  void ForgetPartition(int32_t partition);
  std::string RenderPrometheus() const;

 private:
  mutable std::mutex mu_;
  std::map<int32_t, int64_t> lag_;                  // guarded by mu_
  std::map<std::string, uint64_t> alerts_by_kind_;  // guarded by mu_
};

}  // namespace fristvagt::processor
