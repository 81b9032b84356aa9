// person_erased removes every trace of the person (architecture.md, "Guarantees"): after the
// engine applies it over the RocksDB store, no key or value in any column family of the
// database, read raw, contains the person's key, while another person's records are still
// there (so the scan could have found something).

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "processor/engine/engine.h"
#include "processor/input/event_decoder.h"
#include "rules/course.h"
#include "rules/regime_loader.h"
#include "state/rocksdb_store.h"
#include "tests/processor/engine/engine_events.h"
#include "tests/state/store_test_util.h"
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

constexpr char kErased[] = "p-erase-7f3a";
constexpr char kParkedOnly[] = "p-erase-parked";
constexpr char kKept[] = "p-keep-91c2";

using testing::At;
using testing::Event;
using testing::FirstContact;
using testing::Meeting;

class PersonErasedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::LoadShippedCatalog(&catalog_));
    absl::StatusOr<std::unique_ptr<state::StateStore>> store =
        state::OpenRocksDbStore(Dir(), {"case-events", 0});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    engine_ =
        std::make_unique<processor::Engine>(catalog_, store_.get(), processor::EngineOptions{});
  }

  void Apply(const v1::CaseEvent& event) {
    const absl::Time at = rules::ToAbslTime(event.recorded_at());
    ASSERT_TRUE(engine_->FireTimersUpTo(at).ok());
    ASSERT_TRUE(engine_->ApplyEvent(event, at, "test").ok());
  }

  // Closes the store and counts, per column family, the raw records mentioning `needle`.
  std::map<std::string, int> CloseAndCount(const std::string& needle) {
    engine_.reset();
    store_.reset();
    std::map<std::string, int> found;
    for (const auto& record : state::testing::ReadAllRaw(Dir())) {
      if (record.key.find(needle) != std::string::npos ||
          record.value.find(needle) != std::string::npos) {
        ++found[record.family];
      }
    }
    return found;
  }

  std::string Dir() const { return (dir_.path() / "db").string(); }

  testing::TempDir dir_;
  rules::Catalog catalog_;
  std::unique_ptr<state::StateStore> store_;
  std::unique_ptr<processor::Engine> engine_;
};

TEST_F(PersonErasedTest, NoColumnFamilyKeepsAnyTraceOfTheErasedPerson) {
  // A meeting before any first contact is parked, then dead-lettered as NO_COURSE: the dead
  // letter holds the person's raw event.
  Apply(Meeting("m-0", kErased, "2023-03-01T09:00:00+01:00"));
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-09T00:00:00+01:00")).ok());
  Apply(FirstContact("fc-1", kErased, "2023-03-10T09:00:00+01:00"));
  Apply(FirstContact("fc-2", kKept, "2023-03-10T10:00:00+01:00"));
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-20T00:00:00+01:00")).ok());  // reminders
  Apply(Meeting("m-1", kParkedOnly, "2023-03-20T09:00:00+01:00"));             // parked
  ASSERT_TRUE(engine_->Flush().ok());  // committed, outbox not drained
  {
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> outbox;
    ASSERT_TRUE(store_->ScanOutbox(SIZE_MAX, &outbox).ok());
    ASSERT_FALSE(outbox.empty());
  }
  // Erasure in a later batch than the one that armed the timers and queued the alerts.
  Apply(Event("x-1", kErased, "2023-03-21T09:00:00+01:00", R"("person_erased":{})"));
  Apply(Event("x-2", kParkedOnly, "2023-03-21T09:00:00+01:00", R"("person_erased":{})"));
  ASSERT_TRUE(engine_->Flush().ok());
  // Nothing about them fires later either.
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2024-01-01T00:00:00+01:00")).ok());
  ASSERT_TRUE(engine_->Flush().ok());

  const std::map<std::string, int> erased = CloseAndCount("p-erase-");
  for (const auto& [family, records] : erased) {
    ADD_FAILURE() << records << " record(s) in " << family << " still name an erased person";
  }
  const std::map<std::string, int> kept = CloseAndCount(kKept);
  EXPECT_GT(kept.count("persons"), 0u);
  EXPECT_GT(kept.count("outbox"), 0u);
}

// The same scan before erasure finds the person everywhere: the test above can fail.
TEST_F(PersonErasedTest, BeforeErasureThePersonIsInEveryFamily) {
  Apply(Meeting("m-0", kErased, "2023-03-01T09:00:00+01:00"));
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-09T00:00:00+01:00")).ok());
  Apply(FirstContact("fc-1", kErased, "2023-03-10T09:00:00+01:00"));
  ASSERT_TRUE(engine_->FireTimersUpTo(At("2023-03-20T00:00:00+01:00")).ok());
  ASSERT_TRUE(engine_->Flush().ok());
  const std::map<std::string, int> found = CloseAndCount(kErased);
  EXPECT_GT(found.count("persons"), 0u);
  EXPECT_GT(found.count("timers"), 0u);
  EXPECT_GT(found.count("outbox"), 0u);
}

}  // namespace
}  // namespace fristvagt
