// The Kafka processor in-process (embedded broker, real RocksDB stores) with faults injected
// into a partition's store (tests/testing/faulty_store.h). The data-losing paths this guards:
// a failed read of the changelog position was taken as 0, which made the partition look new
// and deleted its state directory; a failed read of the input offset was taken as "from the
// group's commit". Now both stop the processor with the reason, and the state is untouched.
// Also here: absurd input per person ([input] max_events_per_person) reaches the dead-letter
// topic and /metrics through the processor.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "processor/base/config.h"
#include "processor/base/metrics.h"
#include "processor/kafka/embedded_broker.h"
#include "processor/kafka/kafka_processor.h"
#include "state/rocksdb_store.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/testing/faulty_store.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

class KafkaProcessorFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_));
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("kafka-fault-", ::getpid(), "-", ++counter_);
    std::filesystem::create_directories(dir_);
    processor::Config defaults;
    auto broker = processor::EmbeddedBroker::Start(
        1,
        {defaults.topics.input, defaults.topics.alerts, defaults.topics.obligations,
         defaults.topics.dead_letter, defaults.topics.changelog, defaults.topics.instances},
        2);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
    testing::RunSettings settings;
    settings.state_dir = dir_ / "state";
    std::vector<std::string> errors;
    auto config = processor::ParseConfig(
        testing::ProcessorToml(broker_->bootstrap_servers(), settings), "test.toml", &errors);
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = *std::move(config);
    std::vector<std::string> lines;
    for (int i = 0; i < 20; ++i) {
      lines.push_back(absl::StrCat(
          R"({"event_id":"fc-)", i, R"(","person_key":"p-)", i,
          R"(","municipality_code":"851","caseworker_id":"cw-1",)",
          R"("occurred_at":"2023-03-10T09:00:00+01:00","recorded_at":"2023-03-10T09:00:00+01:00",)",
          R"("first_contact":{"has_youth_education":false,"benefit":"UDDANNELSESHJAELP",)",
          R"("age_years":22}})"));
    }
    ASSERT_TRUE(testing::Produce(broker_->bootstrap_servers(), config_.topics.input,
                                 testing::CaseEventMessages(lines))
                    .ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs a processor until `done` holds (or it stops by itself) and returns what Run returned.
  absl::Status RunUntil(processor::KafkaProcessor* p, const std::function<bool()>& done) {
    if (absl::Status s = p->Start(broker_->bootstrap_servers()); !s.ok()) return s;
    std::atomic<bool> stop{false};
    std::atomic<bool> returned{false};
    absl::Status result;
    std::thread runner([&] {
      result = p->Run(stop);
      returned = true;
    });
    testing::WaitUntil([&] { return returned.load() || done(); }, absl::Seconds(60));
    stop = true;
    runner.join();
    return result;
  }

  std::optional<std::string> StoredProgress(int partition, const std::string& name) {
    auto store = state::OpenRocksDbStore(
        (config_.state_dir + "/" + config_.topics.input + "-" + std::to_string(partition)),
        {config_.topics.input, partition});
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return std::nullopt;
    auto value = (*store)->GetProgress(name);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : std::nullopt;
  }

  // A first, healthy run applies all 20 events and stops cleanly.
  void RunHealthy() {
    processor::Metrics metrics;
    processor::KafkaProcessor healthy(config_, catalog_, &metrics);
    ASSERT_TRUE(RunUntil(&healthy, [&] { return metrics.events_applied.load() >= 20; }).ok());
    ASSERT_EQ(metrics.events_applied.load(), 20u);
  }

  // A second run whose stores fail reading `progress`.
  absl::Status RunWithFailingProgressRead(const std::string& progress) {
    processor::Metrics metrics;
    processor::KafkaProcessor faulty(config_, catalog_, &metrics);
    faulty.open_store = [&](const std::string& dir, const state::StoreIdentity& identity)
        -> absl::StatusOr<std::unique_ptr<state::StateStore>> {
      auto store = state::OpenRocksDbStore(dir, identity);
      if (!store.ok()) return store.status();
      auto wrapped = std::make_unique<testing::FaultyStore>(*std::move(store));
      wrapped->fail_progress.insert(progress);
      return std::unique_ptr<state::StateStore>(std::move(wrapped));
    };
    absl::Status s = RunUntil(&faulty, [] { return false; });
    EXPECT_EQ(metrics.events_applied.load(), 0u);
    EXPECT_FALSE(metrics.ready.load());
    return s;
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  rules::Catalog catalog_;
  std::unique_ptr<processor::EmbeddedBroker> broker_;
  processor::Config config_;
};

TEST_F(KafkaProcessorFaultTest, FailedChangelogPositionReadStopsAndKeepsTheState) {
  RunHealthy();
  const auto offset0 = StoredProgress(0, "input_offset");
  const auto offset1 = StoredProgress(1, "input_offset");
  ASSERT_TRUE(offset0.has_value() || offset1.has_value());

  const absl::Status s = RunWithFailingProgressRead("changelog_offset");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("changelog_offset"), std::string::npos) << s;
  // Nothing was reset: the stores still hold what the healthy run committed.
  EXPECT_EQ(StoredProgress(0, "input_offset"), offset0);
  EXPECT_EQ(StoredProgress(1, "input_offset"), offset1);
}

