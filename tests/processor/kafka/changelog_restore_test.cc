// PartitionRestorer must leave exactly the store that the restore before it left: every record
// parsed, the previous record of every person looked up in the store, batches of 4,096
// persons (the reference below is that code). Compared over random changelogs with repeated
// keys, tombstones, progress records and small batches, on the memory and the RocksDB store.
#include "processor/kafka/changelog_restore.h"

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "processor/engine/engine.h"
#include "state/rocksdb_store.h"
#include "tests/testing/binary.h"

namespace fristvagt::processor {
namespace {

struct Record {
  std::string key;
  std::optional<std::string> value;  // nullopt: tombstone
};

// The restore as it was (kafka_processor.cc before changelog_restore.cc).
void ReferenceRestore(const std::vector<Record>& records, int64_t high, state::StateStore* store) {
  state::Batch batch;
  std::map<std::string, std::vector<state::TimerKey>> batch_timers;
  auto commit = [&] {
    ASSERT_TRUE(store->Commit(batch).ok());
    batch = state::Batch();
    batch_timers.clear();
  };
  for (const Record& r : records) {
    const std::string& key = r.key;
    if (!key.empty() && key[0] == kChangelogProgressPrefix) {
      batch.progress[key.substr(1)] = r.value.value_or("");
    } else if (!key.empty()) {
      if (auto it = batch_timers.find(key); it != batch_timers.end()) {
        for (const auto& timer : it->second) batch.RemoveTimer(timer);
      } else if (auto stored = store->GetPerson(key); stored.ok() && stored->has_value()) {
        for (const auto& timer : Engine::ArmedTimers(**stored)) batch.RemoveTimer(timer);
      }
      std::vector<state::TimerKey>& armed = batch_timers[key];
      armed.clear();
      if (!r.value.has_value()) {
        batch.persons[key] = std::nullopt;
      } else {
        v1::PersonState person;
        ASSERT_TRUE(person.ParseFromString(*r.value));
        armed = Engine::ArmedTimers(person);
        for (const auto& timer : armed) batch.AddTimer(timer);
        batch.persons[key] = *r.value;
      }
    }
    if (batch.persons.size() >= 4096) commit();
  }
  batch.progress["changelog_offset"] = std::to_string(high);
  commit();
}

void Restore(const std::vector<Record>& records, int64_t high, size_t batch_persons,
             state::StateStore* store, CommitQueue* queue = nullptr) {
  PartitionRestorer restorer(store, batch_persons, queue);
  for (const Record& r : records) {
    ASSERT_TRUE(restorer
                    .Apply(r.key, r.value.has_value() ? r.value->data() : nullptr,
                           r.value.has_value() ? r.value->size() : 0)
                    .ok());
  }
  ASSERT_TRUE(restorer.Finish(high).ok());
  if (queue != nullptr) {
    ASSERT_TRUE(queue->Close().ok());
  }
  EXPECT_EQ(restorer.records(), static_cast<int64_t>(records.size()));
}

v1::PersonState RandomPerson(std::mt19937_64& rng, const std::string& key) {
  v1::PersonState person;
  person.set_person_key(key);
  person.set_municipality_code("101");
  person.set_caseworker_id(absl::StrCat("cw", rng() % 5));
  for (int i = 0, n = static_cast<int>(rng() % 3); i < n; ++i) {
    v1::CaseEvent* fact = person.add_facts();
    fact->set_event_id(absl::StrCat("e", rng() % 1000));
    person.add_seen_event_ids(fact->event_id());
  }
  for (int i = 0, n = static_cast<int>(rng() % 6); i < n; ++i) {
    v1::ObligationRecord* record = person.add_obligations();
    record->set_obligation_id(absl::StrCat("rule-", rng() % 8, "/", i));
    // Few distinct moments, so timers of different persons share them.
    if (rng() % 3 != 0) record->set_next_timer_micros(1'700'000'000'000'000 + (rng() % 4) * 1000);
  }
  for (int i = 0, n = static_cast<int>(rng() % 3); i < n; ++i) {
    v1::ParkedEvent* parked = person.add_parked();
    parked->mutable_event()->set_event_id(absl::StrCat("p", rng() % 100));
    parked->set_expires_micros(1'700'000'000'000'000 + (rng() % 4) * 1000);
  }
  return person;
}

std::vector<Record> RandomChangelog(uint64_t seed, int records, int keys) {
  std::mt19937_64 rng(seed);
  std::vector<Record> out;
  for (int i = 0; i < records; ++i) {
    const uint64_t roll = rng() % 100;
    if (roll < 3) {
      out.push_back({std::string(1, kChangelogProgressPrefix) +
                         (rng() % 2 == 0 ? "clock_micros" : "input_offset"),
                     std::to_string(i)});
      continue;
    }
    const std::string key = absl::StrCat("person-", rng() % keys);
    if (roll < 10) {
      out.push_back({key, std::nullopt});
    } else {
      out.push_back({key, RandomPerson(rng, key).SerializeAsString()});
    }
  }
  return out;
}

struct Contents {
  std::vector<std::string> persons;  // key=serialized
  std::vector<state::TimerKey> timers;
  std::map<std::string, std::optional<std::string>> progress;
};

Contents Read(state::StateStore* store) {
  Contents c;
  std::vector<v1::PersonState> persons;
  EXPECT_TRUE(store->ScanPersons("", SIZE_MAX, &persons).ok());
  for (const auto& p : persons) c.persons.push_back(p.SerializeAsString());
  EXPECT_TRUE(store->ScanTimers(INT64_MAX, SIZE_MAX, &c.timers).ok());
  for (const char* name : {"changelog_offset", "clock_micros", "input_offset"}) {
    absl::StatusOr<std::optional<std::string>> value = store->GetProgress(name);
    EXPECT_TRUE(value.ok());
    c.progress[name] = value.ok() ? *value : std::nullopt;
  }
  return c;
}

void ExpectSame(const Contents& want, const Contents& got) {
  EXPECT_EQ(want.persons, got.persons);
  EXPECT_EQ(want.timers, got.timers);
  EXPECT_EQ(want.progress, got.progress);
}

TEST(ChangelogRestoreTest, SameStoreAsTheReferenceOnRandomChangelogs) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const std::vector<Record> records = RandomChangelog(seed, 600, seed % 2 == 0 ? 40 : 400);
    auto reference = state::NewMemoryStore();
    ReferenceRestore(records, 999, reference.get());
    const Contents want = Read(reference.get());
    ASSERT_FALSE(want.timers.empty());
    for (size_t batch_persons : {size_t{1}, size_t{3}, size_t{64}, size_t{4096}}) {
      SCOPED_TRACE(absl::StrCat("seed ", seed, ", batch ", batch_persons));
      auto store = state::NewMemoryStore();
      Restore(records, 999, batch_persons, store.get());
      ExpectSame(want, Read(store.get()));
      // Batches written on the CommitQueue's thread, the queue small enough to fill up.
      auto queued = state::NewMemoryStore();
      CommitQueue queue(2000);
      Restore(records, 999, batch_persons, queued.get(), &queue);
      ExpectSame(want, Read(queued.get()));
    }
  }
}

TEST(ChangelogRestoreTest, SameStoreAsTheReferenceOnRocksDb) {
  const std::vector<Record> records = RandomChangelog(7, 3000, 300);
  fristvagt::testing::TempDir dir;
  auto reference = state::OpenRocksDbStore((dir.path() / "reference").string(), {"in", 0});
  ASSERT_TRUE(reference.ok());
  ReferenceRestore(records, 3000, reference->get());
  auto store = state::OpenRocksDbStore((dir.path() / "restored").string(), {"in", 0});
  ASSERT_TRUE(store.ok());
  Restore(records, 3000, 50, store->get());
  ExpectSame(Read(reference->get()), Read(store->get()));
  auto queued = state::OpenRocksDbStore((dir.path() / "queued").string(), {"in", 0});
  ASSERT_TRUE(queued.ok());
  CommitQueue queue(size_t{1} << 20);
  Restore(records, 3000, 50, queued->get(), &queue);
  ExpectSame(Read(reference->get()), Read(queued->get()));
}

TEST(ChangelogRestoreTest, TimersOfRecordMatchTheEngine) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    const v1::PersonState person = RandomPerson(rng, absl::StrCat("k", i));
    const std::string bytes = person.SerializeAsString();
    std::vector<state::TimerKey> got;
    ASSERT_TRUE(ArmedTimersOfRecord(bytes.data(), bytes.size(), &got));
    EXPECT_EQ(Engine::ArmedTimers(person), got);
  }
  // Encodings a serializer does not produce but a parser accepts: a field repeated (the last
  // wins), a parked event whose `event` comes in two parts (merged), fields out of order.
  auto field = [](int number, const std::string& payload) {
    std::string out(1, static_cast<char>(number << 3 | 2));
    for (size_t n = payload.size();; n >>= 7) {
      out.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
      if (n < 0x80) break;
    }
    return out + payload;
  };
  v1::ObligationRecord obligation;
  obligation.set_next_timer_micros(5);
  obligation.set_obligation_id("o1");
  v1::ObligationRecord obligation_later;
  obligation_later.set_obligation_id("o2");   // the last id wins
  obligation_later.set_next_timer_micros(0);  // 0 is not serialized: 5 stays
  v1::ParkedEvent parked;
  parked.mutable_event()->set_event_id("ev");
  parked.set_expires_micros(9);
  v1::ParkedEvent parked_later;
  parked_later.mutable_event()->set_source_system("x");  // merged: the id stays "ev"
  parked_later.set_expires_micros(11);                   // the last wins
  v1::PersonState key_first;
  key_first.set_person_key("old");
  v1::PersonState key_later;
  key_later.set_person_key("new");
  const std::string bytes =
      key_first.SerializeAsString() +
      field(7, parked.SerializeAsString() + parked_later.SerializeAsString()) +
      field(6, obligation.SerializeAsString() + obligation_later.SerializeAsString()) +
      key_later.SerializeAsString() + field(6, obligation.SerializeAsString());
  v1::PersonState merged;
  ASSERT_TRUE(merged.ParseFromString(bytes));
  ASSERT_EQ(merged.person_key(), "new");
  std::vector<state::TimerKey> got;
  ASSERT_TRUE(ArmedTimersOfRecord(bytes.data(), bytes.size(), &got));
  EXPECT_EQ(Engine::ArmedTimers(merged), got);
  // One timer per person (state format 2), at the earliest moment: the obligations' 5, not the
  // merged parked event's 11.
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].due_micros, 5);
  EXPECT_EQ(got[0].person_key, "new");
}

