#pragma once
// The processor's metrics (docs/metrics.md), on prometheus-cpp. Updated by the processing
// thread, read by the HTTP thread: prometheus-cpp's metrics are atomic, the rest is guarded.
//
// The plain counters stay std::atomic members (the Kafka processor, the restore and the demo
// feed read and add to them directly) and are turned into prometheus-cpp metric families at
// scrape time by a Collectable; labelled counters, gauges and histograms are prometheus-cpp
// families. Exposition is prometheus-cpp's TextSerializer either way.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace fristvagt::processor {

class Metrics {
 public:
  Metrics();

  std::atomic<uint64_t> events_consumed{0};
  std::atomic<uint64_t> events_redelivered{0};
  // Keyed input records on a partition the configured [input] partitioner would not choose.
  std::atomic<uint64_t> events_misrouted{0};
  std::atomic<uint64_t> dead_letters{0};  // total; by code in AddDeadLetter
  std::atomic<uint64_t> events_applied{0};
  std::atomic<uint64_t> events_parked{0};  // waiting for their course (NO_COURSE after a window)
  std::atomic<uint64_t> alerts_raised{0};  // queued by the engines; produced ones are by kind
  std::atomic<uint64_t> alerts_produced{0};
  std::atomic<uint64_t> timers_fired{0};
  std::atomic<uint64_t> batches_committed{0};
  std::atomic<uint64_t> restore_records{0};
  std::atomic<uint64_t> produce_failures{0};
  std::atomic<int64_t> timers_due{0};  // armed timers already due and not yet fired
  std::atomic<bool> ready{false};
  // What /readyz says it waits for while `ready` is false (the processor sets it).
  void SetWaitingFor(std::string what);
  std::string WaitingFor() const;
  // What /readyz waits for besides, whether ready or not: "a broker: broker unreachable: ..."
  // while no broker answers (processor/kafka/broker_health.h); empty when one does.
  void SetBrokersUnreachable(std::string what);
  std::string BrokersUnreachable() const;

  // fristvagt_build_info{version, regimes}.
  void SetBuildInfo(const std::string& version, const std::vector<std::string>& regime_ids);
  // Every code starts at 0, so rate() and the dashboard see a code before its first use.
  void DeclareDeadLetterCodes(const std::vector<std::string>& codes);
  void AddDeadLetter(std::string_view code);
  // `rule` empty for a DIGEST; `municipality` is bucketed (MunicipalityLabel).
  void AddAlert(std::string_view kind, std::string_view rule, std::string_view municipality);
  void ObserveBatch(double seconds);
  void ObserveEventToAlert(double seconds);
  void ObserveHttpRequest(std::string_view route, int status);
  void SetLag(int32_t partition, int64_t lag);
  void SetPartitionsAssigned(int64_t count);
  void SetRestoreRemaining(int32_t partition, int64_t records);
  void ForgetPartition(int32_t partition);

  // Open and overdue obligations by (rule, municipality), recounted from state: replaces the
  // previous counts (a pair no longer present reads 0).
  using ObligationCounts = std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>>;
  void SetObligations(const ObligationCounts& open_and_overdue);

  // The Prometheus text format (version 0.0.4) of every metric, process metrics included.
  std::string RenderPrometheus() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& dead_letters_by_code_;
  prometheus::Family<prometheus::Counter>& alerts_;
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& restore_remaining_;
  prometheus::Family<prometheus::Gauge>& obligations_open_;
  prometheus::Family<prometheus::Gauge>& obligations_overdue_;
  prometheus::Gauge& partitions_assigned_;
  prometheus::Gauge& restoring_partitions_;
  prometheus::Histogram& batch_duration_;
  prometheus::Histogram& event_to_alert_;

  mutable std::mutex mu_;
  std::string waiting_for_ = "start-up";  // under mu_
  std::string brokers_unreachable_;       // under mu_
  std::map<int32_t, prometheus::Gauge*> lag_by_partition_;        // guarded by mu_
  std::map<int32_t, prometheus::Gauge*> restore_by_partition_;    // guarded by mu_
  std::map<std::pair<std::string, std::string>, std::pair<prometheus::Gauge*, prometheus::Gauge*>>
      obligation_gauges_;  // guarded by mu_
};

// A municipality code as a label: the three digits the decoder accepts, else "other", so the
// label set stays bounded whatever a header says.
std::string MunicipalityLabel(std::string_view code);

}  // namespace fristvagt::processor