TEST_F(KafkaProcessorFaultTest, FailedInputOffsetReadStopsInsteadOfGuessing) {
  RunHealthy();
  const auto offset0 = StoredProgress(0, "input_offset");
  const auto offset1 = StoredProgress(1, "input_offset");
  const absl::Status s = RunWithFailingProgressRead("input_offset");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("input_offset"), std::string::npos) << s;
  EXPECT_EQ(StoredProgress(0, "input_offset"), offset0);
  EXPECT_EQ(StoredProgress(1, "input_offset"), offset1);
}

TEST_F(KafkaProcessorFaultTest, EventsBeyondThePersonLimitReachTheDeadLetterTopicAndMetrics) {
  std::vector<std::string> errors;
  testing::RunSettings settings;
  settings.state_dir = dir_ / "state";
  auto config = processor::ParseConfig(
      testing::ProcessorToml(broker_->bootstrap_servers(), settings) +
          "\n[input]\nmax_events_per_person = 10\n",
      "test.toml", &errors);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->max_events_per_person, 10);
  std::vector<std::string> lines;
  for (int i = 0; i < 16; ++i) {  // p-3: its first contact and 9 of these kept, 7 refused
    lines.push_back(absl::StrCat(
        R"({"event_id":"m-)", i, R"(","person_key":"p-3","municipality_code":"851",)",
        R"("caseworker_id":"cw-1","occurred_at":"2023-03-11T09:00:00+01:00",)",
        R"("recorded_at":"2023-03-11T09:00:00+01:00","meeting_held":{"channel":"PHONE"}})"));
  }
  ASSERT_TRUE(testing::Produce(broker_->bootstrap_servers(), config->topics.input,
                               testing::CaseEventMessages(lines))
                  .ok());
  processor::Metrics metrics;
  processor::KafkaProcessor processor(*config, catalog_, &metrics);
  // Dead letters are counted when the broker acknowledged them.
  ASSERT_TRUE(RunUntil(&processor, [&] {
                return metrics.events_applied.load() >= 29 && metrics.dead_letters.load() >= 7;
              }).ok());
  EXPECT_EQ(metrics.events_applied.load(), 29u);  // 20 first contacts, 9 meetings of p-3
  EXPECT_EQ(metrics.dead_letters.load(), 7u);
  EXPECT_NE(metrics.RenderPrometheus().find(
                "fristvagt_processor_dead_letters_total{code=\"TOO_MANY_EVENTS\"} 7"),
            std::string::npos)
      << metrics.RenderPrometheus();
  absl::StatusOr<std::vector<testing::KafkaRecord>> dlq =
      testing::ConsumeToEnd(broker_->bootstrap_servers(), config->topics.dead_letter);
  ASSERT_TRUE(dlq.ok()) << dlq.status();
  ASSERT_EQ(dlq->size(), 7u);
  for (const testing::KafkaRecord& record : *dlq) {
    EXPECT_EQ(record.Header("fristvagt.error.code"), "TOO_MANY_EVENTS");
    EXPECT_EQ(record.Header("fristvagt.source.topic"), config->topics.input);
  }
}

}  // namespace
}  // namespace fristvagt
