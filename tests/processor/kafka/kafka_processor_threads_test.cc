// `[processing] threads`: the Kafka processor in-process (embedded broker, real RocksDB stores)
// over the same input — a synthetic cohort with its irregular cases and a garbage line, on four
// partitions — with 1, 2 and 3 threads, and with and without overlap_delivery (a batch's outbox
// produced on its own thread while the next batch is applied). Every produced alert, obligation record and dead letter
// (per key, in order), the changelog's last record per key, and every stored person, timer,
// outbox entry and progress marker must be identical to one thread's. Left out: the records
// about persons the cohort erases — erasure drops what was not yet sent about the person, so
// how many of them went out depends on where the batches ended, with any number of threads. And a store write that
// fails on a worker stops the processor without committing that batch; a restart then ends
// where one thread does.
//
// Time: the processor runs on a SimulatedClock that stands still in 2026, so the backlog (2023)
// is applied on the event-driven clock, and once a partition caught up it fires every deadline
// up to that moment and nothing more: a run ends when all four partitions are live. The runs
// to compare share one broker and its input topic and run at the same time, each with its own
// group, output topics and state dir (a group's first join alone waits out the embedded
// broker's 3 s rebalance delay).

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "processor/base/clock.h"
#include "processor/base/config.h"
#include "processor/base/metrics.h"
#include "processor/kafka/embedded_broker.h"
#include "processor/kafka/kafka_processor.h"
#include "proto/alert.pb.h"
#include "state/rocksdb_store.h"
#include "tests/integration/synthetic_events.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/testing/faulty_store.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

constexpr int kPartitions = 4;

// What a run leaves behind, in a form that does not depend on batch boundaries (which follow
// the poll timing, threads or not): per key, in order, the records of the alerts, obligations
// and dead-letter topics (a key's records come from one input partition); the changelog's last
// record per partition and key (it carries one record per changed person per batch); the
// stores.
struct Outcome {
  std::map<std::string, std::vector<std::string>> records;
  std::set<std::string> erased_obligations;  // ids seen in a record of an erased person
  std::map<std::string, std::string> changelog;
  std::map<int, std::vector<std::string>> stores;
  uint64_t events_applied = 0, timers_fired = 0, alerts_raised = 0;
};

// The value and the headers, sorted: the outbox keeps headers in a protobuf map, whose order
// differs from one process to the next whatever the thread count.
std::string Describe(const testing::KafkaRecord& r) {
  std::string text = r.value.has_value() ? *r.value : "<tombstone>";
  std::vector<std::pair<std::string, std::string>> headers = r.headers;
  std::sort(headers.begin(), headers.end());
  for (const auto& [name, value] : headers) absl::StrAppend(&text, "|", name, "=", value);
  return text;
}

class KafkaProcessorThreadsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    testing::CohortSpec spec;
    spec.persons = 120;
    const std::vector<std::string> lines = testing::SyntheticEventLines(spec);
    input_ = new std::vector<testing::OutgoingMessage>(testing::CaseEventMessages(lines));
    erased_ = new std::set<std::string>(testing::ErasedPersons(lines));
  }
  static void TearDownTestSuite() {
    delete input_;
    delete erased_;
    input_ = nullptr;
    erased_ = nullptr;
  }

  // A broker with the cohort in its input topic.
  void SetUp() override {
    ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_));
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("kafka-threads-", ::getpid(), "-", ++counter_);
    std::filesystem::create_directories(dir_);
    processor::Config defaults;
    auto broker = processor::EmbeddedBroker::Start(1, {defaults.topics.input}, kPartitions);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
    ASSERT_TRUE(testing::Produce(bootstrap(), defaults.topics.input, *input_).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The config of run `name` with `threads`: its own group, output topics and state dir.
  processor::Config RunConfig(const std::string& name, int threads, bool overlap_delivery) {
    testing::RunSettings settings;
    settings.state_dir = dir_ / name;
    settings.group_id = name;
    settings.partitioner = "consistent_random";  // as testing::Produce partitions
    std::vector<std::string> errors;
    auto config =
        processor::ParseConfig(testing::ProcessorToml(bootstrap(), settings), "t.toml", &errors);
    EXPECT_TRUE(config.ok()) << config.status();
    config->threads = threads;
    config->overlap_delivery = overlap_delivery;
#if defined(__SANITIZE_THREAD__)
    // GroupJoinWatch reads librdkafka's statistics through protobuf's JSON Struct, whose Map
    // crashes (SEGV in map.h) when TSan-instrumented header code meets Debian's uninstrumented
    // libprotobuf; the statistics play no part in what this test compares.
    config->kafka["statistics.interval.ms"] = "0";
#endif
    for (std::string* topic : {&config->topics.alerts, &config->topics.obligations,
                               &config->topics.dead_letter, &config->topics.changelog}) {
      *topic = absl::StrCat(name, ".", *topic);
      EXPECT_TRUE(broker_->CreateTopic(*topic, kPartitions).ok()) << *topic;
    }
    return *config;
  }
  std::string bootstrap() const { return broker_->bootstrap_servers(); }

  // Runs `p` until every partition is live (or Run returns by itself); Run's result.
  absl::Status RunUntilLive(processor::KafkaProcessor* p) {
    if (absl::Status s = p->Start(bootstrap()); !s.ok()) return s;
    std::atomic<bool> stop{false}, returned{false};
    absl::Status result;
    std::thread runner([&] {
      result = p->Run(stop);
      returned = true;
    });
    testing::WaitUntil(
        [&] { return returned.load() || p->live_partitions() == kPartitions; },
        absl::Seconds(120));
    stop = true;
    runner.join();
    return result;
  }

  Outcome Collect(const processor::Config& config, const processor::Metrics& metrics) {
    Outcome out;
    out.events_applied = metrics.events_applied.load();
    out.timers_fired = metrics.timers_fired.load();
    out.alerts_raised = metrics.alerts_raised.load();
    // The four topics read at the same time (each read takes about a second).
    const std::vector<std::string> topics = {config.topics.alerts, config.topics.obligations,
                                             config.topics.dead_letter, config.topics.changelog};
    std::vector<absl::StatusOr<std::vector<testing::KafkaRecord>>> read(topics.size());
    std::vector<std::thread> readers;
    for (size_t i = 0; i < topics.size(); ++i) {
      readers.emplace_back([&, i] { read[i] = testing::ConsumeToEnd(bootstrap(), topics[i]); });
    }
    for (std::thread& reader : readers) reader.join();
    const char* logical_names[] = {"alerts", "obligations", "dlq"};
    for (size_t i = 0; i < 3; ++i) {
      const std::string& topic = topics[i];
      const std::string logical = logical_names[i];
      const auto& records = read[i];
      EXPECT_TRUE(records.ok()) << records.status();
      if (!records.ok()) continue;
      for (const testing::KafkaRecord& r : *records) {
        if (r.key.has_value() && erased_->count(*r.key) > 0) continue;
        if (topic == config.topics.obligations && r.key.has_value() && r.value.has_value()) {
          v1::Obligation obligation;
          if (obligation.ParseFromString(*r.value) && erased_->count(obligation.person_key()) > 0) {
            out.erased_obligations.insert(*r.key);
          }
        }
        // A keyless record (garbage input) goes to a partition librdkafka picks at random.
        const std::string where =
            r.key.has_value() ? absl::StrCat(logical, "/", r.partition, "/", *r.key) : logical + "/-";
        out.records[where].push_back(Describe(r));
      }
    }
    for (auto& [where, list] : out.records) {
      if (where.back() == '-') std::sort(list.begin(), list.end());
    }
    const auto& changelog = read[3];
    EXPECT_TRUE(changelog.ok()) << changelog.status();
    if (changelog.ok()) {
      for (const testing::KafkaRecord& r : *changelog) {
        out.changelog[absl::StrCat(r.partition, "/", r.key.value_or("-"))] = Describe(r);
      }
    }
    for (int partition = 0; partition < kPartitions; ++partition) {
      out.stores[partition] = DumpStore(config, partition);
    }
    return out;
  }

  // Everything the store holds that does not count batches (the outbox sequence and the
  // changelog offset do).
  static std::vector<std::string> DumpStore(const processor::Config& config, int partition) {
    std::vector<std::string> dump;
    auto store = state::OpenRocksDbStore(
        absl::StrCat(config.state_dir, "/", config.topics.input, "-", partition),
        {config.topics.input, partition});
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return dump;
    std::string after;
    while (true) {
      std::vector<v1::PersonState> page;
      EXPECT_TRUE((*store)->ScanPersons(after, 500, &page).ok());
      for (const v1::PersonState& person : page) dump.push_back(person.SerializeAsString());
      if (page.size() < 500) break;
      after = page.back().person_key();
    }
    std::vector<state::TimerKey> timers;
    EXPECT_TRUE((*store)->ScanTimers(INT64_MAX, SIZE_MAX, &timers).ok());
    for (const state::TimerKey& t : timers) {
      dump.push_back(absl::StrCat("timer ", t.due_micros, " ", t.person_key, " ", t.obligation_id));
    }
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> outbox;
    EXPECT_TRUE((*store)->ScanOutbox(SIZE_MAX, &outbox).ok());
    dump.push_back(absl::StrCat("outbox entries ", outbox.size()));
    for (const char* name : {"input_offset", "clock_micros"}) {
      auto value = (*store)->GetProgress(name);
      EXPECT_TRUE(value.ok());
      dump.push_back(absl::StrCat(name, " ", value.ok() ? value->value_or("none") : "error"));
    }
    return dump;
  }

  // Clean runs from an empty state with each of `threads`, at the same time; overlap_delivery
  // as `overlap` says (off, the default, when it is empty).
  std::vector<Outcome> RunClean(const std::vector<int>& threads,
                                const std::vector<bool>& overlap = {}) {
    std::vector<processor::Config> configs;
    std::vector<processor::Metrics> metrics(threads.size());
    for (size_t i = 0; i < threads.size(); ++i) {
      const bool overlapped = !overlap.empty() && overlap[i];
      configs.push_back(RunConfig(
          absl::StrCat("run", ++runs_, "-t", threads[i], overlapped ? "-overlap" : ""), threads[i],
          overlapped));
    }
    std::vector<std::thread> runners;
    for (size_t i = 0; i < threads.size(); ++i) {
      runners.emplace_back([&, i] {
        processor::KafkaProcessor p(configs[i], catalog_, &metrics[i], clock_);
        EXPECT_TRUE(RunUntilLive(&p).ok()) << threads[i] << " threads";
      });
    }
    for (std::thread& runner : runners) runner.join();
    std::vector<Outcome> out(threads.size());
    std::vector<std::thread> collectors;
    for (size_t i = 0; i < threads.size(); ++i) {
      collectors.emplace_back([&, i] { out[i] = Collect(configs[i], metrics[i]); });
    }
    for (std::thread& collector : collectors) collector.join();
    return out;
  }

  static void ExpectSame(const Outcome& expected, const Outcome& actual, const std::string& what) {
    EXPECT_EQ(actual.events_applied, expected.events_applied) << what;
    EXPECT_EQ(actual.timers_fired, expected.timers_fired) << what;
    EXPECT_EQ(actual.alerts_raised, expected.alerts_raised) << what;
    // Obligation records of erased persons, as either run saw them.
    std::set<std::string> skip = expected.erased_obligations;
    skip.insert(actual.erased_obligations.begin(), actual.erased_obligations.end());
    auto compared = [&](const Outcome& o) {
      std::map<std::string, std::vector<std::string>> kept;
      for (const auto& [where, list] : o.records) {
        if (skip.count(where.substr(where.rfind('/') + 1)) == 0) kept[where] = list;
      }
      return kept;
    };
    const auto expected_records = compared(expected);
    const auto actual_records = compared(actual);
    EXPECT_EQ(actual_records.size(), expected_records.size()) << what;
    for (const auto& [where, list] : expected_records) {
      auto it = actual_records.find(where);
      ASSERT_NE(it, actual_records.end()) << what << ": nothing on " << where;
      EXPECT_EQ(it->second, list) << what << ": " << where;
    }
    EXPECT_EQ(actual.changelog, expected.changelog) << what;
    EXPECT_EQ(actual.stores, expected.stores) << what;
  }

  // One thread's outcome, the baseline, kept for the suite once a test has run it.
  static inline const Outcome* one_thread_ = nullptr;

  static inline std::vector<testing::OutgoingMessage>* input_ = nullptr;
  static inline std::set<std::string>* erased_ = nullptr;
  static inline int counter_ = 0;
  static inline int runs_ = 0;
  processor::SimulatedClock clock_{
      absl::FromCivil(absl::CivilMinute(2026, 12, 4, 8, 0), absl::UTCTimeZone())};
  std::filesystem::path dir_;
  rules::Catalog catalog_;
  std::unique_ptr<processor::EmbeddedBroker> broker_;
};

