// The state safeguard against absurd input per person (issue 18): a person with more events
// than EngineOptions::max_events_per_person does not grow its stored record any further; every
// further event is dead-lettered TOO_MANY_EVENTS with the event as it came, and counted.
// Re-deliveries of kept events are still recognised, other persons are unaffected, and
// person_erased still applies (taking the dead letters of the person with it).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "processor/engine/engine.h"
#include "rules/course.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/processor/engine/engine_fixture.h"

namespace fristvagt {
namespace {

using testing::FirstContact;
using testing::Meeting;

class PersonBoundTest : public testing::EngineFixture {
 protected:
  void SetUp() override {
    processor::EngineOptions options;
    options.max_events_per_person = 5;
    StartEngine(options);
  }

  void Apply(const v1::CaseEvent& event) {
    EngineFixture::Apply(event, "case-events/0@" + event.event_id());
  }

  // The dead letters committed so far.
  std::vector<v1::OutboxEntry> DeadLetters() {
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
    EXPECT_TRUE(store_->ScanOutbox(SIZE_MAX, &entries).ok());
    std::vector<v1::OutboxEntry> letters;
    for (auto& [seq, entry] : entries) {
      if (entry.topic() == processor::kDeadLetterTopic) letters.push_back(std::move(entry));
    }
    return letters;
  }

  int StoredEvents(const std::string& person) {
    absl::StatusOr<std::optional<v1::PersonState>> stored = store_->GetPerson(person);
    EXPECT_TRUE(stored.ok() && stored->has_value());
    return stored.ok() && stored->has_value() ? (*stored)->seen_event_ids_size() : -1;
  }

};

TEST_F(PersonBoundTest, EventsBeyondTheLimitAreDeadLetteredAndTheStateStopsGrowing) {
  Apply(FirstContact("fc-1", "p-absurd", "2023-03-10T09:00:00+01:00"));
  for (int i = 1; i <= 9; ++i) {
    Apply(Meeting(absl::StrCat("m-", i), "p-absurd", absl::StrCat("2023-03-1", i, "T10:00:00+01:00")));
  }
  Apply(FirstContact("fc-2", "p-normal", "2023-03-10T09:00:00+01:00"));
  Apply(Meeting("m-1", "p-absurd", "2023-03-11T10:00:00+01:00"));  // a re-delivery of a kept one
  ASSERT_TRUE(engine_->Flush().ok());

  EXPECT_EQ(StoredEvents("p-absurd"), 5);  // first contact and m-1..m-4
  EXPECT_EQ(StoredEvents("p-normal"), 1);
  EXPECT_EQ(engine_->counters().events_over_person_limit, 5u);
  EXPECT_EQ(engine_->counters().dead_letters, 5u);
  EXPECT_EQ(engine_->counters().events_redelivered, 1u);
  const std::vector<v1::OutboxEntry> letters = DeadLetters();
  ASSERT_EQ(letters.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const v1::OutboxEntry& letter = letters[i];
    EXPECT_EQ(letter.headers().at("fristvagt.error.code"), "TOO_MANY_EVENTS");
    EXPECT_TRUE(absl::StrContains(letter.headers().at("fristvagt.error.message"),
                                  "max_events_per_person"));
    // The message never names the person; the event goes out as it came, with its position.
    EXPECT_FALSE(absl::StrContains(letter.headers().at("fristvagt.error.message"), "p-absurd"));
    EXPECT_TRUE(absl::StrContains(letter.value(), absl::StrCat("\"m-", i + 5, "\"")))
        << letter.value();
    EXPECT_EQ(letter.headers().at("fristvagt.source.position"), absl::StrCat("case-events/0@m-", i + 5));
  }

  // A refused event delivered again is refused again (it was never kept as seen).
  Apply(Meeting("m-9", "p-absurd", "2023-03-19T10:00:00+01:00"));
  ASSERT_TRUE(engine_->Flush().ok());
  EXPECT_EQ(engine_->counters().events_over_person_limit, 6u);
  EXPECT_EQ(StoredEvents("p-absurd"), 5);

  // Erasure still applies, and takes the person's dead letters with it.
  Apply(testing::Event("erase-1", "p-absurd", "2023-04-01T10:00:00+01:00", R"("person_erased":{})"));
  ASSERT_TRUE(engine_->Flush().ok());
  absl::StatusOr<std::optional<v1::PersonState>> erased = store_->GetPerson("p-absurd");
  ASSERT_TRUE(erased.ok());
  EXPECT_FALSE(erased->has_value());
  EXPECT_TRUE(DeadLetters().empty());
}

}  // namespace
}  // namespace fristvagt
