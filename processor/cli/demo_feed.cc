#include "processor/cli/demo_feed.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cohort/simulator.h"
#include "processor/input/event_decoder.h"
#include "processor/kafka/kafka_client.h"
#include "proto/case_event.pb.h"
#include "rules/civil_time.h"

namespace fristvagt::processor {

namespace {

// The person key of a JSON case-event line, so the event lands on its person's partition;
// empty for a malformed line (which then goes to the dead-letter topic with no key).
std::string PersonKeyOf(std::string_view line) {
  static constexpr std::string_view kField = "\"person_key\":\"";
  const size_t at = line.find(kField);
  if (at == std::string_view::npos) return "";
  const size_t from = at + kField.size();
  const size_t to = line.find('"', from);
  return to == std::string_view::npos ? "" : std::string(line.substr(from, to - from));
}

// The simulator's cohort (calibrated to the fokusrevision, noise included: late and repeated
// registrations, voided ones, a few malformed lines) over the last four months, so deadlines
// fall due while you watch.
absl::StatusOr<std::vector<std::string>> DemoCohort(const DemoFeedOptions& options,
                                                    absl::Time now) {
  cohort::SimulateOptions sim;
  sim.persons = options.persons;
  sim.municipalities = 5;
  sim.seed = static_cast<uint64_t>(options.seed);
  sim.months = 4;
  sim.start = absl::CivilDay(rules::AddMonths(rules::LocalDate(now), -4));
  std::vector<std::string> lines;
  cohort::SimulateSinks sinks;
  sinks.format = [](const v1::CaseEvent& event) { return EventToJson(event); };
  sinks.events = [&](std::string_view line) {
    lines.emplace_back(line);
    return absl::OkStatus();
  };
  absl::StatusOr<cohort::SimulateStats> stats = cohort::Simulate(sim, sinks);
  if (!stats.ok()) return stats.status();
  return lines;
}

}  // namespace

absl::Status ProduceDemoEvents(const std::string& bootstrap, const std::string& topic,
                               const DemoFeedOptions& options, Metrics* metrics,
                               std::atomic<bool>* stop) {
  absl::StatusOr<rd_kafka_conf_t*> conf =
      MakeConf({{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}});
  if (!conf.ok()) return conf.status();
  absl::StatusOr<KafkaHandle> producer = NewClient(RD_KAFKA_PRODUCER, *conf);
  if (!producer.ok()) return producer.status();
  absl::StatusOr<std::vector<std::string>> events = DemoCohort(options, options.clock->Now());
  if (!events.ok()) return events.status();
  for (const std::string& value : *events) {
    // JSON lines, as a case system using kcat would send them; the processor accepts both.
    const std::string key = PersonKeyOf(value);
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                              RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer->get(), 50);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
  }
  rd_kafka_flush(producer->get(), 30000);
  // Done when everything was consumed and no alert arrived for two seconds.
  uint64_t last_alerts = 0;
  int quiet = 0;
  for (int waited = 0; waited < 1200 && !stop->load(); ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const uint64_t alerts = metrics->alerts_produced.load();
    const bool consumed = metrics->events_consumed.load() >= events->size();
    quiet = consumed && alerts == last_alerts ? quiet + 1 : 0;
    last_alerts = alerts;
    if (quiet >= 20) break;
  }
  stop->store(true);
  return absl::OkStatus();
}

void DemoPrinter::Print(const v1::Alert& alert) {
  ++by_rule_[alert.rule_id()][v1::AlertKind_Name(alert.kind())];
  out_ << std::left << std::setw(10) << v1::AlertKind_Name(alert.kind()) << " kommune "
       << alert.municipality_code() << "  " << std::setw(13) << alert.person_key() << " "
       << alert.message() << '\n';
}

void DemoPrinter::Summary() {
  out_ << "\nSummary: alerts per rule\n";
  out_ << std::left << std::setw(34) << "rule" << std::setw(10) << "REMINDER" << std::setw(8)
       << "BREACH" << std::setw(9) << "MISSING" << std::setw(10) << "RESOLVED"
       << "RETRACTED\n";
  for (const auto& [rule, kinds] : by_rule_) {
    auto count = [&](const char* kind) {
      auto it = kinds.find(kind);
      return it == kinds.end() ? 0 : it->second;
    };
    out_ << std::setw(34) << rule << std::setw(10) << count("REMINDER") << std::setw(8)
         << count("BREACH") << std::setw(9) << count("MISSING") << std::setw(10)
         << count("RESOLVED") << count("RETRACTED") << '\n';
  }
  out_.flush();
}

}  // namespace fristvagt::processor