TEST_F(KafkaProcessorThreadsTest, SeveralThreadsGiveExactlyWhatOneThreadGives) {
  // The baseline is the straightforward path: one thread, each batch delivered before the next.
  const std::vector<Outcome> outcomes = RunClean({1, 2, 3, 1}, {false, false, true, true});
  one_thread_ = new Outcome(outcomes[0]);
  const Outcome& one = outcomes[0];
  // The input is not trivial: alerts, obligation records, a dead letter, fired deadlines.
  EXPECT_GT(one.alerts_raised, 50u);
  EXPECT_GT(one.timers_fired, 50u);
  size_t dead_letters = 0;
  for (const auto& [where, list] : one.records) {
    if (where.rfind("dlq/", 0) == 0) dead_letters += list.size();
  }
  EXPECT_GT(dead_letters, 0u);
  for (int p = 0; p < kPartitions; ++p) EXPECT_GT(one.stores.at(p).size(), 10u) << p;
  ExpectSame(one, outcomes[1], "2 threads");
  ExpectSame(one, outcomes[2], "3 threads, delivery overlapped");
  ExpectSame(one, outcomes[3], "1 thread, delivery overlapped");
}

TEST_F(KafkaProcessorThreadsTest, AFailedStoreWriteOnAWorkerStopsWithoutCommittingTheBatch) {
  if (one_thread_ == nullptr) one_thread_ = new Outcome(RunClean({1})[0]);  // run alone
  const Outcome& one = *one_thread_;
  processor::Config config = RunConfig("faulty", 2, /*overlap_delivery=*/true);
  constexpr int kFailing = 2;
  {
    processor::Metrics metrics;
    processor::KafkaProcessor p(config, catalog_, &metrics, clock_);
    p.open_store = [&](const std::string& dir, const state::StoreIdentity& identity)
        -> absl::StatusOr<std::unique_ptr<state::StateStore>> {
      auto store = state::OpenRocksDbStore(dir, identity);
      if (!store.ok()) return store.status();
      auto faulty = std::make_unique<testing::FaultyStore>(*std::move(store));
      faulty->fail_commit = identity.partition == kFailing;
      return std::unique_ptr<state::StateStore>(std::move(faulty));
    };
    const absl::Status s = RunUntilLive(&p);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("partition 2: writing the batch: injected: Commit failed"),
              std::string::npos)
        << s;
    EXPECT_FALSE(metrics.ready.load());
  }
  // Nothing of partition 2 was committed anywhere; no partition's group offset is ahead of its
  // store (the failed batch's offsets were not committed).
  auto committed = testing::CommittedOffsets(bootstrap(), config.group_id, config.topics.input);
  ASSERT_TRUE(committed.ok()) << committed.status();
  for (int partition = 0; partition < kPartitions; ++partition) {
    const std::vector<std::string> dump = DumpStore(config, partition);
    int64_t stored = -1;
    for (const std::string& line : dump) {
      if (line.rfind("input_offset ", 0) == 0 && line != "input_offset none") {
        stored = std::stoll(line.substr(13));
      }
    }
    const int64_t group = committed->count(partition) > 0 ? committed->at(partition) : -1001;
    if (partition == kFailing) {
      EXPECT_EQ(stored, -1);
      EXPECT_LT(group, 0);
    } else {
      EXPECT_LE(group, stored) << "partition " << partition;
    }
  }
  auto changelog = testing::ConsumeToEnd(bootstrap(), config.topics.changelog);
  ASSERT_TRUE(changelog.ok()) << changelog.status();
  for (const testing::KafkaRecord& r : *changelog) EXPECT_NE(r.partition, kFailing);

  // A restart with a healthy store ends exactly where one thread does.
  processor::Metrics metrics;
  {
    processor::KafkaProcessor p(config, catalog_, &metrics, clock_);
    ASSERT_TRUE(RunUntilLive(&p).ok());
  }
  Outcome recovered = Collect(config, metrics);
  // The counters are of the second run only.
  recovered.events_applied = one.events_applied;
  recovered.timers_fired = one.timers_fired;
  recovered.alerts_raised = one.alerts_raised;
  ExpectSame(one, recovered, "after the failure and a restart");
}

}  // namespace
}  // namespace fristvagt
