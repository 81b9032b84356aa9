// Start and stop of `fristvagt run` as an operator sees them: SIGTERM finishes the batch,
// flushes and commits, and exits 0 within shutdown_timeout_ms, leaving offsets and state such
// that a restart repeats nothing; a bad configuration stops it at once with exit code 2 and
// file:line: key; a broker that cannot be reached does not stop it (it keeps retrying, and
// says so in its log).
//
// The events are from 2023 and in the topic before the processor starts (see
// kafka_guarantees_test.cc for why that makes the expected alerts independent of the wall
// clock).

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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

constexpr int kShutdownTimeoutMs = 5000;

class KafkaShutdownTest : public ::testing::Test {
 protected:
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  // Runs `fristvagt run` on a configuration file with `toml`; its exit code and stderr.
  std::pair<std::optional<int>, std::string> RunWithConfig(const std::string& name,
                                                           const std::string& toml) {
    testing::WriteFile(Path(name), toml);
    std::unique_ptr<ChildProcess> run =
        ChildProcess::Start({"run", "--config", Path(name).string()}, {}, Path(name + ".log"));
    return {run->Wait(absl::Seconds(20)), run->ReadLog()};
  }

  testing::TempDir dir_;
};

TEST_F(KafkaShutdownTest, SigtermCommitsSoThatARestartRepeatsNothing) {
  absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(dir_.path(), 3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 600, .seed = 13});
  ASSERT_TRUE(
      testing::Produce(broker->bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  std::set<std::string> expected;
  for (const auto& [id, json] : testing::ReplayAlerts(dir_.path(), lines)) {
    if (erased.count(testing::JsonField(json, "person_key")) == 0) expected.insert(id);
  }
  auto alerts = [&](const std::set<std::string>& skip) {
    absl::StatusOr<testing::AlertTopic> topic = testing::ReadAlerts(broker->bootstrap, skip);
    EXPECT_TRUE(topic.ok()) << topic.status();
    return topic.ok() ? *topic : testing::AlertTopic{};
  };
  // Batches of 5 and a backlog of ~2,500 events, so that it lasts long enough to be
  // interrupted (200 persons in batches of 5 were done within ~0.5 s once the embedded broker
  // answered without Nagle stalls).
  testing::RunSettings settings;
  settings.state_dir = Path("state");
  settings.http_port = testing::FreeTcpPort();
  settings.batch_size = 5;
  settings.shutdown_timeout_ms = kShutdownTimeoutMs;

  // Stopped in the middle of the backlog, as soon as a batch has committed (so some alerts are
  // out). Watched through /metrics, which answers in milliseconds: reading the alerts topic
  // took longer than the whole backlog once the processor stopped waiting on the embedded broker.
  std::unique_ptr<ChildProcess> first =
      testing::StartProcessor(dir_.path(), "first", broker->bootstrap, settings);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        std::optional<testing::HttpResult> answer =
            testing::HttpGet(settings.http_port, "/metrics");
        return answer.has_value() &&
               MetricValue(answer->body, "fristvagt_processor_batches_committed_total") > 0;
      },
      absl::Seconds(60), absl::Milliseconds(5)))
      << first->ReadLog();
  first->Signal(SIGTERM);
  const absl::Time signalled = absl::Now();
  EXPECT_EQ(first->Wait(absl::Milliseconds(kShutdownTimeoutMs)), 0) << first->ReadLog();
  EXPECT_LT(absl::Now() - signalled, absl::Milliseconds(kShutdownTimeoutMs));
  EXPECT_FALSE(testing::InputApplied(broker->bootstrap))
      << "the backlog was done before SIGTERM: the stop proved less than it should";
  const size_t after_first = alerts({}).copies;

  // The second run continues where the first stopped: every alert exactly once, since no
  // process crashed.
  std::unique_ptr<ChildProcess> second =
      testing::StartProcessor(dir_.path(), "second", broker->bootstrap, settings);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        if (!testing::InputApplied(broker->bootstrap)) return false;
        const std::set<std::string> ids = alerts(erased).ids();
        return std::includes(ids.begin(), ids.end(), expected.begin(), expected.end());
      },
      absl::Seconds(90), absl::Milliseconds(250)))
      << second->ReadLog();
  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(absl::Milliseconds(kShutdownTimeoutMs)), 0) << second->ReadLog();
  const testing::AlertTopic all = alerts({});
  EXPECT_GT(all.copies, after_first);
  EXPECT_EQ(all.copies, all.by_id.size()) << "an alert was sent twice without a crash";
  EXPECT_EQ(alerts(erased).ids(), expected);

  // A third run has nothing to do: it resumes at the end of every partition, consumes
  // nothing and sends nothing.
  absl::StatusOr<std::map<int32_t, int64_t>> changelog_before =
      testing::EndOffsets(broker->bootstrap, "fristvagt.state-changelog");
  ASSERT_TRUE(changelog_before.ok()) << changelog_before.status();
  std::unique_ptr<ChildProcess> third =
      testing::StartProcessor(dir_.path(), "third", broker->bootstrap, settings);
  std::string metrics;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        std::optional<testing::HttpResult> answer =
            testing::HttpGet(settings.http_port, "/metrics");
        metrics = answer.has_value() ? answer->body : "";
        // The lag is published from the processing loop once a second: by then it has gone
        // round many times with nothing to do.
        return MetricValue(metrics, "fristvagt_processor_ready") == 1 &&
               absl::StrContains(metrics, "fristvagt_processor_consumer_lag_messages{");
      },
      absl::Seconds(30)))
      << third->ReadLog();
  EXPECT_EQ(MetricValue(metrics, "fristvagt_processor_events_consumed_total"), 0u) << metrics;
  // Idle loops are not batches (issue 16: the counter used to climb ~5/s while idle).
  EXPECT_EQ(MetricValue(metrics, "fristvagt_processor_batches_committed_total"), 0u) << metrics;
  // Idle batches write nothing: no state, no changelog records.
  EXPECT_EQ(testing::EndOffsets(broker->bootstrap, "fristvagt.state-changelog")
                .value_or(std::map<int32_t, int64_t>{}),
            *changelog_before);
  third->Signal(SIGTERM);
  EXPECT_EQ(third->Wait(absl::Milliseconds(kShutdownTimeoutMs)), 0) << third->ReadLog();
  EXPECT_EQ(alerts({}).copies, all.copies);
  EXPECT_FALSE(absl::StrContains(third->ReadLog(), "restoring")) << third->ReadLog();
}

