// The StateStore contract, run against both implementations: what one batch changes becomes
// visible all at once, timers come out in due order (negative and zero moments included) within
// the scan's bound and limit, the outbox in sequence order, progress markers by name, erased
// persons are gone. The RocksDB variant also reopens the dir where the contract says state is
// durable, and a randomised run checks RocksDbStore against MemoryStore step by step.

#include "state/rocksdb_store.h"

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "state/store.h"
#include "tests/state/store_test_util.h"
#include "tests/testing/binary.h"

namespace fristvagt::state {
namespace {

using ::fristvagt::state::testing::Entry;
using ::fristvagt::state::testing::Person;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

enum class Kind { kMemory, kRocksDb };

class StoreContractTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override { Reopen(); }

  // RocksDB: closes and opens the dir again; memory: keeps the store (same process).
  void Reopen() {
    if (GetParam() == Kind::kMemory) {
      if (store_ == nullptr) store_ = NewMemoryStore();
      return;
    }
    store_.reset();
    absl::StatusOr<std::unique_ptr<StateStore>> opened =
        OpenRocksDbStore((dir_.path() / "db").string(), {"case-events", 3});
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = *std::move(opened);
  }

  void Commit(const Batch& batch) { ASSERT_TRUE(store_->Commit(batch).ok()); }

  std::vector<TimerKey> Scan(int64_t up_to, size_t limit = 1000) {
    std::vector<TimerKey> out = {{1, "stale", "x"}};  // must be cleared by the store
    EXPECT_TRUE(store_->ScanTimers(up_to, limit, &out).ok());
    return out;
  }

  std::optional<TimerKey> First() {
    absl::StatusOr<std::optional<TimerKey>> first = store_->FirstTimer();
    EXPECT_TRUE(first.ok()) << first.status();
    return first.ok() ? *first : std::nullopt;
  }

  std::vector<uint64_t> OutboxSeqs(size_t limit = 1000) {
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
    EXPECT_TRUE(store_->ScanOutbox(limit, &entries).ok());
    std::vector<uint64_t> seqs;
    for (const auto& [seq, entry] : entries) seqs.push_back(seq);
    return seqs;
  }

  std::optional<v1::PersonState> Get(const std::string& key) {
    absl::StatusOr<std::optional<v1::PersonState>> person = store_->GetPerson(key);
    EXPECT_TRUE(person.ok()) << person.status();
    return person.ok() ? *person : std::nullopt;
  }

  fristvagt::testing::TempDir dir_;
  std::unique_ptr<StateStore> store_;
};

TEST_P(StoreContractTest, EmptyStoreHasNothing) {
  EXPECT_FALSE(Get("p-1").has_value());
  EXPECT_FALSE(First().has_value());
  EXPECT_TRUE(Scan(kMax).empty());
  EXPECT_TRUE(OutboxSeqs().empty());
  absl::StatusOr<std::optional<std::string>> progress = store_->GetProgress("offset");
  ASSERT_TRUE(progress.ok());
  EXPECT_FALSE(progress->has_value());
  EXPECT_TRUE(store_->Commit(Batch()).ok());
}

TEST_P(StoreContractTest, OneBatchChangesEverythingAtOnceAndDurably) {
  Batch batch;
  batch.PutPerson("p-1", Person("p-1", "851"));
  batch.AddTimer({100, "p-1", "ob-a"});
  batch.outbox_added.emplace_back(7, Entry("alert-1", "p-1"));
  batch.progress["case-events/3"] = "1234";
  Commit(batch);
  Reopen();
  ASSERT_TRUE(Get("p-1").has_value());
  EXPECT_EQ(Get("p-1")->municipality_code(), "851");
  EXPECT_EQ(Scan(kMax), (std::vector<TimerKey>{{100, "p-1", "ob-a"}}));
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> outbox;
  ASSERT_TRUE(store_->ScanOutbox(10, &outbox).ok());
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].first, 7u);
  EXPECT_EQ(outbox[0].second.value(), "alert-1");
  EXPECT_EQ(outbox[0].second.headers().at("fristvagt.kind"), "REMINDER");
  EXPECT_EQ(store_->GetProgress("case-events/3")->value_or(""), "1234");

  Batch second;  // overwrite, erase, disarm, send, move on: all in one commit
  second.persons["p-1"] = std::nullopt;
  second.PutPerson("p-2", Person("p-2"));
  second.RemoveTimer({100, "p-1", "ob-a"});
  second.AddTimer({50, "p-2", "ob-b"});
  second.outbox_removed.push_back(7);
  second.progress["case-events/3"] = "1300";
  Commit(second);
  Reopen();
  EXPECT_FALSE(Get("p-1").has_value());
  EXPECT_TRUE(Get("p-2").has_value());
  EXPECT_EQ(Scan(kMax), (std::vector<TimerKey>{{50, "p-2", "ob-b"}}));
  EXPECT_TRUE(OutboxSeqs().empty());
  EXPECT_EQ(store_->GetProgress("case-events/3")->value_or(""), "1300");
}

