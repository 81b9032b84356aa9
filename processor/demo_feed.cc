#include "processor/demo_feed.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "processor/kafka_client.h"
#include "proto/case_event.pb.h"

namespace fristvagt::processor {

namespace {

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// A small, varied cohort: first contacts over the last 70 days, meetings sometimes late,
// tests often missing, CVs for åbenlyst uddannelsesparate often missing, some late
// registrations: enough to show reminders, breaches, resolutions and retractions.
std::vector<v1::CaseEvent> DemoCohort(const DemoFeedOptions& options, absl::Time now) {
  std::mt19937 rng(static_cast<uint32_t>(options.seed));
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  auto days = [&](int lo, int hi) { return std::uniform_int_distribution<>(lo, hi)(rng); };
  const char* municipalities[] = {"101", "851", "751", "461", "561"};
  std::vector<v1::CaseEvent> events;
  for (int i = 0; i < options.persons; ++i) {
    const std::string person = absl::StrCat("p-demo-", i);
    const std::string municipality = municipalities[i % 5];
    const std::string caseworker = absl::StrCat("cw-", municipality, "-", i % 3);
    int seq = 0;
    auto add = [&](absl::Time occurred, absl::Duration delay) -> v1::CaseEvent* {
      if (occurred + delay > now) return nullptr;
      v1::CaseEvent& e = events.emplace_back();
      e.set_event_id(absl::StrCat(person, "-", seq++));
      e.set_person_key(person);
      e.set_municipality_code(municipality);
      e.set_caseworker_id(caseworker);
      *e.mutable_occurred_at() = Ts(occurred);
      *e.mutable_recorded_at() = Ts(occurred + delay);
      e.set_source_system("demo");
      return &e;
    };
    const absl::Time contact = now - absl::Hours(24 * days(3, 70)) - absl::Hours(days(0, 8));
    const bool youth_education = chance(0.35);
    if (auto* e = add(contact, absl::Minutes(5))) {
      e->mutable_first_contact()->set_has_youth_education(youth_education);
      e->mutable_first_contact()->set_age_years(days(17, 29));
      e->mutable_first_contact()->set_benefit(v1::UDDANNELSESHJAELP);
    }
    const absl::Time meeting = contact + absl::Hours(24 * (chance(0.85) ? days(1, 6) : days(8, 14)));
    const absl::Duration late = chance(0.15) ? absl::Hours(24 * days(2, 9)) : absl::Minutes(30);
    if (auto* e = add(meeting, late)) e->mutable_meeting_held()->set_channel(v1::IN_PERSON);
    const int group_roll = days(0, 99);
    const auto group = group_roll < 12   ? v1::AABENLYST_UDDANNELSESPARAT
                       : group_roll < 55 ? v1::UDDANNELSESPARAT
                                         : v1::AKTIVITETSPARAT;
    if (auto* e = add(meeting + absl::Minutes(20), late)) {
      e->mutable_visitation_decided()->set_group(group);
      e->mutable_visitation_decided()->set_is_final(chance(0.6));
      e->mutable_visitation_decided()->set_justification_documented(chance(0.75));
    }
    if (chance(0.7)) {
      if (auto* e = add(contact + absl::Hours(24 * days(2, 35)), absl::Hours(1))) {
        e->mutable_test_need_assessed()->set_outcome(
            youth_education ? v1::NOT_NEEDED_YOUTH_EDUCATION : v1::TEST_NEEDED);
      }
    }
    if (!youth_education && chance(0.3)) {
      if (auto* e = add(contact + absl::Hours(24 * days(5, 40)), absl::Hours(2))) {
        e->mutable_test_completed()->set_course_needed(chance(0.3));
      }
    }
    if (group == v1::AABENLYST_UDDANNELSESPARAT && chance(0.3)) {
      if (auto* e = add(contact + absl::Hours(24 * days(4, 30)), absl::Hours(3))) {
        e->mutable_cv_published()->set_job_goal_count(chance(0.5) ? 1 : 0);
      }
    }
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return a.recorded_at().seconds() < b.recorded_at().seconds();
  });
  return events;
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
  const std::vector<v1::CaseEvent> events = DemoCohort(options, absl::Now());
  for (const v1::CaseEvent& event : events) {
    const std::string value = event.SerializeAsString();
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                              RD_KAFKA_V_KEY(event.person_key().data(), event.person_key().size()),
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
    const bool consumed = metrics->events_consumed.load() >= events.size();
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
       << "BREACH" << std::setw(9) << "MISSING" << std::setw(10) << "RESOLVED" << "RETRACTED\n";
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
