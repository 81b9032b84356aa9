// Restore from a compacted changelog on a real Apache Kafka (label realkafka only; the
// embedded broker has no log cleaner). The changelog gets settings that make the cleaner run
// within seconds (segment.ms, min.cleanable.dirty.ratio, delete.retention.ms). A first
// processor works through part of a cohort and dies; once the cleaner has removed superseded
// records, a second processor on an empty disk restores every partition from what is left,
// then works through the rest. The alerts on the topic are then exactly those of an
// uninterrupted run (`fristvagt replay` over all events), the rebuilt stores hold what
// replay's store holds, and an erased person's records — tombstones at first — are gone from
// the changelog once the cleaner has passed again.

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "proto/state.pb.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_cluster.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::KafkaRecord;

constexpr char kChangelog[] = "fristvagt.state-changelog";

class KafkaCompactionTest : public ::testing::Test {
 protected:
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  void SetUp() override {
    absl::StatusOr<std::string> bootstrap = testing::SharedRealKafka();
    ASSERT_TRUE(bootstrap.ok()) << bootstrap.status();
    bootstrap_ = *bootstrap;
    ASSERT_TRUE(testing::DeleteAllTopicsAndGroups(bootstrap_).ok());
    std::vector<testing::TopicSpec> topics = testing::FristvagtTopics(3);
    for (testing::TopicSpec& topic : topics) {
      if (topic.name != kChangelog) continue;
      // A segment closes 200 ms after it opened (at the next record), and the cleaner takes
      // any closed segment with a superseded record; tombstones stay 500 ms after a clean.
      topic.configs["segment.ms"] = "200";
      topic.configs["min.cleanable.dirty.ratio"] = "0.01";
      topic.configs["min.compaction.lag.ms"] = "0";
      topic.configs["delete.retention.ms"] = "500";
    }
    ASSERT_TRUE(testing::CreateTopics(bootstrap_, topics).ok());
  }

  std::vector<KafkaRecord> Changelog() {
    absl::StatusOr<std::vector<KafkaRecord>> records =
        testing::ConsumeToEnd(bootstrap_, kChangelog);
    EXPECT_TRUE(records.ok()) << records.status();
    return records.ok() ? *records : std::vector<KafkaRecord>{};
  }

  int64_t ChangelogEnd() {
    absl::StatusOr<std::map<int32_t, int64_t>> ends = testing::EndOffsets(bootstrap_, kChangelog);
    int64_t total = 0;
    if (ends.ok()) {
      for (const auto& [partition, end] : *ends) total += end;
    }
    return total;
  }

  // Person and timer records of a store, as `debug-dump-state` prints them (see
  // kafka_guarantees_test.cc).
  std::vector<std::string> StateLines(const fs::path& store) {
    const fs::path out = Path("dump.txt");
    fs::remove(out);
    EXPECT_EQ(
        testing::RunBinary("debug-dump-state --state-dir " + store.string() + " > " + out.string()),
        0);
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(testing::ReadFile(out), '\n', absl::SkipEmpty())) {
      if (absl::StartsWith(line, "persons\t") || absl::StartsWith(line, "timers\t")) {
        lines.emplace_back(line);
      }
    }
    return lines;
  }

  testing::TempDir dir_;
  std::string bootstrap_;
};