TEST_P(StoreContractTest, TimersComeOutInDueOrderIncludingNegativeAndZero) {
  const std::vector<TimerKey> all = {{kMin, "p", "a"},      {-1'000'000, "p", "a"}, {-1, "p", "a"},
                                     {0, "p", "a"},         {0, "p", "b"},          {0, "pa", "a"},
                                     {1, "a", "z"},         {255, "p", "a"},        {256, "p", "a"},
                                     {1LL << 40, "p", "a"}, {kMax, "p", "a"}};
  Batch batch;
  for (auto it = all.rbegin(); it != all.rend(); ++it) batch.AddTimer(*it);
  Commit(batch);
  Reopen();
  EXPECT_EQ(Scan(kMax), all);
  EXPECT_EQ(First(), all.front());
  EXPECT_EQ(Scan(-1), std::vector<TimerKey>(all.begin(), all.begin() + 3));
  EXPECT_EQ(Scan(0), std::vector<TimerKey>(all.begin(), all.begin() + 6));
  EXPECT_EQ(Scan(kMin), std::vector<TimerKey>(all.begin(), all.begin() + 1));
  EXPECT_EQ(Scan(kMax - 1), std::vector<TimerKey>(all.begin(), all.end() - 1));
}

TEST_P(StoreContractTest, ScanTimersHonoursLimitAndInclusiveUpperBound) {
  Batch batch;
  for (int64_t due = 10; due <= 100; due += 10) batch.AddTimer({due, "p-1", "ob"});
  Commit(batch);
  EXPECT_TRUE(Scan(9).empty());
  EXPECT_EQ(Scan(10).size(), 1u);
  EXPECT_EQ(Scan(59).size(), 5u);
  EXPECT_EQ(Scan(60).size(), 6u);
  EXPECT_EQ(Scan(kMax, 3),
            (std::vector<TimerKey>{{10, "p-1", "ob"}, {20, "p-1", "ob"}, {30, "p-1", "ob"}}));
  EXPECT_TRUE(Scan(kMax, 0).empty());
}

// Firing removes timers from the low end; scans and FirstTimer must see what is left, and a
// timer armed below where earlier scans stopped must still be found.
TEST_P(StoreContractTest, FiringFromTheFrontKeepsScansAndFirstTimerRight) {
  Batch batch;
  for (int64_t due = 1; due <= 1000; ++due) batch.AddTimer({due, "p", std::to_string(due)});
  Commit(batch);
  for (int64_t fired = 0; fired < 1000; fired += 100) {
    const std::vector<TimerKey> due = Scan(fired + 100, 100);
    ASSERT_EQ(due.size(), 100u);
    EXPECT_EQ(due.front().due_micros, fired + 1);
    Batch done;
    for (const TimerKey& key : due) done.RemoveTimer(key);
    Commit(done);
    EXPECT_TRUE(Scan(fired + 100).empty());
    if (fired + 100 < 1000) {
      EXPECT_EQ(First()->due_micros, fired + 101);
    }
  }
  EXPECT_FALSE(First().has_value());
  EXPECT_TRUE(Scan(5000).empty());
  Batch early;
  early.AddTimer({3, "q", "late-arrival"});
  Commit(early);
  EXPECT_EQ(First(), (TimerKey{3, "q", "late-arrival"}));
  EXPECT_EQ(Scan(10), (std::vector<TimerKey>{{3, "q", "late-arrival"}}));
  Batch earlier;
  earlier.AddTimer({-3, "q", "earlier"});
  Commit(earlier);
  EXPECT_EQ(First(), (TimerKey{-3, "q", "earlier"}));
  Batch drop;
  drop.RemoveTimer({-3, "q", "earlier"});
  Commit(drop);
  EXPECT_EQ(First(), (TimerKey{3, "q", "late-arrival"}));
  Reopen();
  EXPECT_EQ(First(), (TimerKey{3, "q", "late-arrival"}));
}

