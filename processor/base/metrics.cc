#include "processor/base/metrics.h"

#include <dirent.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace fristvagt::processor {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Seconds; the event→alert histogram reaches further because it includes consumer lag.
const prometheus::Histogram::BucketBoundaries kBatchBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600};

MetricFamily Single(const char* name, const char* help, MetricType type, double value) {
  ClientMetric metric;
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return MetricFamily{name, help, type, {metric}};
}

// The standard process metrics (names as the Prometheus client libraries export them), read
// from /proc/self: prometheus-cpp has no process collector.
void AppendProcessMetrics(std::vector<MetricFamily>* out) {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may contain spaces.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  // f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() < 22) return;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  double boot_time = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  out->push_back(Single("process_cpu_seconds_total", "User and system CPU time in seconds.",
                        MetricType::Counter, cpu));
  out->push_back(Single("process_start_time_seconds", "Start time since the Unix epoch.",
                        MetricType::Gauge, boot_time + std::stod(f[19]) / ticks));
  out->push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        MetricType::Gauge, std::stod(f[20])));
  out->push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                        MetricType::Gauge, std::stod(f[21]) * page));
  double fds = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++fds;
    closedir(dir);
    fds -= 3;  // ".", ".." and the directory's own descriptor
  }
  out->push_back(
      Single("process_open_fds", "Open file descriptors.", MetricType::Gauge, fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out->push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                          MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
}

}  // namespace

std::string MunicipalityLabel(std::string_view code) {
  if (code.size() != 3) return "other";
  for (char c : code) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return "other";
  }
  return std::string(code);
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      dead_letters_by_code_(prometheus::BuildCounter()
                                .Name("fristvagt_processor_dead_letters_total")
                                .Help("Messages sent to the dead-letter topic, by error code.")
                                .Register(*registry_)),
      alerts_(prometheus::BuildCounter()
                  .Name("fristvagt_alerts_produced_total")
                  .Help("Alerts acknowledged by the broker, by kind, rule and municipality.")
                  .Register(*registry_)),
      http_requests_(prometheus::BuildCounter()
                         .Name("fristvagt_http_requests_total")
                         .Help("HTTP requests by route pattern and status code.")
                         .Register(*registry_)),
      build_info_(prometheus::BuildGauge()
                      .Name("fristvagt_build_info")
                      .Help("Always 1: the version and the loaded regime ids.")
                      .Register(*registry_)),
      lag_(prometheus::BuildGauge()
               .Name("fristvagt_processor_consumer_lag_messages")
               .Help("Messages behind the input partition's high watermark.")
               .Register(*registry_)),
      restore_remaining_(prometheus::BuildGauge()
                             .Name("fristvagt_state_restore_remaining_records")
                             .Help("Changelog records still to restore, per partition.")
                             .Register(*registry_)),
      obligations_open_(prometheus::BuildGauge()
                            .Name("fristvagt_obligations_open")
                            .Help("Open obligations in this instance's partitions.")
                            .Register(*registry_)),
      obligations_overdue_(prometheus::BuildGauge()
                               .Name("fristvagt_obligations_overdue")
                               .Help("Breached obligations not met yet, in this instance's "
                                     "partitions.")
                               .Register(*registry_)),
      partitions_assigned_(prometheus::BuildGauge()
                               .Name("fristvagt_processor_partitions_assigned")
                               .Help("Input partitions this instance owns.")
                               .Register(*registry_)
                               .Add({})),
      restoring_partitions_(prometheus::BuildGauge()
                                .Name("fristvagt_state_restoring_partitions")
                                .Help("Partitions being restored from the changelog now.")
                                .Register(*registry_)
                                .Add({})),
      batch_duration_(prometheus::BuildHistogram()
                          .Name("fristvagt_processor_batch_duration_seconds")
                          .Help("One batch from its first event to its commit.")
                          .Register(*registry_)
                          .Add({}, kBatchBuckets)),
      event_to_alert_(prometheus::BuildHistogram()
                          .Name("fristvagt_processor_event_to_alert_seconds")
                          .Help("From the Kafka timestamp of the first input message of a "
                                "batch to the acknowledgement of an alert it raised.")
                          .Register(*registry_)
                          .Add({}, kLatencyBuckets)) {}

void Metrics::SetBuildInfo(const std::string& version, const std::vector<std::string>& regimes) {
  build_info_.Add({{"version", version}, {"regimes", absl::StrJoin(regimes, ",")}}).Set(1);
}

void Metrics::DeclareDeadLetterCodes(const std::vector<std::string>& codes) {
  for (const std::string& code : codes) dead_letters_by_code_.Add({{"code", code}});
}

void Metrics::AddDeadLetter(std::string_view code) {
  dead_letters.fetch_add(1);
  dead_letters_by_code_.Add({{"code", std::string(code)}}).Increment();
}

void Metrics::AddAlert(std::string_view kind, std::string_view rule,
                       std::string_view municipality) {
  alerts_produced.fetch_add(1);
  alerts_
      .Add({{"kind", std::string(kind)},
            {"rule", std::string(rule)},
            {"municipality", MunicipalityLabel(municipality)}})
      .Increment();
}

