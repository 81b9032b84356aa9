// A new caseworker_id on a person's events (issue 14) reaches every obligation record still on
// a caseworker's list (open, or breached and not resolved) on the obligations topic, and every
// later alert; records already closed are left alone.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "processor/engine/engine.h"
#include "proto/alert.pb.h"
#include "rules/course.h"
#include "state/store.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/processor/engine/engine_fixture.h"

namespace fristvagt {
namespace {

using testing::Event;
using testing::FirstContact;
using testing::Meeting;

constexpr char kPerson[] = "p-cw-1";

class CaseworkerChangeTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    processor::EngineOptions options;
    options.emit_obligation_records = true;
    StartEngine(options);
  }

  void Apply(v1::CaseEvent event, const std::string& caseworker) {
    event.set_caseworker_id(caseworker);
    EngineFixture::Apply(event);
  }

  // Drains the outbox: the latest obligation record per id, and the alerts, since last call.
  void Drain(std::map<std::string, v1::Obligation>* records, std::vector<v1::Alert>* alerts) {
    for (const v1::OutboxEntry& entry : EngineFixture::Drain()) {
      if (entry.topic() == processor::kObligationsTopic && !entry.value().empty()) {
        ASSERT_TRUE((*records)[entry.key()].ParseFromString(entry.value()));
      } else if (entry.topic() == processor::kAlertsTopic) {
        alerts->emplace_back();
        ASSERT_TRUE(alerts->back().ParseFromString(entry.value()));
      }
    }
  }
};

TEST_F(CaseworkerChangeTest, ReachesEveryOpenRecordAndLaterAlerts) {
  std::map<std::string, v1::Obligation> records;
  std::vector<v1::Alert> alerts;
  Apply(FirstContact("fc", kPerson, "2019-03-04T09:30:00+01:00"), "cw-1");
  Apply(Meeting("m1", kPerson, "2019-03-06T10:00:00+01:00"), "cw-1");  // first_meeting met
  Drain(&records, &alerts);
  int open_before = 0;
  for (const auto& [id, ob] : records) {
    EXPECT_EQ(ob.caseworker_id(), "cw-1");
    if (ob.status() == v1::OPEN) ++open_before;
  }
  ASSERT_GT(open_before, 3);

  // A registration by the new caseworker, about nothing the rules watch for here.
  records.clear();
  Apply(Event("cv", kPerson, "2019-03-07T10:00:00+01:00",
              R"("caseworker_changed":{})"),
        "cw-2");
  Drain(&records, &alerts);
  int open_after = 0;
  for (const auto& [id, ob] : records) {
    EXPECT_EQ(ob.caseworker_id(), "cw-2") << ob.rule_id();
    if (ob.status() == v1::OPEN) ++open_after;
    EXPECT_NE(ob.rule_id(), "first_meeting") << "a met obligation is on no list";
  }
  EXPECT_EQ(open_after, open_before);

  // Later alerts name the new caseworker.
  alerts.clear();
  AdvanceTo(testing::At("2019-07-01T00:00:00+02:00"));
  Drain(&records, &alerts);
  ASSERT_FALSE(alerts.empty());
  for (const v1::Alert& alert : alerts) EXPECT_EQ(alert.caseworker_id(), "cw-2");

  // The same caseworker again republishes nothing.
  records.clear();
  Apply(Event("cv2", kPerson, "2019-07-02T10:00:00+02:00", R"("caseworker_changed":{})"), "cw-2");
  Drain(&records, &alerts);
  EXPECT_TRUE(records.empty());
}

}  // namespace
}  // namespace fristvagt