// The engine's timer cursor (issue 8): a scan strictly above `after`, at most `limit` due,
// plus the first timer due later when fewer than `limit` are due; the floor must not move
// past timers that were only skipped (they are still armed in the store).
TEST_P(StoreContractTest, ScanTimersAfterStartsAboveTheCursorAndReportsTheNextTimer) {
  Batch batch;
  for (int64_t due = 10; due <= 50; due += 10) batch.AddTimer({due, "p", std::to_string(due)});
  batch.AddTimer({20, "q", "same-moment"});
  Commit(batch);
  std::vector<TimerKey> out = {{1, "stale", "x"}};
  std::optional<TimerKey> later;
  ASSERT_TRUE(store_->ScanTimersAfter(nullptr, 20, 100, &out, &later).ok());
  EXPECT_EQ(out,
            (std::vector<TimerKey>{{10, "p", "10"}, {20, "p", "20"}, {20, "q", "same-moment"}}));
  EXPECT_EQ(later, (TimerKey{30, "p", "30"}));
  const TimerKey cursor{20, "p", "20"};
  ASSERT_TRUE(store_->ScanTimersAfter(&cursor, 30, 100, &out, &later).ok());
  EXPECT_EQ(out, (std::vector<TimerKey>{{20, "q", "same-moment"}, {30, "p", "30"}}));
  EXPECT_EQ(later, (TimerKey{40, "p", "40"}));
  ASSERT_TRUE(store_->ScanTimersAfter(&cursor, 50, 2, &out, &later).ok());
  EXPECT_EQ(out, (std::vector<TimerKey>{{20, "q", "same-moment"}, {30, "p", "30"}}));
  const TimerKey last{50, "p", "50"};
  ASSERT_TRUE(store_->ScanTimersAfter(&last, kMax, 100, &out, &later).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(later.has_value());
  // Skipping above the cursor left every timer armed: a plain scan still sees all six.
  EXPECT_EQ(Scan(kMax).size(), 6u);
  EXPECT_EQ(First(), (TimerKey{10, "p", "10"}));
}

TEST_P(StoreContractTest, OutboxComesOutInSequenceOrder) {
  Batch batch;
  for (uint64_t seq : {5u, 300u, 1u, 256u, 2u}) {
    batch.outbox_added.emplace_back(seq, Entry(std::to_string(seq)));
  }
  Commit(batch);
  Reopen();
  EXPECT_EQ(OutboxSeqs(), (std::vector<uint64_t>{1, 2, 5, 256, 300}));
  EXPECT_EQ(OutboxSeqs(2), (std::vector<uint64_t>{1, 2}));
  Batch sent;
  sent.outbox_removed = {1, 2, 5, 256, 300};
  Commit(sent);
  EXPECT_TRUE(OutboxSeqs().empty());
  Batch more;
  more.outbox_added.emplace_back(0, Entry("zero"));
  more.outbox_added.emplace_back(301, Entry("next"));
  Commit(more);
  EXPECT_EQ(OutboxSeqs(), (std::vector<uint64_t>{0, 301}));
}

// RocksDbStore removes runs of consecutive sequence numbers with one range tombstone: the runs
// must end exactly where they end, in any order of removal, and survive a reopen.
TEST_P(StoreContractTest, RemovingRunsOfTheOutboxRemovesExactlyThoseEntries) {
  Batch batch;
  for (uint64_t seq = 1; seq <= 12; ++seq) batch.outbox_added.emplace_back(seq, Entry("e"));
  Commit(batch);
  Batch sent;
  sent.outbox_removed = {8, 2, 3, 1, 5, 9, 10, 12};
  Commit(sent);
  Reopen();
  EXPECT_EQ(OutboxSeqs(), (std::vector<uint64_t>{4, 6, 7, 11}));
  Batch again;
  again.outbox_added.emplace_back(2, Entry("re-used below a removed run"));
  Commit(again);
  EXPECT_EQ(OutboxSeqs(), (std::vector<uint64_t>{2, 4, 6, 7, 11}));
}

// The changelog sends person records as the store holds them, without a parse.
TEST_P(StoreContractTest, PersonRecordIsTheStoredBytes) {
  Batch batch;
  batch.PutPerson("p-1", Person("p-1", "851"));
  Commit(batch);
  Reopen();
  absl::StatusOr<std::optional<std::string>> record = store_->GetPersonRecord("p-1");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ(**record, Person("p-1", "851").SerializeAsString());
  EXPECT_FALSE(store_->GetPersonRecord("p-2")->has_value());
}

// The engine reads persons into recycled messages: nothing of the message's last person may
// survive the read.
TEST_P(StoreContractTest, ReadPersonIntoAUsedMessageGivesExactlyTheStoredPerson) {
  v1::PersonState stored = Person("p-1", "851");
  stored.add_seen_event_ids("e-1");
  Batch batch;
  batch.PutPerson("p-1", stored);
  Commit(batch);
  Reopen();
  v1::PersonState used = Person("p-9", "101");
  used.set_caseworker_id("cw-9");
  for (int i = 0; i < 5; ++i) used.add_seen_event_ids("old-" + std::to_string(i));
  used.add_obligations()->set_obligation_id("ob-9");
  absl::StatusOr<bool> found = store_->ReadPerson("p-1", &used);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(*found);
  EXPECT_EQ(used.SerializeAsString(), stored.SerializeAsString());
  found = store_->ReadPerson("p-2", &used);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(*found);
  EXPECT_EQ(used.ByteSizeLong(), 0u);  // absent: the message is left empty
}

TEST_P(StoreContractTest, ProgressIsKeptByName) {
  Batch batch;
  batch.progress["a"] = "1";
  batch.progress["b"] = std::string("bin\0ary", 7);
  Commit(batch);
  Batch later;
  later.progress["a"] = "2";
  Commit(later);
  Reopen();
  EXPECT_EQ(store_->GetProgress("a")->value_or(""), "2");
  EXPECT_EQ(store_->GetProgress("b")->value_or(""), std::string("bin\0ary", 7));
  EXPECT_FALSE(store_->GetProgress("c")->has_value());
}

TEST_P(StoreContractTest, ErasedPersonIsGone) {
  Batch batch;
  batch.PutPerson("p-1", Person("p-1"));
  batch.PutPerson("p-2", Person("p-2"));
  Commit(batch);
  Batch erase;
  erase.persons["p-1"] = std::nullopt;
  erase.persons["p-unknown"] = std::nullopt;  // erasing what is not there is fine
  Commit(erase);
  Reopen();
  EXPECT_FALSE(Get("p-1").has_value());
  EXPECT_TRUE(Get("p-2").has_value());
  EXPECT_FALSE(Get("p-unknown").has_value());
}

TEST_P(StoreContractTest, ScanPersonsPagesInKeyOrder) {
  Batch batch;
  for (const char* key : {"p-c", "p-a", "p-e", "p-b", "p-d"}) batch.PutPerson(key, Person(key));
  batch.PutPerson("p-gone", Person("p-gone"));
  Commit(batch);
  Batch erase;
  erase.persons["p-gone"] = std::nullopt;
  Commit(erase);
  Reopen();
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    std::vector<v1::PersonState> out = {Person("stale")};
    ASSERT_TRUE(store_->ScanPersons(after, 2, &out).ok());
    if (out.empty()) break;
    EXPECT_LE(out.size(), 2u);
    for (const v1::PersonState& person : out) seen.push_back(person.person_key());
    after = out.back().person_key();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"p-a", "p-b", "p-c", "p-d", "p-e"}));
  std::vector<v1::PersonState> none;
  ASSERT_TRUE(store_->ScanPersons("p-e", 10, &none).ok());
  EXPECT_TRUE(none.empty());
}

