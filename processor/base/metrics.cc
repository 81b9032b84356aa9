#include "processor/base/metrics.h"

#include "absl/strings/str_cat.h"

namespace fristvagt::processor {

namespace {

void Counter(std::string* out, const char* name, const char* help, uint64_t value) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n", name, " ",
                  value, "\n");
}

void Gauge(std::string* out, const char* name, const char* help, int64_t value) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " gauge\n", name, " ", value,
                  "\n");
}

}  // namespace

void Metrics::AddAlert(const std::string& kind) {
  alerts_produced.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu_);
  ++alerts_by_kind_[kind];
}

void Metrics::SetLag(int32_t partition, int64_t lag) {
  std::lock_guard<std::mutex> lock(mu_);
  lag_[partition] = lag;
}

void Metrics::ForgetPartition(int32_t partition) {
  std::lock_guard<std::mutex> lock(mu_);
  lag_.erase(partition);
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  Counter(&out, "fristvagt_processor_events_consumed_total", "Case events consumed.",
          events_consumed.load());
  Counter(&out, "fristvagt_processor_events_redelivered_total",
          "Case events ignored as re-deliveries (event_id already seen).",
          events_redelivered.load());
  Counter(&out, "fristvagt_processor_events_misrouted_total",
          "Keyed case events on a partition the configured [input] partitioner would not choose.",
          events_misrouted.load());
  Counter(&out, "fristvagt_processor_dead_letters_total", "Messages sent to the dead-letter topic.",
          dead_letters.load());
  Counter(&out, "fristvagt_processor_timers_fired_total", "Deadline timers fired.",
          timers_fired.load());
  Counter(&out, "fristvagt_processor_batches_committed_total", "Batches committed.",
          batches_committed.load());
  Counter(&out, "fristvagt_state_restore_records_total", "Changelog records restored.",
          restore_records.load());
  Counter(&out, "fristvagt_processor_produce_failures_total",
          "Outbox messages the broker did not acknowledge (retried).", produce_failures.load());
  Gauge(&out, "fristvagt_processor_timers_due", "Timers due and not yet fired.", timers_due.load());
  Gauge(&out, "fristvagt_processor_ready", "1 when every assigned partition is restored.",
        ready.load() ? 1 : 0);
  std::lock_guard<std::mutex> lock(mu_);
  absl::StrAppend(&out, "# HELP fristvagt_alerts_produced_total Alerts produced, by kind.\n",
                  "# TYPE fristvagt_alerts_produced_total counter\n");
  for (const auto& [kind, count] : alerts_by_kind_) {
    absl::StrAppend(&out, "fristvagt_alerts_produced_total{kind=\"", kind, "\"} ", count, "\n");
  }
  absl::StrAppend(&out, "# HELP fristvagt_processor_consumer_lag_messages Consumer lag.\n",
                  "# TYPE fristvagt_processor_consumer_lag_messages gauge\n");
  for (const auto& [partition, lag] : lag_) {
    absl::StrAppend(&out, "fristvagt_processor_consumer_lag_messages{partition=\"", partition,
                    "\"} ", lag, "\n");
  }
  return out;
}

}  // namespace fristvagt::processor
