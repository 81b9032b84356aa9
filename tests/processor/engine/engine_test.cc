// The Engine on its own (a memory store, no binary, no broker): what one event, a re-delivery,
// an event before its person's first contact and a clock move each leave in the outbox and the
// counters. The scenario files (tests/scenarios) cover the rules; these cover the engine's own
// bookkeeping, which a scenario would only show indirectly.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "processor/engine/engine.h"
#include "proto/alert.pb.h"
#include "rules/course.h"
#include "tests/processor/engine/engine_events.h"

namespace fristvagt {
namespace {

using testing::At;
using testing::FirstContact;
using testing::Meeting;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_));
    store_ = state::NewMemoryStore();
    processor::EngineOptions options;
    options.emit_obligation_records = true;  // so an applied event visibly changes something
    engine_ = std::make_unique<processor::Engine>(catalog_, store_.get(), options);
  }

  void Apply(const v1::CaseEvent& event, const std::string& position = "test") {
    ASSERT_TRUE(engine_->ApplyEvent(event, rules::ToAbslTime(event.recorded_at()), position).ok());
  }

  // The committed outbox entries of `topic`, in order; the outbox is emptied, as a sink would.
  std::vector<v1::OutboxEntry> Take(const std::string& topic) {
    EXPECT_TRUE(engine_->Flush().ok());
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
    EXPECT_TRUE(store_->ScanOutbox(SIZE_MAX, &entries).ok());
    state::Batch sent;
    std::vector<v1::OutboxEntry> found;
    for (auto& [seq, entry] : entries) {
      sent.outbox_removed.push_back(seq);
      if (entry.topic() == topic) found.push_back(std::move(entry));
    }
    EXPECT_TRUE(store_->Commit(sent).ok());
    return found;
  }

  std::vector<v1::Alert> Alerts() {
    std::vector<v1::Alert> alerts;
    for (const v1::OutboxEntry& entry : Take(processor::kAlertsTopic)) {
      v1::Alert alert;
      EXPECT_TRUE(alert.ParseFromString(entry.value()));
      alerts.push_back(alert);
    }
    return alerts;
  }

  rules::Catalog catalog_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<processor::Engine> engine_;
};

TEST_F(EngineTest, FirstContactArmsATimerThatRaisesTheBreachWhenTheClockPassesTheDeadline) {
  Apply(FirstContact("fc-1", "p-1", "2023-03-06T09:00:00+01:00"));
  Take(processor::kAlertsTopic);
  // The first meeting is due within 7 days: nothing before the deadline's end...
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-13T22:00:00+01:00")).ok());
  for (const v1::Alert& alert : Alerts()) {
    EXPECT_FALSE(alert.rule_id() == "first_meeting" && alert.kind() == v1::BREACH);
  }
  // ...and a BREACH of first_meeting once the clock has passed it, with no event at all.
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-15T12:00:00+01:00")).ok());
  int breaches = 0;
  for (const v1::Alert& alert : Alerts()) {
    if (alert.rule_id() == "first_meeting" && alert.kind() == v1::BREACH) ++breaches;
  }
  EXPECT_EQ(breaches, 1);
  EXPECT_GT(engine_->counters().timers_fired, 0u);
}

TEST_F(EngineTest, ARedeliveredEventChangesNothingAndIsCounted) {
  const v1::CaseEvent event = FirstContact("fc-1", "p-1", "2023-03-06T09:00:00+01:00");
  Apply(event);
  EXPECT_FALSE(Take(processor::kObligationsTopic).empty()) << "the first delivery opened none";
  Apply(event);
  EXPECT_TRUE(Take(processor::kObligationsTopic).empty());
  EXPECT_EQ(engine_->counters().events_applied, 1u);
  EXPECT_EQ(engine_->counters().events_redelivered, 1u);
}

TEST_F(EngineTest, AnEventBeforeTheFirstContactIsParkedAndCountsOnceTheContactArrives) {
  // The meeting is registered before the (late-registered) first contact: parked, no alert.
  Apply(Meeting("m-1", "p-1", "2023-03-07T10:00:00+01:00"));
  EXPECT_EQ(engine_->counters().events_parked, 1u);
  EXPECT_TRUE(Take(processor::kAlertsTopic).empty());
  EXPECT_TRUE(Take(processor::kDeadLetterTopic).empty());
  Apply(FirstContact("fc-1", "p-1", "2023-03-06T09:00:00+01:00"));
  Take(processor::kAlertsTopic);
  // The parked meeting met the first meeting: no breach when the deadline passes.
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-20T12:00:00+01:00")).ok());
  for (const v1::Alert& alert : Alerts()) {
    EXPECT_NE(alert.rule_id(), "first_meeting") << v1::AlertKind_Name(alert.kind());
  }
}

TEST_F(EngineTest, AParkedEventWithNoFirstContactInTheWindowIsDeadLetteredAsNoCourse) {
  Apply(Meeting("m-1", "p-1", "2023-03-07T10:00:00+01:00"), "case-events/0@17");
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-13T12:00:00+01:00")).ok());
  EXPECT_TRUE(Take(processor::kDeadLetterTopic).empty()) << "expired before the window ended";
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-15T12:00:00+01:00")).ok());
  const std::vector<v1::OutboxEntry> dead = Take(processor::kDeadLetterTopic);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].headers().at("fristvagt.error.code"), "NO_COURSE");
  EXPECT_EQ(dead[0].headers().at("fristvagt.source.position"), "case-events/0@17");
  EXPECT_EQ(engine_->counters().dead_letters, 1u);
}

TEST_F(EngineTest, DecoderRejectionsAreQueuedWithTheirCodeAndCounted) {
  engine_->DeadLetter("{not json", "MALFORMED_JSON", "expected a JSON object", "line 3", "p-9");
  const std::vector<v1::OutboxEntry> dead = Take(processor::kDeadLetterTopic);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value(), "{not json");
  EXPECT_EQ(dead[0].headers().at("fristvagt.error.code"), "MALFORMED_JSON");
  EXPECT_EQ(engine_->counters().dead_letters, 1u);
}

}  // namespace
}  // namespace fristvagt
