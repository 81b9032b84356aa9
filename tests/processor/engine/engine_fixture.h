#pragma once
// The fixture the engine tests share: the shipped catalog, an Engine over a memory store, and
// the ClockDriver that replay and the Kafka processor drive it with (fire what is due up to the
// event's recorded_at, then apply the event at it).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "processor/engine/clock_driver.h"
#include "processor/engine/engine.h"
#include "proto/state.pb.h"
#include "state/store.h"
#include "tests/processor/engine/engine_events.h"

namespace fristvagt::testing {

class EngineFixture : public ::testing::Test {
 protected:
  // Each test's SetUp calls this with the options it is about.
  void StartEngine(const processor::EngineOptions& options) {
    ASSERT_TRUE(LoadShippedCatalog(&catalog_));
    store_ = state::NewMemoryStore();
    engine_ = std::make_unique<processor::Engine>(catalog_, store_.get(), options);
    driver_ = std::make_unique<processor::ClockDriver>(engine_.get());
  }

  void Apply(const v1::CaseEvent& event, const std::string& position = "test") {
    ASSERT_TRUE(driver_->Apply(event, position).ok());
  }
  void AdvanceTo(absl::Time to) { ASSERT_TRUE(driver_->AdvanceTo(to).ok()); }

  // Flushes, then takes the committed outbox as a sink would (removing what it took): every
  // entry in order, or only those of `topic`.
  std::vector<v1::OutboxEntry> Drain() {
    EXPECT_TRUE(engine_->Flush().ok());
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> outbox;
    EXPECT_TRUE(store_->ScanOutbox(SIZE_MAX, &outbox).ok());
    state::Batch drained;
    std::vector<v1::OutboxEntry> entries;
    for (auto& [seq, entry] : outbox) {
      drained.outbox_removed.push_back(seq);
      entries.push_back(std::move(entry));
    }
    EXPECT_TRUE(store_->Commit(drained).ok());
    return entries;
  }
  std::vector<v1::OutboxEntry> Drain(v1::OutboxTopic topic) {
    std::vector<v1::OutboxEntry> found;
    for (v1::OutboxEntry& entry : Drain()) {
      if (entry.topic() == topic) found.push_back(std::move(entry));
    }
    return found;
  }

  rules::Catalog catalog_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<processor::Engine> engine_;
  std::unique_ptr<processor::ClockDriver> driver_;
};

}  // namespace fristvagt::testing