INSTANTIATE_TEST_SUITE_P(BothStores, StoreContractTest,
                         ::testing::Values(Kind::kMemory, Kind::kRocksDb), [](const auto& info) {
                           return info.param == Kind::kMemory ? "Memory" : "RocksDb";
                         });

// Random batches against both stores; every read must agree.
TEST(StoreDifferentialTest, RocksDbAgreesWithMemoryStore) {
  fristvagt::testing::TempDir dir;
  std::unique_ptr<StateStore> memory = NewMemoryStore();
  absl::StatusOr<std::unique_ptr<StateStore>> rocks =
      OpenRocksDbStore((dir.path() / "db").string(), {"t", 0});
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  std::mt19937_64 random(20240601);
  std::set<TimerKey> armed;
  std::set<uint64_t> pending;
  uint64_t next_seq = 0;
  auto pick = [&random](int n) { return static_cast<int>(random() % n); };
  for (int step = 0; step < 400; ++step) {
    Batch batch;
    for (int i = pick(20); i > 0; --i) {
      const TimerKey key{pick(200) - 50, "p" + std::to_string(pick(5)), std::to_string(pick(3))};
      if (armed.count(key) > 0) {
        batch.RemoveTimer(key);
        armed.erase(key);
      } else {
        batch.AddTimer(key);
        armed.insert(key);
      }
    }
    for (int i = pick(4); i > 0; --i) {
      batch.outbox_added.emplace_back(next_seq, Entry("e"));
      pending.insert(next_seq++);
    }
    while (!pending.empty() && pick(3) == 0) {
      batch.outbox_removed.push_back(*pending.begin());
      pending.erase(pending.begin());
    }
    const std::string person = "p" + std::to_string(pick(5));
    batch.persons[person] =
        pick(4) == 0 ? std::nullopt
                     : std::optional(Person(person, std::to_string(step)).SerializeAsString());
    ASSERT_TRUE(memory->Commit(batch).ok());
    ASSERT_TRUE((*rocks)->Commit(batch).ok());
    const int64_t up_to = pick(250) - 60;
    const size_t limit = static_cast<size_t>(pick(8));
    std::vector<TimerKey> want, got;
    ASSERT_TRUE(memory->ScanTimers(up_to, limit, &want).ok());
    ASSERT_TRUE((*rocks)->ScanTimers(up_to, limit, &got).ok());
    ASSERT_EQ(got, want) << "step " << step;
    ASSERT_EQ(*(*rocks)->FirstTimer(), *memory->FirstTimer()) << "step " << step;
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> want_out, got_out;
    ASSERT_TRUE(memory->ScanOutbox(limit, &want_out).ok());
    ASSERT_TRUE((*rocks)->ScanOutbox(limit, &got_out).ok());
    ASSERT_EQ(got_out.size(), want_out.size()) << "step " << step;
    for (size_t i = 0; i < got_out.size(); ++i) ASSERT_EQ(got_out[i].first, want_out[i].first);
    const std::string probe = "p" + std::to_string(pick(5));
    ASSERT_EQ((*rocks)->GetPerson(probe)->has_value(), memory->GetPerson(probe)->has_value());
  }
}