void Metrics::ObserveBatch(double seconds) { batch_duration_.Observe(seconds); }

void Metrics::ObserveEventToAlert(double seconds) { event_to_alert_.Observe(seconds); }

void Metrics::ObserveHttpRequest(std::string_view route, int status) {
  http_requests_.Add({{"route", std::string(route)}, {"code", std::to_string(status)}})
      .Increment();
}

void Metrics::SetWaitingFor(std::string what) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_for_ = std::move(what);
}

std::string Metrics::WaitingFor() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_for_;
}

void Metrics::SetBrokersUnreachable(std::string what) {
  std::lock_guard<std::mutex> lock(mu_);
  brokers_unreachable_ = std::move(what);
}

std::string Metrics::BrokersUnreachable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return brokers_unreachable_;
}

void Metrics::SetLag(int32_t partition, int64_t lag) {
  std::lock_guard<std::mutex> lock(mu_);
  prometheus::Gauge*& gauge = lag_by_partition_[partition];
  if (gauge == nullptr) gauge = &lag_.Add({{"partition", std::to_string(partition)}});
  gauge->Set(static_cast<double>(lag));
}

void Metrics::SetPartitionsAssigned(int64_t count) {
  partitions_assigned_.Set(static_cast<double>(count));
}

void Metrics::SetRestoreRemaining(int32_t partition, int64_t records) {
  std::lock_guard<std::mutex> lock(mu_);
  prometheus::Gauge*& gauge = restore_by_partition_[partition];
  if (gauge == nullptr) {
    gauge = &restore_remaining_.Add({{"partition", std::to_string(partition)}});
  }
  gauge->Set(static_cast<double>(records));
  int64_t restoring = 0;
  for (const auto& [id, g] : restore_by_partition_) restoring += g->Value() > 0 ? 1 : 0;
  restoring_partitions_.Set(static_cast<double>(restoring));
}

void Metrics::ForgetPartition(int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = lag_by_partition_.find(partition); it != lag_by_partition_.end()) {
    lag_.Remove(it->second);
    lag_by_partition_.erase(it);
  }
  if (auto it = restore_by_partition_.find(partition); it != restore_by_partition_.end()) {
    restore_remaining_.Remove(it->second);
    restore_by_partition_.erase(it);
  }
}

void Metrics::SetObligations(const ObligationCounts& counts) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, gauges] : obligation_gauges_) {
    if (counts.count(key) == 0) {
      gauges.first->Set(0);
      gauges.second->Set(0);
    }
  }
  for (const auto& [key, value] : counts) {
    auto& gauges = obligation_gauges_[key];
    if (gauges.first == nullptr) {
      const prometheus::Labels labels = {{"rule", key.first}, {"municipality", key.second}};
      gauges = {&obligations_open_.Add(labels), &obligations_overdue_.Add(labels)};
    }
    gauges.first->Set(static_cast<double>(value.first));
    gauges.second->Set(static_cast<double>(value.second));
  }
}

std::string Metrics::RenderPrometheus() const {
  std::vector<MetricFamily> families = registry_->Collect();
  const auto counter = [&](const char* name, const char* help, uint64_t value) {
    families.push_back(Single(name, help, MetricType::Counter, static_cast<double>(value)));
  };
  counter("fristvagt_processor_events_consumed_total", "Case events consumed.",
          events_consumed.load());
  counter("fristvagt_processor_events_redelivered_total",
          "Case events ignored as re-deliveries (event_id already seen).",
          events_redelivered.load());
  counter("fristvagt_processor_events_applied_total",
          "Case events applied to a person's facts.", events_applied.load());
  counter("fristvagt_processor_events_parked_total",
          "Case events parked until their person's course starts.", events_parked.load());
  counter("fristvagt_processor_alerts_raised_total", "Alerts the engines queued for producing.",
          alerts_raised.load());
  counter("fristvagt_processor_events_misrouted_total",
          "Keyed case events on a partition the configured [input] partitioner would not choose.",
          events_misrouted.load());
  counter("fristvagt_processor_timers_fired_total", "Deadline timers fired.", timers_fired.load());
  counter("fristvagt_processor_batches_committed_total",
          "Batches committed (only batches with an event or a due timer).",
          batches_committed.load());
  counter("fristvagt_state_restore_records_total", "Changelog records restored.",
          restore_records.load());
  counter("fristvagt_processor_produce_failures_total",
          "Outbox messages the broker did not acknowledge (retried).", produce_failures.load());
  families.push_back(Single("fristvagt_processor_timers_due", "Timers due and not yet fired.",
                            MetricType::Gauge, static_cast<double>(timers_due.load())));
  families.push_back(Single("fristvagt_processor_ready",
                            "1 when every assigned partition is restored.", MetricType::Gauge,
                            ready.load() ? 1 : 0));
  AppendProcessMetrics(&families);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace fristvagt::processor