TEST_F(KafkaShutdownTest, ConfigurationErrorsNameFileLineAndKeyAndExitWith2) {
  const std::string bootstrap = "[kafka]\n\"bootstrap.servers\" = \"127.0.0.1:1\"\n";
  struct Case {
    std::string file;
    std::string toml;
    std::string message;  // after "<path>:"
  };
  const std::vector<Case> cases = {
      {"unknown.toml", bootstrap + "[processing]\nbatch_size = 10\nbatch_sise = 5\n",
       "5: processing.batch_sise: unknown key"},
      {"type.toml", bootstrap + "[http]\nport = \"eighty\"\n", "4: http.port: must be an integer"},
      {"range.toml", bootstrap + "[processing]\n\nshutdown_timeout_ms = 5\n",
       "5: processing.shutdown_timeout_ms: must be between 100 and 600000"},
      {"choice.toml", bootstrap + "[processing]\nprocessing_guarantee = \"twice\"\n",
       "4: processing.processing_guarantee: \"twice\" is not one of"},
  };
  for (const Case& c : cases) {
    const auto [exit_code, output] = RunWithConfig(c.file, c.toml);
    EXPECT_EQ(exit_code, 2) << c.file << ": " << output;
    // The message is a JSON log line (stderr is no terminal): its quotes are escaped.
    const std::string text = absl::StrReplaceAll(output, {{"\\\"", "\""}});
    EXPECT_TRUE(absl::StrContains(text, Path(c.file).string() + ":" + c.message))
        << c.file << ": " << output;
  }
}

TEST_F(KafkaShutdownTest, UnreachableBrokerAtStartIsRetriedNotFatal) {
  const int closed_port = testing::FreeTcpPort();  // nothing listens there
  testing::RunSettings settings;
  settings.state_dir = Path("state");
  settings.shutdown_timeout_ms = kShutdownTimeoutMs;
  std::unique_ptr<ChildProcess> run = testing::StartProcessor(
      dir_.path(), "run", absl::StrCat("127.0.0.1:", closed_port), settings);
  // The processor logs each failed attempt (librdkafka suppresses identical ones for a while
  // and backs off, so a few lines in three seconds).
  auto attempts = [&] {
    int count = 0;
    for (absl::string_view line : absl::StrSplit(run->ReadLog(), '\n')) {
      if (absl::StrContains(line, "\"logger\":\"kafka\"") &&
          absl::StrContains(line, absl::StrCat("127.0.0.1:", closed_port)) &&
          absl::StrContains(line, "Connection refused")) {
        ++count;
      }
    }
    return count;
  };
  const absl::Time started = absl::Now();
  testing::WaitUntil(
      [&] {
        return !run->Running() || (absl::Now() - started > absl::Seconds(3) && attempts() >= 3);
      },
      absl::Seconds(20));
  ASSERT_TRUE(run->Running()) << "exited with " << run->Wait(absl::ZeroDuration()).value_or(-1)
                              << ": " << run->ReadLog();
  EXPECT_GE(attempts(), 3) << run->ReadLog();
  // Still stoppable.
  run->Signal(SIGTERM);
  EXPECT_TRUE(run->Wait(absl::Milliseconds(kShutdownTimeoutMs + 2000)).has_value())
      << run->ReadLog();
}

}  // namespace
}  // namespace fristvagt