// The RocksDB store answers a whole-outbox scan from memory once it knows the whole outbox
// (rocksdb_store.cc, outbox_mirror_). After random commits, erasures and scans of every size,
// what it answers must be what the database holds: the same store reopened (reading RocksDB)
// gives the same entries, values included, as the memory store does at every step.
TEST(StoreDifferentialTest, TheOutboxAnsweredFromMemoryIsWhatTheDatabaseHolds) {
  fristvagt::testing::TempDir dir;
  const std::string path = (dir.path() / "db").string();
  std::unique_ptr<StateStore> memory = NewMemoryStore();
  absl::StatusOr<std::unique_ptr<StateStore>> rocks = OpenRocksDbStore(path, {"t", 0});
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  std::mt19937_64 random(20261204);
  std::set<uint64_t> pending;
  uint64_t next_seq = 0;
  auto pick = [&random](int n) { return static_cast<int>(random() % n); };
  auto same = [](const std::vector<std::pair<uint64_t, v1::OutboxEntry>>& got,
                 const std::vector<std::pair<uint64_t, v1::OutboxEntry>>& want) {
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i].first != want[i].first ||
          got[i].second.SerializeAsString() != want[i].second.SerializeAsString()) {
        return false;
      }
    }
    return true;
  };
  for (int step = 0; step < 300; ++step) {
    Batch batch;
    for (int i = pick(6); i > 0; --i) {
      batch.outbox_added.emplace_back(next_seq, Entry("v" + std::to_string(next_seq),
                                                      "p" + std::to_string(pick(4))));
      pending.insert(next_seq++);
    }
    // Removals anywhere (as an erasure's), not only from the front.
    for (auto it = pending.begin(); it != pending.end();) {
      if (pick(4) == 0) {
        batch.outbox_removed.push_back(*it);
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    ASSERT_TRUE(memory->Commit(batch).ok());
    // Every other step as the engine commits: the copy takes the entries by move.
    ASSERT_TRUE((step % 2 == 0 ? (*rocks)->Commit(batch) : (*rocks)->CommitConsuming(&batch)).ok());
    const size_t limit = pick(3) == 0 ? SIZE_MAX : static_cast<size_t>(pick(5));
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> want, got;
    ASSERT_TRUE(memory->ScanOutbox(limit, &want).ok());
    ASSERT_TRUE((*rocks)->ScanOutbox(limit, &got).ok());
    ASSERT_TRUE(same(got, want)) << "step " << step;
  }
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> answered, held;
  ASSERT_TRUE((*rocks)->ScanOutbox(SIZE_MAX, &answered).ok());
  rocks->reset();
  rocks = OpenRocksDbStore(path, {"t", 0});
  ASSERT_TRUE(rocks.ok()) << rocks.status();
  ASSERT_TRUE((*rocks)->ScanOutbox(SIZE_MAX, &held).ok());
  EXPECT_FALSE(held.empty());
  EXPECT_TRUE(same(answered, held));
}

// A record that does not parse is data loss, named by the state dir (never by the person's key),
// and the caller's message is left empty rather than half filled.
TEST(RocksDbStoreReadTest, AStoredPersonThatDoesNotParseIsDataLoss) {
  fristvagt::testing::TempDir dir;
  const std::string path = (dir.path() / "db").string();
  auto store = OpenRocksDbStore(path, {"t", 0});
  ASSERT_TRUE(store.ok()) << store.status();
  Batch batch;
  batch.persons["p-secret"] = std::string("\x0a\x7f" "cut short", 11);  // a length past the end
  ASSERT_TRUE((*store)->Commit(batch).ok());
  v1::PersonState into = Person("p-9");
  absl::StatusOr<bool> found = (*store)->ReadPerson("p-secret", &into);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(found.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(found.status().message()), Not(HasSubstr("p-secret")));
  EXPECT_EQ(into.ByteSizeLong(), 0u);
}

// A process killed without closing the store keeps every batch whose Commit returned.
TEST(RocksDbStoreKillTest, KilledProcessKeepsEveryCommittedBatch) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  fristvagt::testing::TempDir dir;
  // The death-test child runs this body again from the top, in a new process with its own
  // TempDir: the environment hands it the parent's.
  constexpr char kDirVariable[] = "FRISTVAGT_KILL_TEST_DIR";
  if (std::getenv(kDirVariable) == nullptr) {
    setenv(kDirVariable, (dir.path() / "db").c_str(), 1);
  }
  const std::string path = std::getenv(kDirVariable);
  EXPECT_EXIT(
      {
        auto store = OpenRocksDbStore(path, {"t", 0});
        if (!store.ok()) std::exit(1);
        for (int i = 0; i < 50; ++i) {
          Batch batch;
          batch.PutPerson("p-" + std::to_string(i), Person("p-" + std::to_string(i)));
          batch.AddTimer({i, "p-" + std::to_string(i), "ob"});
          batch.progress["n"] = std::to_string(i + 1);
          if (!(*store)->Commit(batch).ok()) std::exit(1);
        }
        std::raise(SIGKILL);
      },
      ::testing::KilledBySignal(SIGKILL), "");
  absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(path, {"t", 0});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->GetProgress("n")->value_or(""), "50");
  std::vector<TimerKey> timers;
  ASSERT_TRUE((*store)->ScanTimers(kMax, 100, &timers).ok());
  EXPECT_EQ(timers.size(), 50u);
  EXPECT_TRUE((*store)->GetPerson("p-49")->has_value());
  unsetenv(kDirVariable);
}

}  // namespace
}  // namespace fristvagt::state
