// Speed must not cost correctness (issue 15). The fast path — RocksDB store in state format 2
// (one timer per person), persons kept parsed between batches, fired timers evaluating only
// their rules, large batches — runs in lockstep with the straightforward one — MemoryStore,
// no person cache, every rule evaluated on every firing, a commit after every event and before
// every timer — over every scenario and a simulated cohort. After every commit of the fast path
// both have drained the same messages (alerts, obligation records, dead letters: every byte
// and header, in order) and hold the same person records, and each store's timer index is
// exactly one timer per person at the earliest moment its record names
// (Engine::ArmedTimers). The changelog is left out of the byte comparison because it carries
// one entry per person per commit, so it depends on the commit cadence by design; what it
// names is the person record, which is compared.

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/simulator.h"
#include "gtest/gtest.h"
#include "processor/engine/clock_driver.h"
#include "processor/engine/engine.h"
#include "processor/input/event_decoder.h"
#include "rules/course.h"
#include "state/rocksdb_store.h"
#include "state/store.h"
#include "tests/processor/engine/comparison_inputs.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

struct Path {
  std::unique_ptr<state::StateStore> store;
  std::unique_ptr<processor::Engine> engine;
  std::unique_ptr<processor::ClockDriver> driver;
  std::vector<std::string> sent;  // drained messages, changelog excepted

  // Commits, then takes everything from the outbox the way the Kafka and replay sinks do.
  void Commit() {
    ASSERT_TRUE(engine->Flush().ok());
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
    ASSERT_TRUE(store->ScanOutbox(SIZE_MAX, &entries).ok());
    if (entries.empty()) return;
    state::Batch done;
    for (const auto& [seq, entry] : entries) {
      done.outbox_removed.push_back(seq);
      if (entry.topic() == processor::kChangelogTopic) continue;
      const std::map<std::string, std::string> headers(entry.headers().begin(),
                                                       entry.headers().end());
      std::string line = absl::StrCat(entry.topic(), " ", entry.key(), " ", entry.value());
      for (const auto& [name, value] : headers) absl::StrAppend(&line, " ", name, "=", value);
      sent.push_back(std::move(line));
    }
    ASSERT_TRUE(store->Commit(done).ok());
  }

  std::vector<std::string> Persons() {
    std::vector<v1::PersonState> persons;
    EXPECT_TRUE(store->ScanPersons("", SIZE_MAX, &persons).ok());
    std::vector<std::string> out;
    for (const v1::PersonState& person : persons) out.push_back(person.SerializeAsString());
    return out;
  }

  // The timer index must be exactly what the person records arm.
  void ExpectTimersFollowTheRecords(const std::string& where) {
    std::vector<state::TimerKey> stored;
    ASSERT_TRUE(store->ScanTimers(INT64_MAX, SIZE_MAX, &stored).ok());
    std::vector<v1::PersonState> persons;
    ASSERT_TRUE(store->ScanPersons("", SIZE_MAX, &persons).ok());
    std::set<state::TimerKey> want;
    for (const v1::PersonState& person : persons) {
      for (const state::TimerKey& key : processor::Engine::ArmedTimers(person)) want.insert(key);
    }
    EXPECT_EQ(std::set<state::TimerKey>(stored.begin(), stored.end()), want) << where;
    EXPECT_EQ(stored.size(), want.size()) << where << ": a timer is stored twice";
  }
};

processor::EngineOptions Options(bool fast) {
  processor::EngineOptions options;
  options.emit_obligation_records = true;
  options.emit_changelog = true;
  options.evaluate_fired_rules_only = fast;
  options.cached_persons = fast ? 20000 : 0;
  options.max_batch_persons = fast ? 4096 : 1;  // 1: a commit before every timer fires
  return options;
}

void ExpectSamePaths(const rules::Catalog& catalog, const std::vector<std::string>& lines,
                     const std::string& name, int fast_events_per_commit) {
  testing::TempDir dir;
  Path fast, plain;
  absl::StatusOr<std::unique_ptr<state::StateStore>> rocks =
      state::OpenRocksDbStore((dir.path() / "fast").string(), {"replay", 0});
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  fast.store = *std::move(rocks);
  plain.store = state::NewMemoryStore();
  fast.engine = std::make_unique<processor::Engine>(catalog, fast.store.get(), Options(true));
  plain.engine = std::make_unique<processor::Engine>(catalog, plain.store.get(), Options(false));
  for (Path* path : {&fast, &plain}) {
    path->driver = std::make_unique<processor::ClockDriver>(path->engine.get());
  }

  const processor::EventDecoder decoder;
  int applied = 0;
  auto compare = [&](const std::string& where) {
    ASSERT_EQ(fast.sent.size(), plain.sent.size()) << name << " " << where;
    for (size_t i = 0; i < plain.sent.size(); ++i) {
      ASSERT_EQ(fast.sent[i], plain.sent[i]) << name << " " << where << ": message " << i;
    }
    ASSERT_EQ(fast.Persons(), plain.Persons()) << name << " " << where << ": person records";
    fast.ExpectTimersFollowTheRecords(name + " " + where + " (fast)");
    plain.ExpectTimersFollowTheRecords(name + " " + where + " (plain)");
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    processor::DecodeResult decoded = decoder.FromJson(lines[i]);
    const auto* event = std::get_if<v1::CaseEvent>(&decoded);
    if (event == nullptr) continue;  // the decoder's rejections are not under test here
    const std::string position = absl::StrCat("line ", i + 1);
    for (Path* path : {&fast, &plain}) {
      ASSERT_TRUE(path->driver->Apply(*event, position).ok());
    }
    plain.Commit();
    if (++applied % fast_events_per_commit == 0) {
      fast.Commit();
      compare(position);
    }
  }
  for (Path* path : {&fast, &plain}) {
    if (path->driver->clock() == absl::InfinitePast()) continue;
    ASSERT_TRUE(path->driver->AdvanceTo(path->driver->clock() + absl::Hours(24 * 730)).ok());
  }
  fast.Commit();
  plain.Commit();
  compare("at the end");
  EXPECT_EQ(fast.engine->counters().timers_fired, plain.engine->counters().timers_fired) << name;
  EXPECT_EQ(fast.engine->counters().alerts_raised, plain.engine->counters().alerts_raised) << name;
}

class StorePathComparisonTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_)); }
  rules::Catalog catalog_;
};

TEST_F(StorePathComparisonTest, EveryScenarioGivesTheSameMessagesAndRecords) {
  for (const auto& [path, lines] : testing::ScenarioEventFiles()) {
    // Scenarios are short: a commit every 3 events still batches timers with events.
    ExpectSamePaths(catalog_, lines, path, /*fast_events_per_commit=*/3);
  }
}

TEST_F(StorePathComparisonTest, ASimulatedCohortGivesTheSameMessagesAndRecords) {
  const std::vector<std::string> lines = testing::SimulatedCohortLines(150, 5, 11);
  ASSERT_GT(lines.size(), 500u);
  ExpectSamePaths(catalog_, lines, "cohort", /*fast_events_per_commit=*/500);
}

}  // namespace
}  // namespace fristvagt
