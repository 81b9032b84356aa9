// Fault injection into the engine's store (tests/testing/faulty_store.h): a read the engine
// cannot do without fails, and the engine must stop — commit nothing, renumber nothing —
// rather than carry on with a guess. The data-losing path this guards: reading the outbox
// sequence failed, the engine started again at 0 and overwrote entries still waiting to be
// sent (lost alerts).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "processor/engine/engine.h"
#include "rules/course.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/testing/faulty_store.h"

namespace fristvagt {
namespace {

using testing::At;
using testing::FirstContact;

std::vector<std::pair<uint64_t, v1::OutboxEntry>> Outbox(state::StateStore* store) {
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
  EXPECT_TRUE(store->ScanOutbox(SIZE_MAX, &entries).ok());
  return entries;
}

class EngineFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_));
    store_ = std::make_unique<testing::FaultyStore>(state::NewMemoryStore());
    // A first batch leaves alerts, obligation records and changelog references unsent.
    processor::EngineOptions options;
    options.emit_obligation_records = true;
    options.emit_changelog = true;
    processor::Engine first(catalog_, store_.get(), options);
    const v1::CaseEvent event = FirstContact("fc-1", "p-1", "2023-03-10T09:00:00+01:00");
    ASSERT_TRUE(first.ApplyEvent(event, rules::ToAbslTime(event.recorded_at()), "test").ok());
    ASSERT_TRUE(first.Flush().ok());
    unsent_ = Outbox(store_.get());
    ASSERT_FALSE(unsent_.empty());
  }

  // A second engine over the same store (a restart) applies another person's event.
  absl::Status ApplyAndFlushAnotherPerson() {
    processor::EngineOptions options;
    options.emit_obligation_records = true;
    options.emit_changelog = true;
    processor::Engine engine(catalog_, store_.get(), options);
    const v1::CaseEvent event = FirstContact("fc-2", "p-2", "2023-03-11T09:00:00+01:00");
    // As the processors do: a failed event stops the partition before anything is flushed.
    absl::Status applied = engine.ApplyEvent(event, rules::ToAbslTime(event.recorded_at()), "t");
    if (!applied.ok()) return applied;
    return engine.Flush();
  }

  void ExpectUnsentEntriesIntact() {
    const auto now = Outbox(store_.get());
    ASSERT_GE(now.size(), unsent_.size());
    for (size_t i = 0; i < unsent_.size(); ++i) {
      EXPECT_EQ(now[i].first, unsent_[i].first);
      EXPECT_EQ(now[i].second.SerializeAsString(), unsent_[i].second.SerializeAsString())
          << "entry " << unsent_[i].first << " was overwritten";
    }
  }

  rules::Catalog catalog_;
  std::unique_ptr<testing::FaultyStore> store_;
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> unsent_;
};

TEST_F(EngineFaultTest, FailedOutboxSequenceReadCommitsNothingAndKeepsUnsentEntries) {
  store_->fail_progress.insert("outbox_seq");
  const int commits_before = store_->commits;
  const absl::Status s = ApplyAndFlushAnotherPerson();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("outbox sequence"), std::string::npos) << s;
  EXPECT_EQ(store_->commits, commits_before) << "a broken engine must not commit";
  EXPECT_EQ(Outbox(store_.get()).size(), unsent_.size());
  ExpectUnsentEntriesIntact();
}

TEST_F(EngineFaultTest, UnreadableOutboxSequenceIsDataLossNotZero) {
  store_->garble_progress.insert("outbox_seq");
  const absl::Status s = ApplyAndFlushAnotherPerson();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  ExpectUnsentEntriesIntact();
}

TEST_F(EngineFaultTest, OnceTheReadWorksAgainNumberingContinuesAfterTheUnsentEntries) {
  store_->fail_progress.insert("outbox_seq");
  ASSERT_FALSE(ApplyAndFlushAnotherPerson().ok());
  store_->fail_progress.clear();
  ASSERT_TRUE(ApplyAndFlushAnotherPerson().ok());
  ExpectUnsentEntriesIntact();
  const auto now = Outbox(store_.get());
  EXPECT_GT(now.size(), unsent_.size());
  EXPECT_GT(now[unsent_.size()].first, unsent_.back().first);
}

TEST_F(EngineFaultTest, FailedPersonReadFailsTheEventAndCommitsNothing) {
  store_->fail_get_person = true;
  const int commits_before = store_->commits;
  EXPECT_FALSE(ApplyAndFlushAnotherPerson().ok());
  EXPECT_EQ(store_->commits, commits_before);
  ExpectUnsentEntriesIntact();
}

TEST_F(EngineFaultTest, FailedCommitLeavesTheStoreAsItWas) {
  store_->fail_commit = true;
  EXPECT_FALSE(ApplyAndFlushAnotherPerson().ok());
  store_->fail_commit = false;
  ExpectUnsentEntriesIntact();
  EXPECT_EQ(Outbox(store_.get()).size(), unsent_.size());
}

}  // namespace
}  // namespace fristvagt
