// Broker faults on a real 3-node Apache Kafka (replication 3, min.insync.replicas 2; label
// threebrokers, run by hand: `ctest --test-dir build -L threebrokers`, about 2 minutes). An
// exactly-once processor works through a backlog while the leader of input partition 0 is
// SIGKILLed; later every broker is stopped for a while and started again. The processor
// recovers by itself: nothing is lost, and a read_committed reader sees every expected alert
// exactly once.

#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_cluster.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

using testing::ChildProcess;

TEST(KafkaBrokerFaultsTest, LeaderKilledAndWholeClusterDownNothingLostNothingTwice) {
  testing::TempDir dir;
  testing::KafkaClusterOptions options;
  options.nodes = 3;
  absl::StatusOr<std::unique_ptr<testing::KafkaCluster>> cluster =
      testing::KafkaCluster::Start(dir.path() / "kafka", options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap();
  ASSERT_TRUE(testing::CreateTopics(bootstrap, testing::FristvagtTopics(3)).ok());

  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 150, .seed = 41});
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  std::map<std::string, std::string> expected;
  for (const auto& [id, json] : testing::ReplayAlerts(dir.path(), lines)) {
    if (erased.count(testing::JsonField(json, "person_key")) == 0) expected[id] = json;
  }
  ASSERT_TRUE(testing::Produce(bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());

  testing::RunSettings settings;
  settings.state_dir = dir.path() / "state";
  settings.guarantee = "exactly_once";
  settings.batch_size = 10;
  settings.http_port = testing::FreeTcpPort();
  std::unique_ptr<ChildProcess> run = testing::StartProcessor(dir.path(), "run", bootstrap,
                                                              settings);
  // Mid-stream: some batches are on the changelog, not all.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        absl::StatusOr<std::map<int32_t, int64_t>> applied =
            testing::ChangelogInputOffsets(bootstrap);
        return applied.ok() && !applied->empty();
      },
      absl::Seconds(60), absl::Milliseconds(100)))
      << run->ReadLog();
  absl::StatusOr<std::map<int32_t, int32_t>> leaders =
      testing::PartitionLeaders(bootstrap, "case-events");
  ASSERT_TRUE(leaders.ok()) << leaders.status();
  const int leader = (*leaders)[0];
  (*cluster)->KillNode(leader);

  auto committed_alerts = [&] {
    absl::StatusOr<testing::AlertTopic> alerts =
        testing::ReadAlerts(bootstrap, erased, /*read_committed=*/true);
    return alerts.ok() ? *alerts : testing::AlertTopic{};
  };
  auto all_there = [&] {
    if (!testing::InputApplied(bootstrap)) return false;
    return committed_alerts().by_id.size() >= expected.size();
  };
  ASSERT_TRUE(testing::WaitUntil(all_there, absl::Seconds(120), absl::Milliseconds(500)))
      << run->ReadLog();
  ASSERT_TRUE((*cluster)->StartNode(leader).ok());
  ASSERT_TRUE((*cluster)->WaitForBrokers(3).ok());

  // Every broker down for a while; the processor waits and says so on /readyz.
  for (int node = 1; node <= 3; ++node) (*cluster)->SignalNode(node, SIGTERM);
  for (int node = 1; node <= 3; ++node) ASSERT_TRUE((*cluster)->StopNode(node).ok());
  std::set<int> readyz;
  testing::WaitUntil(
      [&] {
        std::optional<testing::HttpResult> answer = testing::HttpGet(settings.http_port, "/readyz");
        readyz.insert(answer.has_value() ? answer->status : 0);
        return !run->Running();
      },
      absl::Seconds(20), absl::Milliseconds(500));
  ASSERT_TRUE(run->Running()) << run->ReadLog();
  for (int node = 1; node <= 3; ++node) ASSERT_TRUE((*cluster)->StartNode(node).ok());
  ASSERT_TRUE((*cluster)->WaitForBrokers(3).ok());

  // New persons after the outage are processed too.
  const std::vector<std::string> more = testing::SyntheticEventLines({.persons = 5, .seed = 98});
  ASSERT_TRUE(testing::Produce(bootstrap, "case-events", testing::CaseEventMessages(more)).ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(bootstrap); },
                                 absl::Seconds(120), absl::Milliseconds(500)))
      << run->ReadLog();
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(30)), 0) << run->ReadLog();

  std::set<std::string> skip = erased;
  for (const std::string& line : more) skip.insert(testing::JsonField(line, "person_key"));
  absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(bootstrap, skip, true);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_EQ(alerts->by_id, expected);
  EXPECT_EQ(alerts->copies, alerts->by_id.size()) << "a read_committed reader saw a repeat";
  EXPECT_EQ(alerts->conflicts, std::vector<std::string>{});
  RecordProperty("readyz_during_outage", absl::StrCat(readyz.size()));
}

}  // namespace
}  // namespace fristvagt
