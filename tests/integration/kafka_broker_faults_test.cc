// Broker faults on a real 3-node Apache Kafka (replication 3, min.insync.replicas 2; label
// threebrokers, run by hand: `ctest --test-dir build -L threebrokers`). An exactly-once
// processor works through a backlog while the leader of input partition 0 is SIGKILLed; later
// every broker is stopped for 30 s, during which /readyz must answer 503 "broker unreachable",
// and started again. The processor recovers by itself: nothing is lost, and a read_committed
// reader sees every expected alert exactly once.

#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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

  // Every broker down for 30 s (the figure): the processor waits, says so on /readyz
  // (503, "broker unreachable", although it may still hold its partitions) and stays up.
  for (int node = 1; node <= 3; ++node) (*cluster)->SignalNode(node, SIGTERM);
  for (int node = 1; node <= 3; ++node) ASSERT_TRUE((*cluster)->StopNode(node).ok());
  const absl::Time outage_end = absl::Now() + absl::Seconds(30);
  auto readyz = [&] {
    return testing::HttpGet(settings.http_port, "/readyz").value_or(testing::HttpResult{});
  };
  std::string body;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        const testing::HttpResult answer = readyz();
        body = answer.body;
        return answer.status == 503 &&
               absl::StrContains(body, "waiting for a broker: broker unreachable: none of " +
                                           bootstrap + " has answered since ");
      },
      absl::Seconds(25), absl::Milliseconds(250)))
      << "last /readyz body: " << body;
  // Waits out the rest of the outage, watching the processor.
  testing::WaitUntil([&] { return !run->Running() || absl::Now() >= outage_end; },
                     absl::Seconds(40), absl::Milliseconds(250));
  ASSERT_TRUE(run->Running()) << run->ReadLog();
  for (int node = 1; node <= 3; ++node) ASSERT_TRUE((*cluster)->StartNode(node).ok());
  ASSERT_TRUE((*cluster)->WaitForBrokers(3).ok());
  EXPECT_TRUE(testing::WaitUntil([&] { return readyz().status == 200; }, absl::Seconds(90),
                                 absl::Milliseconds(250)))
      << "/readyz after the outage: " << readyz().body;

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
}

}  // namespace
}  // namespace fristvagt