TEST_F(KafkaCompactionTest, FreshInstanceRestoresFromTheCompactedChangelogAndMissesNothing) {
  // Every event is on the topic before the first processor starts, and it dies (SIGKILL, a
  // crash point of kafka_guarantees_test) halfway through them: a processor that had caught
  // up would follow the wall clock, and its alerts would no longer be replay's.
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 150, .seed = 21});
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  ASSERT_FALSE(erased.empty());
  const std::map<std::string, std::string> expected =
      testing::ExpectedAlerts(dir_.path(), lines, erased);
  ASSERT_GT(expected.size(), 300u);
  ASSERT_TRUE(testing::Produce(bootstrap_, "case-events", testing::CaseEventMessages(lines)).ok());

  // The first disk is worked on twice, each run killed after 8 produce rounds. The cleaner
  // only takes closed segments, and a segment closes at the first record that comes more
  // than segment.ms after the segment's first: the second run's records, which come seconds
  // after the first run's (start-up, group join), close every segment the first run wrote.
  // A single run would not do on a fast machine: all its records can come within segment.ms.
  testing::RunSettings settings;
  settings.state_dir = Path("first");
  settings.batch_size = 10;  // about 60 produce rounds for the cohort's ~600 events
  std::unique_ptr<ChildProcess> run;
  for (const char* name : {"first", "first-again"}) {
    run = testing::StartProcessor(dir_.path(), name, bootstrap_, settings,
                                  {{"FRISTVAGT_CRASH_AT", "kafka.between_batches:8"}});
    ASSERT_EQ(run->Wait(absl::Seconds(60)), -SIGKILL) << run->ReadLog();
  }
  ASSERT_FALSE(testing::InputApplied(bootstrap_));

  // The cleaner has run: fewer records are left than were written (the open segment of each
  // partition is never cleaned, so not all superseded records go).
  const int64_t written = ChangelogEnd();
  size_t left = 0;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        left = Changelog().size();
        return static_cast<int64_t>(left) < written;
      },
      absl::Seconds(60), absl::Seconds(1)))
      << left << " of " << written << " changelog records left: the cleaner did not run";

  // A new disk: every partition is rebuilt from what compaction left, then the rest of the
  // events are processed.
  settings.state_dir = Path("second");
  run = testing::StartProcessor(dir_.path(), "second", bootstrap_, settings);
  auto finished = [&] {
    if (!testing::InputApplied(bootstrap_)) return false;
    absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(bootstrap_, erased);
    return alerts.ok() && alerts->by_id.size() >= expected.size();
  };
  ASSERT_TRUE(testing::WaitUntil(finished, absl::Seconds(90), absl::Milliseconds(250)))
      << run->ReadLog();
  // Partitions the first run had written changelog records for were restored (the others
  // have nothing to restore).
  EXPECT_TRUE(absl::StrContains(run->ReadLog(), ": restored")) << run->ReadLog();

  absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(bootstrap_, erased);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_EQ(alerts->by_id, expected);
  EXPECT_EQ(alerts->conflicts, std::vector<std::string>{});

  // A few more persons later: their records close the segments that hold the erasures, so
  // the cleaner can take those too.
  ASSERT_TRUE(testing::Produce(bootstrap_, "case-events",
                               testing::CaseEventMessages(testing::SyntheticEventLines(
                                   {.persons = 6, .seed = 99})))
                  .ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(bootstrap_); },
                                 absl::Seconds(60), absl::Milliseconds(250)));
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 0) << run->ReadLog();

  std::vector<std::string> live_state;
  for (int p = 0; p < 3; ++p) {
    for (std::string& line : StateLines(Path("second") / ("case-events-" + std::to_string(p)))) {
      if (!absl::StrContains(line, "p-99-")) live_state.push_back(std::move(line));
    }
  }
  std::sort(live_state.begin(), live_state.end());
  std::vector<std::string> replay_state = StateLines(Path("replay.state"));
  std::sort(replay_state.begin(), replay_state.end());
  ASSERT_FALSE(replay_state.empty());
  EXPECT_EQ(live_state, replay_state);

  // Erased persons: none of their facts is left on the changelog, and their tombstones go
  // too once the cleaner passed again after delete.retention.ms. (A person's events that
  // came after the erasure wait, parked, for a first contact, as in replay: a record of
  // parked events only may follow the tombstone.)
  std::set<std::string> with_facts;
  std::set<std::string> tombstones;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        with_facts.clear();
        tombstones.clear();
        for (const KafkaRecord& record : Changelog()) {
          if (!record.key.has_value() || erased.count(*record.key) == 0) continue;
          v1::PersonState person;
          if (!record.value.has_value()) {
            tombstones.insert(*record.key);
          } else if (!person.ParseFromString(*record.value) || person.facts_size() > 0) {
            with_facts.insert(*record.key);
          }
        }
        return with_facts.empty() && tombstones.size() < erased.size();
      },
      absl::Seconds(60), absl::Seconds(1)))
      << with_facts.size() << " erased persons still have facts on the changelog, "
      << tombstones.size() << " of " << erased.size() << " still have a tombstone";
}

}  // namespace
}  // namespace fristvagt
