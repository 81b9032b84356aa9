// A fired timer re-evaluates only the rules of the person's obligations due by then (issue 8;
// rules::RuleSelection says why that is exact). This test holds the claim to account: every
// scenario's events and a simulated cohort go through the engine twice, once evaluating only
// the fired rules and once every rule, and everything the engine emits (alerts, obligation
// records, dead letters, and the person records on the changelog) must be the same bytes in
// the same order. The person cache is also off in the second run, so the test covers it too.

#include <filesystem>
#include <fstream>
#include <memory>
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
#include "state/store.h"
#include "tests/processor/engine/comparison_inputs.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

// Replays `lines` the way `fristvagt replay` does (the clock follows recorded_at and never
// moves back; due timers fire before each event; at the end the clock runs two years on) and
// returns every outbox entry as "topic key value" in order, and after every commit every
// stored person record (the changelog entries only name the person).
std::vector<std::string> Replay(const rules::Catalog& catalog,
                                const std::vector<std::string>& lines, bool fired_rules_only,
                                int events_per_commit) {
  std::unique_ptr<state::StateStore> store = state::NewMemoryStore();
  processor::EngineOptions options;
  options.emit_obligation_records = true;
  options.emit_changelog = true;
  options.evaluate_fired_rules_only = fired_rules_only;
  options.cached_persons = fired_rules_only ? 20000 : 0;
  processor::Engine engine(catalog, store.get(), options);
  const processor::EventDecoder decoder;
  processor::ClockDriver driver(&engine);
  int applied = 0;
  std::vector<std::string> out;
  auto flush = [&] {
    EXPECT_TRUE(engine.Flush().ok());
    std::vector<v1::PersonState> persons;
    EXPECT_TRUE(store->ScanPersons("", SIZE_MAX, &persons).ok());
    for (const v1::PersonState& person : persons) {
      out.push_back(absl::StrCat("person ", person.ShortDebugString()));
    }
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    processor::DecodeResult decoded = decoder.FromJson(lines[i]);
    const auto* event = std::get_if<v1::CaseEvent>(&decoded);
    if (event == nullptr) continue;  // the decoder's rejections are not under test here
    EXPECT_TRUE(driver.Apply(*event, absl::StrCat("line ", i + 1)).ok());
    if (++applied % events_per_commit == 0) flush();
  }
  if (driver.clock() != absl::InfinitePast()) {
    EXPECT_TRUE(driver.AdvanceTo(driver.clock() + absl::Hours(24 * 730)).ok());
  }
  flush();
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
  EXPECT_TRUE(store->ScanOutbox(SIZE_MAX, &entries).ok());
  for (const auto& [seq, entry] : entries) {
    out.push_back(absl::StrCat(entry.topic(), " ", entry.key(), " ", entry.value()));
  }
  return out;
}

// Compares the two replays entry by entry, so a difference names its position.
void ExpectSameOutput(const rules::Catalog& catalog, const std::vector<std::string>& lines,
                      const std::string& name, int events_per_commit) {
  const std::vector<std::string> partial = Replay(catalog, lines, true, events_per_commit);
  const std::vector<std::string> full = Replay(catalog, lines, false, events_per_commit);
  ASSERT_EQ(partial.size(), full.size()) << name;
  for (size_t i = 0; i < full.size(); ++i) {
    ASSERT_EQ(partial[i], full[i]) << name << ": outbox entry " << i << " differs";
  }
}

class PartialEvaluationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_)); }
  rules::Catalog catalog_;
};

TEST_F(PartialEvaluationTest, EveryScenarioGivesTheSameOutputAsFullEvaluation) {
  for (const auto& [path, lines] : testing::ScenarioEventFiles()) {
    ExpectSameOutput(catalog_, lines, path, /*events_per_commit=*/1);
  }
}

TEST_F(PartialEvaluationTest, ASimulatedCohortGivesTheSameOutputAsFullEvaluation) {
  const std::vector<std::string> lines = testing::SimulatedCohortLines(200, 5, 7);
  ASSERT_GT(lines.size(), 1000u);
  ExpectSameOutput(catalog_, lines, "cohort", /*events_per_commit=*/50);
}

}  // namespace
}  // namespace fristvagt
