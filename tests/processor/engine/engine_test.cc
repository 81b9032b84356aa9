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
#include "tests/processor/engine/engine_fixture.h"

namespace fristvagt {
namespace {

using testing::At;
using testing::FirstContact;
using testing::Meeting;

class EngineTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    processor::EngineOptions options;
    options.emit_obligation_records = true;  // so an applied event visibly changes something
    StartEngine(options);
  }

  std::vector<v1::Alert> Alerts() {
    std::vector<v1::Alert> alerts;
    for (const v1::OutboxEntry& entry : Drain(processor::kAlertsTopic)) {
      v1::Alert alert;
      EXPECT_TRUE(alert.ParseFromString(entry.value()));
      alerts.push_back(alert);
    }
    return alerts;
  }

};

TEST_F(EngineTest, FirstContactArmsATimerThatRaisesTheBreachWhenTheClockPassesTheDeadline) {
  Apply(FirstContact("fc-1", "p-1", "2023-03-06T09:00:00+01:00"));
  Drain(processor::kAlertsTopic);
  // The first meeting is due within 7 days: nothing before the deadline's end...
  AdvanceTo(At("2023-03-13T22:00:00+01:00"));
  for (const v1::Alert& alert : Alerts()) {
    EXPECT_FALSE(alert.rule_id() == "first_meeting" && alert.kind() == v1::BREACH);
  }
  // ...and a BREACH of first_meeting once the clock has passed it, with no event at all.
  AdvanceTo(At("2023-03-15T12:00:00+01:00"));
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
  EXPECT_FALSE(Drain(processor::kObligationsTopic).empty()) << "the first delivery opened none";
  Apply(event);
  EXPECT_TRUE(Drain(processor::kObligationsTopic).empty());
  EXPECT_EQ(engine_->counters().events_applied, 1u);
  EXPECT_EQ(engine_->counters().events_redelivered, 1u);
}

TEST_F(EngineTest, AnEventBeforeTheFirstContactIsParkedAndCountsOnceTheContactArrives) {
  // The meeting is registered before the (late-registered) first contact: parked, no alert.
  Apply(Meeting("m-1", "p-1", "2023-03-07T10:00:00+01:00"));
  EXPECT_EQ(engine_->counters().events_parked, 1u);
  EXPECT_TRUE(Drain(processor::kAlertsTopic).empty());
  EXPECT_TRUE(Drain(processor::kDeadLetterTopic).empty());
  Apply(FirstContact("fc-1", "p-1", "2023-03-06T09:00:00+01:00"));
  Drain(processor::kAlertsTopic);
  // The parked meeting met the first meeting: no breach when the deadline passes.
  AdvanceTo(At("2023-03-20T12:00:00+01:00"));
  for (const v1::Alert& alert : Alerts()) {
    EXPECT_NE(alert.rule_id(), "first_meeting") << v1::AlertKind_Name(alert.kind());
  }
}

TEST_F(EngineTest, AParkedEventWithNoFirstContactInTheWindowIsDeadLetteredAsNoCourse) {
  Apply(Meeting("m-1", "p-1", "2023-03-07T10:00:00+01:00"), "case-events/0@17");
  AdvanceTo(At("2023-03-13T12:00:00+01:00"));
  EXPECT_TRUE(Drain(processor::kDeadLetterTopic).empty()) << "expired before the window ended";
  AdvanceTo(At("2023-03-15T12:00:00+01:00"));
  const std::vector<v1::OutboxEntry> dead = Drain(processor::kDeadLetterTopic);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].headers().at("fristvagt.error.code"), "NO_COURSE");
  EXPECT_EQ(dead[0].headers().at("fristvagt.source.position"), "case-events/0@17");
  EXPECT_EQ(engine_->counters().dead_letters, 1u);
}

TEST_F(EngineTest, DecoderRejectionsAreQueuedWithTheirCodeAndCounted) {
  engine_->DeadLetter("{not json", "MALFORMED_JSON", "expected a JSON object", "line 3", "p-9");
  const std::vector<v1::OutboxEntry> dead = Drain(processor::kDeadLetterTopic);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value(), "{not json");
  EXPECT_EQ(dead[0].headers().at("fristvagt.error.code"), "MALFORMED_JSON");
  EXPECT_EQ(engine_->counters().dead_letters, 1u);
}

}  // namespace
}  // namespace fristvagt
