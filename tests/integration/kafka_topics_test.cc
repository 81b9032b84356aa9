// Topics and partitioning on a real Apache Kafka (label realkafka only; the embedded broker
// creates its topics itself and has no topic configs). `run` creates missing topics with their
// settings and refuses a changelog that would lose or scatter state (processor/kafka/
// topic_admin.h); records produced with another partitioner than [input] partitioner are
// counted, named in the log, and the query API never answers "no obligations" for a person it
// may be looking for in the wrong partition.

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

class KafkaTopicsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> bootstrap = testing::SharedRealKafka();
    ASSERT_TRUE(bootstrap.ok()) << bootstrap.status();
    bootstrap_ = *bootstrap;
    ASSERT_TRUE(testing::DeleteAllTopicsAndGroups(bootstrap_).ok());
  }

  // `fristvagt run` on `settings` plus `extra` TOML; its exit code within 30 s and its log.
  std::pair<std::optional<int>, std::string> RunToExit(const std::string& name,
                                                       testing::RunSettings settings,
                                                       const std::string& extra) {
    settings.state_dir = dir_.path() / (name + ".state");
    const fs::path config = dir_.path() / (name + ".toml");
    testing::WriteFile(config, testing::ProcessorToml(bootstrap_, settings) + extra);
    std::unique_ptr<ChildProcess> run =
        ChildProcess::Start({"run", "--config", config.string()}, {}, dir_.path() / (name + ".log"));
    return {run->Wait(absl::Seconds(30)), run->ReadLog()};
  }

  testing::TempDir dir_;
  std::string bootstrap_;
};

TEST_F(KafkaTopicsTest, RunCreatesMissingTopicsWithTheirSettings) {
  testing::RunSettings settings;
  settings.group_id = "g1";
  settings.state_dir = dir_.path() / "g1.state";
  std::unique_ptr<ChildProcess> run = testing::StartProcessor(dir_.path(), "g1", bootstrap_, settings);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return absl::StrContains(run->ReadLog(), "partition 2 assigned"); }, absl::Seconds(60)))
      << run->ReadLog();
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 0) << run->ReadLog();

  // The internal topics take the group id as their prefix.
  const std::map<std::string, std::pair<int, std::string>> wanted = {
      {"case-events", {3, "delete"}},        {"g1.state-changelog", {3, "compact"}},
      {"fristvagt.obligations", {3, "compact"}}, {"fristvagt.alerts", {3, "delete"}},
      {"case-events.dlq", {3, "delete"}},    {"g1.instances", {1, "compact"}},
  };
  for (const auto& [topic, settings_wanted] : wanted) {
    absl::StatusOr<std::map<int32_t, int32_t>> leaders = testing::PartitionLeaders(bootstrap_, topic);
    ASSERT_TRUE(leaders.ok()) << topic << ": " << leaders.status();
    EXPECT_EQ(static_cast<int>(leaders->size()), settings_wanted.first) << topic;
    absl::StatusOr<std::map<std::string, std::string>> config =
        testing::TopicConfig(bootstrap_, topic);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ((*config)["cleanup.policy"], settings_wanted.second) << topic;
  }
  absl::StatusOr<std::map<std::string, std::string>> dlq =
      testing::TopicConfig(bootstrap_, "case-events.dlq");
  ASSERT_TRUE(dlq.ok());
  EXPECT_EQ((*dlq)["retention.ms"], std::to_string(365LL * 86400000));
}

