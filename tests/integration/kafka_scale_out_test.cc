// Scale-out (architecture.md, "Design we expect" 4): three `fristvagt run` processes share one
// consumer group, each with its own state dir and one partition. One is killed (SIGKILL, by
// the test-only crash point of processor/kafka/kafka_processor.cc, so that it dies after two
// batches of its partition reached the changelog and before the rest); its partition moves to
// a survivor, which rebuilds the partition's store from the changelog before consuming it,
// reports not-ready (/readyz 503) while it does, and ready again after. The alerts at the end
// are those of one process that did all the work alone (the reference run).
//
// Why the comparison does not depend on the wall clock: each run waits until every partition
// is assigned and caught up (the processor logs "partition N caught up") before the events are
// produced, so every event is applied at the wall clock (rules.md §1), in this run and in the
// reference run alike. The events are from 2023, so every deadline they open passed long
// before either run, whatever the exact moment each event is applied at; the transitions,
// hence the alert_ids (obligation, kind, sequence number), are the same. Only raised_at
// differs, so the two runs' alerts are compared by id.

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::MetricValue;

constexpr int kRestoreDelayMs = 1500;

// Waits until each process holds `counts[i]` partitions and every one of them caught up.
bool WaitLive(const std::vector<ChildProcess*>& processes, const std::vector<size_t>& counts) {
  return testing::WaitUntil(
      [&] {
        for (size_t i = 0; i < processes.size(); ++i) {
          const std::map<int, bool> held = testing::LivePartitions(processes[i]->ReadLog());
          if (held.size() != counts[i]) return false;
          for (const auto& [partition, live] : held) {
            if (!live) return false;
          }
        }
        return true;
      },
      absl::Seconds(60));
}

class KafkaScaleOutTest : public ::testing::Test {
 protected:
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  testing::TempDir dir_;
};

