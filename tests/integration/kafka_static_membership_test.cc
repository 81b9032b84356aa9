// Static membership on a real Apache Kafka (label realkafka only): three instances, each with
// its own `group.instance.id` (KIP-345) and state dir, one input partition each. A rolling
// restart — SIGTERM one, start it again on the same state dir, wait until it is live, then
// the next — moves no partition: the others log no revoke or assignment, and the restarted
// instance gets its own partition back and restores nothing (its store is current). Then
// the rest of the events are processed, each alert id with one content.

#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_cluster.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;

// The one partition a log says its process holds and has caught up on, or -1.
int LivePartition(const std::string& log) {
  const std::map<int, bool> held = testing::LivePartitions(log);
  if (held.size() != 1 || !held.begin()->second) return -1;
  return held.begin()->first;
}

TEST(KafkaStaticMembershipTest, RollingRestartMovesNoPartitionAndRestoresNothing) {
  testing::TempDir dir;
  absl::StatusOr<std::string> bootstrap = testing::SharedRealKafka();
  ASSERT_TRUE(bootstrap.ok()) << bootstrap.status();
  ASSERT_TRUE(testing::DeleteAllTopicsAndGroups(*bootstrap).ok());
  ASSERT_TRUE(testing::CreateTopics(*bootstrap, testing::FristvagtTopics(3)).ok());

  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 120, .seed = 17});
  const size_t half = lines.size() / 2;
  const std::vector<std::string> first(lines.begin(), lines.begin() + half);
  const std::vector<std::string> rest(lines.begin() + half, lines.end());
  const std::set<std::string> erased = testing::ErasedPersons(lines);

  const std::vector<std::string> names = {"a", "b", "c"};
  std::map<std::string, testing::RunSettings> settings;
  std::map<std::string, std::unique_ptr<ChildProcess>> runs;
  for (const std::string& name : names) {
    settings[name].state_dir = dir.path() / (name + ".state");
    // A restart takes a few seconds; the session outlasts it, so the member is not missed.
    settings[name].session_timeout_ms = 30000;
    settings[name].kafka["group.instance.id"] = "fristvagt-" + name;
    runs[name] = testing::StartProcessor(dir.path(), name, *bootstrap, settings[name]);
  }
  std::map<std::string, int> partition;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        for (const std::string& name : names) {
          partition[name] = LivePartition(runs[name]->ReadLog());
          if (partition[name] < 0) return false;
        }
        return true;
      },
      absl::Seconds(90), absl::Milliseconds(250)))
      << runs["a"]->ReadLog() << runs["b"]->ReadLog() << runs["c"]->ReadLog();
  ASSERT_TRUE(testing::Produce(*bootstrap, "case-events", testing::CaseEventMessages(first)).ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(*bootstrap); },
                                 absl::Seconds(60), absl::Milliseconds(250)));

  int generation = 1;
  for (const std::string& name : names) {
    std::map<std::string, size_t> seen;  // how much of the others' logs was there before
    for (const std::string& other : names) seen[other] = runs[other]->ReadLog().size();
    runs[name]->Signal(SIGTERM);
    ASSERT_EQ(runs[name]->Wait(absl::Seconds(15)), 0) << runs[name]->ReadLog();
    const std::string again = absl::StrCat(name, "-", ++generation);
    runs[name] = testing::StartProcessor(dir.path(), again, *bootstrap, settings[name]);
    ASSERT_TRUE(testing::WaitUntil(
        [&] { return LivePartition(runs[name]->ReadLog()) == partition[name]; },
        absl::Seconds(60), absl::Milliseconds(100)))
        << runs[name]->ReadLog();
    const std::string log = runs[name]->ReadLog();
    EXPECT_FALSE(absl::StrContains(log, "restoring")) << log;
    for (const std::string& other : names) {
      if (other == name) continue;
      const std::string since = runs[other]->ReadLog().substr(seen[other]);
      EXPECT_FALSE(absl::StrContains(since, " revoked") || absl::StrContains(since, " assigned") ||
                   absl::StrContains(since, " lost"))
          << other << " noticed the restart of " << name << ":\n" << since;
    }
  }

  ASSERT_TRUE(testing::Produce(*bootstrap, "case-events", testing::CaseEventMessages(rest)).ok());
  // (Not compared with replay: between the halves the partitions caught up and followed the
  // wall clock, which replay's event clock does not; kafka_guarantees_test covers that.)
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(*bootstrap); },
                                 absl::Seconds(60), absl::Milliseconds(250)));
  absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(*bootstrap, erased);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_GT(alerts->by_id.size(), 100u);
  EXPECT_EQ(alerts->conflicts, std::vector<std::string>{});
  for (const std::string& name : names) {
    runs[name]->Signal(SIGTERM);
    EXPECT_EQ(runs[name]->Wait(absl::Seconds(15)), 0) << runs[name]->ReadLog();
  }
}

}  // namespace
}  // namespace fristvagt
