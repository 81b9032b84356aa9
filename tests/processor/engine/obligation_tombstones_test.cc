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
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

using testing::At;
using testing::Event;
using testing::FirstContact;
using testing::Meeting;

constexpr char kPerson[] = "p-retire-1";

class ObligationTombstonesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_));
    store_ = state::NewMemoryStore();
    processor::EngineOptions options;
    options.emit_obligation_records = true;
    options.obligation_retention = absl::Hours(24 * 30);
    engine_ = std::make_unique<processor::Engine>(catalog_, store_.get(), options);
  }

  void Apply(const v1::CaseEvent& event) {
    const absl::Time at = rules::ToAbslTime(event.recorded_at());
    ASSERT_TRUE(engine_->FireTimersUpTo(at).ok());
    ASSERT_TRUE(engine_->ApplyEvent(event, at, "test").ok());
  }

  // Flushes and drains the outbox: the obligations topic's records since the last call, in
  // order, as (obligation_id, value); an empty value is a tombstone.
  std::vector<std::pair<std::string, std::string>> DrainObligations() {
    EXPECT_TRUE(engine_->Flush().ok());
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> outbox;
    EXPECT_TRUE(store_->ScanOutbox(SIZE_MAX, &outbox).ok());
    std::vector<std::pair<std::string, std::string>> records;
    state::Batch drained;
    for (const auto& [seq, entry] : outbox) {
      drained.outbox_removed.push_back(seq);
      if (entry.topic() != processor::kObligationsTopic) continue;
      records.emplace_back(entry.key(), entry.value());
      if (entry.value().empty()) {
        EXPECT_TRUE(entry.person_key().empty()) << "a tombstone must not carry the person key";
      }
    }
    EXPECT_TRUE(store_->Commit(drained).ok());
    return records;
  }

  // The last value per obligation id of `records`.
  static std::map<std::string, std::string> Latest(
      const std::vector<std::pair<std::string, std::string>>& records) {
    std::map<std::string, std::string> latest;
    for (const auto& [id, value] : records) latest[id] = value;
    return latest;
  }

  rules::Catalog catalog_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<processor::Engine> engine_;
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
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2026-03-04T08:59:00+01:00")).ok());
  for (const auto& [id, value] : DrainObligations()) {
    EXPECT_FALSE(value.empty()) << "tombstone for " << id << " before the retention passed";
  }
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2026-03-04T09:01:00+01:00")).ok());
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
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2027-01-01T00:00:00+01:00")).ok());
  EXPECT_TRUE(DrainObligations().empty());
}

TEST_F(ObligationTombstonesTest, AnErasedPersonsRecordsAllLeave) {
  Apply(FirstContact("fc-1", kPerson, "2026-01-05T09:00:00+01:00"));
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2026-01-20T00:00:00+01:00")).ok());  // a breach
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