TEST_F(KafkaTopicsTest, RunRefusesAChangelogThatWouldLoseOrScatterState) {
  const std::map<std::string, std::string> compact = {{"cleanup.policy", "compact"}};
  // Not co-partitioned.
  ASSERT_TRUE(testing::CreateTopics(bootstrap_, {{"case-events", 3, -1, {}},
                                                 {"fristvagt.state-changelog", 2, -1, compact}})
                  .ok());
  auto [rc, log] = RunToExit("scattered", {}, "");
  EXPECT_EQ(rc, 2) << log;
  EXPECT_TRUE(absl::StrContains(
      log, "topic fristvagt.state-changelog: partitions = 2, but the input case-events has 3"))
      << log;

  // Not compacted.
  ASSERT_TRUE(testing::DeleteAllTopicsAndGroups(bootstrap_).ok());
  ASSERT_TRUE(testing::CreateTopics(bootstrap_, {{"case-events", 3, -1, {}},
                                                 {"fristvagt.state-changelog", 3, -1, {}}})
                  .ok());
  std::tie(rc, log) = RunToExit("deleting", {}, "");
  EXPECT_EQ(rc, 2) << log;
  EXPECT_TRUE(absl::StrContains(log, "topic fristvagt.state-changelog: cleanup.policy = delete"))
      << log;

  // Missing, with create = false.
  ASSERT_TRUE(testing::DeleteAllTopicsAndGroups(bootstrap_).ok());
  ASSERT_TRUE(testing::CreateTopics(bootstrap_, {{"case-events", 3, -1, {}}}).ok());
  std::tie(rc, log) = RunToExit("nocreate", {}, "[topics]\ncreate = false\n");
  EXPECT_EQ(rc, 2) << log;
  EXPECT_TRUE(absl::StrContains(log, "does not exist and [topics] create = false")) << log;
}

TEST_F(KafkaTopicsTest, RecordsOfAnotherPartitionerAreNamedAndNeverAnsweredEmpty) {
  ASSERT_TRUE(testing::CreateTopics(bootstrap_, testing::FristvagtTopics(3)).ok());
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 40, .seed = 31});
  // librdkafka's default partitioner (crc32), as kcat produces; the processor expects the
  // Java client's murmur2 (the default [input] partitioner).
  ASSERT_TRUE(
      testing::Produce(bootstrap_, "case-events", testing::CaseEventMessages(lines)).ok());
  testing::RunSettings settings;
  settings.http_port = testing::FreeTcpPort();
  std::unique_ptr<ChildProcess> run =
      testing::StartProcessor(dir_.path(), "crc", bootstrap_, settings);
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(bootstrap_); },
                                 absl::Seconds(60), absl::Milliseconds(250)))
      << run->ReadLog();
  std::optional<testing::HttpResult> metrics = testing::HttpGet(settings.http_port, "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_GT(testing::MetricValue(metrics->body, "fristvagt_processor_events_misrouted_total"), 0u);
  const std::string log = run->ReadLog();
  EXPECT_TRUE(absl::StrContains(log, "the producers seem to use consistent_random (crc32")) << log;

  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + settings.http_token}};
  // A person that is there: found, whichever partition holds it.
  const std::string person = testing::JsonField(lines.front(), "person_key");
  std::optional<testing::HttpResult> found =
      testing::HttpGet(settings.http_port, "/v1/persons/" + person + "/obligations", auth);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, 200) << found->body;
  EXPECT_TRUE(absl::StrContains(found->body, "\"obligations\"")) << found->body;
  // One that is not: not "no obligations", but why the answer cannot be trusted.
  std::optional<testing::HttpResult> unknown =
      testing::HttpGet(settings.http_port, "/v1/persons/p-nobody/obligations", auth);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, 503) << unknown->body;
  EXPECT_TRUE(absl::StrContains(unknown->body, "consistent_random")) << unknown->body;
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 0) << run->ReadLog();

  // The Java client's murmur2: what the processor expects, nothing counted.
  ASSERT_TRUE(testing::DeleteAllTopicsAndGroups(bootstrap_).ok());
  ASSERT_TRUE(testing::CreateTopics(bootstrap_, testing::FristvagtTopics(3)).ok());
  ASSERT_TRUE(testing::Produce(bootstrap_, "case-events", testing::CaseEventMessages(lines),
                               "murmur2_random")
                  .ok());
  settings.state_dir = dir_.path() / "murmur.state";
  run = testing::StartProcessor(dir_.path(), "murmur", bootstrap_, settings);
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(bootstrap_); },
                                 absl::Seconds(60), absl::Milliseconds(250)))
      << run->ReadLog();
  metrics = testing::HttpGet(settings.http_port, "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_EQ(testing::MetricValue(metrics->body, "fristvagt_processor_events_misrouted_total"), 0u);
  unknown = testing::HttpGet(settings.http_port, "/v1/persons/p-nobody/obligations", auth);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, 200) << unknown->body;
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 0) << run->ReadLog();
}

}  // namespace
}  // namespace fristvagt
