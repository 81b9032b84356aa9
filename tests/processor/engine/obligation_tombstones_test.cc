// The compacted obligations topic forgets (issue 6, docs/integration.md §3): the engine queues
// a tombstone (empty value, key obligation_id, no person key) for each obligation record of
// an erased person, and for each closed obligation once the person's course has ended
// (benefit_ended) and obligation_retention has passed — not a day earlier, never for an
// obligation that is still open.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "processor/engine/engine.h"
#include "rules/course.h"
#include "rules/regime_loader.h"
#include "state/store.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/processor/engine/engine_fixture.h"
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

using testing::At;
using testing::Event;
using testing::FirstContact;
using testing::Meeting;

constexpr char kPerson[] = "p-retire-1";

class ObligationTombstonesTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    processor::EngineOptions options;
    options.emit_obligation_records = true;
    options.obligation_retention = absl::Hours(24 * 30);
    StartEngine(options);
  }

  // Flushes and drains the outbox: the obligations topic's records since the last call, in
  // order, as (obligation_id, value); an empty value is a tombstone.
  std::vector<std::pair<std::string, std::string>> DrainObligations() {
    std::vector<std::pair<std::string, std::string>> records;
    for (const v1::OutboxEntry& entry : Drain(processor::kObligationsTopic)) {
      records.emplace_back(entry.key(), entry.value());
      if (entry.value().empty()) {
        EXPECT_TRUE(entry.person_key().empty()) << "a tombstone must not carry the person key";
      }
    }
    return records;
  }

  // The last value per obligation id of `records`.
  static std::map<std::string, std::string> Latest(
      const std::vector<std::pair<std::string, std::string>>& records) {
    std::map<std::string, std::string> latest;
    for (const auto& [id, value] : records) latest[id] = value;
    return latest;
  }

};

TEST_F(ObligationTombstonesTest, ClosedObligationsLeaveWhenTheRetentionAfterTheCourseEndHasPassed) {
  Apply(FirstContact("fc-1", kPerson, "2026-01-05T09:00:00+01:00"));
  Apply(Meeting("m-1", kPerson, "2026-01-07T09:00:00+01:00"));
  const std::map<std::string, std::string> published = Latest(DrainObligations());
  ASSERT_FALSE(published.empty());
  Apply(Event("end-1", kPerson, "2026-02-02T09:00:00+01:00",
              R"("benefit_ended":{"reason":"EMPLOYMENT"})"));
  DrainObligations();

  // 30 days after 2 February is 4 March 09:00: nothing leaves before.
  AdvanceTo(At("2026-03-04T08:59:00+01:00"));
  for (const auto& [id, value] : DrainObligations()) {
    EXPECT_FALSE(value.empty()) << "tombstone for " << id << " before the retention passed";
  }
  AdvanceTo(At("2026-03-04T09:01:00+01:00"));
  const std::map<std::string, std::string> after = Latest(DrainObligations());
  ASSERT_FALSE(after.empty()) << "the retention timer did not fire";
  for (const auto& [id, value] : after) EXPECT_TRUE(value.empty()) << id;
  // Each published obligation that was closed is gone; an open one would have stayed.
  std::optional<v1::PersonState> person = *store_->GetPerson(kPerson);
  ASSERT_TRUE(person.has_value());
  for (const v1::ObligationRecord& record : person->obligations()) {
    if (published.count(record.obligation_id()) == 0) continue;
    EXPECT_EQ(record.retired(), record.status() != v1::OPEN) << record.obligation_id();
    EXPECT_EQ(after.count(record.obligation_id()) > 0, record.status() != v1::OPEN);
  }
  // Once is enough.
  AdvanceTo(At("2027-01-01T00:00:00+01:00"));
  EXPECT_TRUE(DrainObligations().empty());
}

TEST_F(ObligationTombstonesTest, AnErasedPersonsRecordsAllLeave) {
  Apply(FirstContact("fc-1", kPerson, "2026-01-05T09:00:00+01:00"));
  AdvanceTo(At("2026-01-20T00:00:00+01:00"));  // a breach
  const std::map<std::string, std::string> published = Latest(DrainObligations());
  ASSERT_FALSE(published.empty());
  Apply(Event("x-1", kPerson, "2026-01-21T09:00:00+01:00", R"("person_erased":{})"));
  const std::map<std::string, std::string> after = Latest(DrainObligations());
  for (const auto& [id, value] : published) {
    ASSERT_EQ(after.count(id), 1u) << "no tombstone for " << id;
    EXPECT_TRUE(after.at(id).empty());
  }
}

}  // namespace
}  // namespace fristvagt