TEST_F(KafkaScaleOutTest, KilledMembersPartitionIsRestoredByASurvivorAndNothingIsLost) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 150, .seed = 11});
  const std::vector<testing::OutgoingMessage> messages = testing::CaseEventMessages(lines);
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  ASSERT_FALSE(messages.empty());

  // The reference: one process alone, on a broker of its own.
  fs::create_directories(Path("reference"));
  std::set<std::string> reference;
  {
    absl::StatusOr<testing::EmbeddedBrokerProcess> broker =
        testing::StartBroker(Path("reference"), 3);
    ASSERT_TRUE(broker.ok()) << broker.status();
    testing::RunSettings settings;
    std::unique_ptr<ChildProcess> run =
        testing::StartProcessor(Path("reference"), "run", broker->bootstrap, settings);
    ASSERT_TRUE(WaitLive({run.get()}, {3})) << run->ReadLog();
    ASSERT_TRUE(testing::Produce(broker->bootstrap, "case-events", messages).ok());
    ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(broker->bootstrap); },
                                   absl::Seconds(60), absl::Milliseconds(250)))
        << run->ReadLog();
    run->Signal(SIGTERM);
    EXPECT_EQ(run->Wait(absl::Seconds(15)), 0) << run->ReadLog();
    absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(broker->bootstrap, erased);
    ASSERT_TRUE(alerts.ok()) << alerts.status();
    reference = alerts->ids();
    ASSERT_GT(reference.size(), 300u);
  }

  // The group: three processes, one partition each. "a" dies at its third produce round,
  // with two batches of its partition on the changelog. The survivors hold a finished restore
  // back for a moment, so that /readyz can be seen answering 503 meanwhile.
  fs::create_directories(Path("group"));
  absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(Path("group"), 3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> names = {"a", "b", "c"};
  std::map<std::string, int> ports;
  std::map<std::string, std::unique_ptr<ChildProcess>> runs;
  for (const std::string& name : names) {
    ports[name] = testing::FreeTcpPort();
    std::map<std::string, std::string> env = {
        {"FRISTVAGT_TEST_RESTORE_DELAY_MS", std::to_string(kRestoreDelayMs)}};
    if (name == "a") {
      env = {{"FRISTVAGT_CRASH_AT", "kafka.after_store_write:3"}};
    }
    testing::RunSettings settings;
    settings.http_port = ports[name];
    runs[name] = testing::StartProcessor(Path("group"), name, broker->bootstrap, settings, env);
  }
  ASSERT_TRUE(WaitLive({runs["a"].get(), runs["b"].get(), runs["c"].get()}, {1, 1, 1}))
      << runs["a"]->ReadLog() << runs["b"]->ReadLog() << runs["c"]->ReadLog();
  ASSERT_TRUE(testing::Produce(broker->bootstrap, "case-events", messages).ok());

  // Poll until done, noting every change of each survivor's /readyz answer after "a" died.
  std::map<std::string, std::vector<int>> readiness;  // name -> answers, repeats collapsed
  std::map<std::string, std::set<std::string>> waits;  // name -> bodies of its 503 answers
  bool a_dead = false;
  const bool done = testing::WaitUntil(
      [&] {
        if (!a_dead && !runs["a"]->Running()) a_dead = true;
        for (const std::string name : {"b", "c"}) {
          std::optional<testing::HttpResult> answer = testing::HttpGet(ports[name], "/readyz");
          const int status = answer.has_value() ? answer->status : 0;
          if (status == 503) waits[name].insert(answer->body);
          std::vector<int>& seen = readiness[name];
          if (a_dead && (seen.empty() || seen.back() != status)) seen.push_back(status);
        }
        return a_dead && readiness["b"].back() == 200 && readiness["c"].back() == 200 &&
               testing::InputApplied(broker->bootstrap);
      },
      absl::Seconds(90), absl::Milliseconds(25));
  ASSERT_TRUE(a_dead) << runs["a"]->ReadLog();
  ASSERT_TRUE(done) << runs["b"]->ReadLog() << runs["c"]->ReadLog();
  EXPECT_EQ(runs["a"]->Wait(absl::Seconds(1)), -SIGKILL);

  // "a"'s partition was restored by a survivor, which was not ready while it restored.
  const std::map<int, bool> lost = testing::LivePartitions(runs["a"]->ReadLog());
  ASSERT_EQ(lost.size(), 1u) << runs["a"]->ReadLog();
  for (const auto& [partition, live] : lost) {
    const std::string restoring = absl::StrCat("partition ", partition, ": restoring from");
    std::string owner;
    for (const std::string name : {"b", "c"}) {
      if (absl::StrContains(runs[name]->ReadLog(), restoring)) owner = name;
    }
    ASSERT_FALSE(owner.empty()) << "nobody restored partition " << partition;
    const std::string log = runs[owner]->ReadLog();
    EXPECT_FALSE(absl::StrContains(log, absl::StrCat("partition ", partition, ": restored 0 ")))
        << log;
    std::optional<testing::HttpResult> metrics = testing::HttpGet(ports[owner], "/metrics");
    ASSERT_TRUE(metrics.has_value());
    EXPECT_GT(MetricValue(metrics->body, "fristvagt_state_restore_records_total"), 0u);
    // Ready before, 503 while restoring, ready after.
    const std::vector<int>& seen = readiness[owner];
    const auto ready = std::find(seen.begin(), seen.end(), 200);
    const auto not_ready = std::find(ready, seen.end(), 503);
    EXPECT_TRUE(not_ready != seen.end() && std::find(not_ready, seen.end(), 200) != seen.end())
        << owner << " answered /readyz: " << absl::StrJoin(seen, " ");
    // ... and said what it waited for: the restore of that partition.
    const std::string expected_wait = absl::StrCat("waiting for the restore of partition ",
                                                   partition, " from fristvagt.state-changelog");
    EXPECT_TRUE(std::any_of(waits[owner].begin(), waits[owner].end(), [&](const std::string& b) {
      return absl::StrContains(b, expected_wait);
    })) << owner << " answered /readyz 503 with: " << absl::StrJoin(waits[owner], " | ");
  }

  // Nothing lost, nothing changed: the alerts of the reference, each copy byte-identical.
  absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(broker->bootstrap, erased);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_EQ(alerts->conflicts, std::vector<std::string>{});
  EXPECT_EQ(alerts->ids(), reference);

  for (const std::string name : {"b", "c"}) {
    runs[name]->Signal(SIGTERM);
    EXPECT_EQ(runs[name]->Wait(absl::Seconds(15)), 0) << runs[name]->ReadLog();
  }
}

}  // namespace
}  // namespace fristvagt