TEST(ChangelogRestoreTest, NotAPersonRecordIsDataLoss) {
  auto store = state::NewMemoryStore();
  PartitionRestorer restorer(store.get());
  const std::string junk = "\xff\xff\xff";
  EXPECT_TRUE(absl::IsDataLoss(restorer.Apply("k", junk.data(), junk.size())));
  std::mt19937_64 rng(5);
  v1::PersonState person = RandomPerson(rng, "k");
  person.add_facts()->set_event_id("a fact long enough to be cut in the middle");
  const std::string truncated = person.SerializeAsString().substr(0, person.ByteSizeLong() - 5);
  ASSERT_FALSE(v1::PersonState().ParseFromString(truncated));
  EXPECT_TRUE(absl::IsDataLoss(restorer.Apply("k", truncated.data(), truncated.size())));
}

// Found by changelog_restore_fuzz: a record with a string that is not UTF-8 (here an obligation
// id, a fact's event id) skipped the full parse, was stored as it came on RocksDB and failed
// only when the person was next loaded. Now the restore refuses it with DataLoss, the store
// keeps nothing of it, and every person it did store reads back.
TEST(ChangelogRestoreTest, InvalidUtf8IsRefusedLikeTheStoreRead) {
  std::mt19937_64 rng(11);
  fristvagt::testing::TempDir dir;
  auto store = state::OpenRocksDbStore((dir.path() / "restored").string(), {"in", 0});
  ASSERT_TRUE(store.ok());
  PartitionRestorer restorer(store->get(), /*batch_persons=*/1);
  v1::PersonState good = RandomPerson(rng, "good");
  good.add_obligations()->set_next_timer_micros(1'700'000'000'000'000);
  const std::string good_bytes = good.SerializeAsString();
  ASSERT_TRUE(restorer.Apply("good", good_bytes.data(), good_bytes.size()).ok());

  v1::PersonState bad_id = RandomPerson(rng, "bad");
  v1::ObligationRecord* obligation = bad_id.add_obligations();
  obligation->set_obligation_id("bad/first_meeting\xc3\x28");  // \xc3 wants a continuation
  obligation->set_next_timer_micros(1'600'000'000'000'000);
  v1::PersonState bad_fact = RandomPerson(rng, "bad");
  bad_fact.add_facts()->set_event_id("e\xff");
  for (const v1::PersonState* bad : {&bad_id, &bad_fact}) {
    const std::string bytes = bad->SerializeAsString();
    // What the store's own read does with these bytes: refuse them.
    ASSERT_FALSE(v1::PersonState().ParseFromString(bytes));
    std::vector<state::TimerKey> skipped;
    ASSERT_TRUE(ArmedTimersOfRecord(bytes.data(), bytes.size(), &skipped));  // the old gap
    const absl::Status s = restorer.Apply("bad", bytes.data(), bytes.size());
    EXPECT_TRUE(absl::IsDataLoss(s)) << s;
    EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s;
  }
  ASSERT_TRUE(restorer.Finish(3).ok());

  auto refused = (*store)->GetPerson("bad");
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->has_value());
  std::vector<v1::PersonState> persons;
  ASSERT_TRUE((*store)->ScanPersons("", SIZE_MAX, &persons).ok());
  ASSERT_EQ(persons.size(), 1u);
  EXPECT_EQ(persons[0].person_key(), "good");
  std::vector<state::TimerKey> timers;
  ASSERT_TRUE((*store)->ScanTimers(INT64_MAX, SIZE_MAX, &timers).ok());
  EXPECT_EQ(timers, Engine::ArmedTimers(good));  // the refused record's earlier timer is absent
}

}  // namespace
}  // namespace fristvagt::processor
