#include "processor/engine/person_cache.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fristvagt::processor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

v1::PersonState Person(const std::string& caseworker) {
  v1::PersonState person;
  person.set_caseworker_id(caseworker);
  return person;
}

std::vector<std::string> Flush(PersonCache* cache) {
  std::vector<std::string> written;
  cache->FlushDirty([&](const std::string& key, const v1::PersonState& person) {
    written.push_back(key + "=" + person.caseworker_id());
  });
  return written;
}

TEST(PersonCacheTest, FlushWritesEachDirtyPersonOnceThenKeepsThemClean) {
  PersonCache cache(10);
  cache.InsertDirty("a", Person("cw1"));
  cache.InsertDirty("b", Person("cw2"));
  cache.FindForUpdate("a")->set_caseworker_id("cw3");
  EXPECT_EQ(cache.dirty(), 2u);
  EXPECT_THAT(Flush(&cache), UnorderedElementsAre("a=cw3", "b=cw2"));
  EXPECT_EQ(cache.dirty(), 0u);
  EXPECT_THAT(Flush(&cache), IsEmpty());  // nothing touched since
  ASSERT_NE(cache.FindForUpdate("b"), nullptr);
  EXPECT_THAT(Flush(&cache), ElementsAre("b=cw2"));
}

TEST(PersonCacheTest, EvictsTheLeastRecentlyUsedCleanPersonsBeyondCapacity) {
  PersonCache cache(2);
  for (const char* key : {"a", "b", "c"}) cache.InsertDirty(key, Person(key));
  EXPECT_EQ(cache.size(), 3u);  // dirty persons are never evicted
  cache.FindForUpdate("a");     // a is now the most recent
  Flush(&cache);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.FindForUpdate("b"), nullptr);  // b was the least recently used
  EXPECT_NE(cache.FindForUpdate("a"), nullptr);
  EXPECT_NE(cache.FindForUpdate("c"), nullptr);
}

TEST(PersonCacheTest, ZeroCapacityKeepsOnlyTheOpenBatch) {
  PersonCache cache(0);
  cache.InsertDirty("a", Person("x"));
  EXPECT_NE(cache.FindForUpdate("a"), nullptr);
  Flush(&cache);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.FindForUpdate("a"), nullptr);
}

TEST(PersonCacheTest, EraseAndClearForgetDirtyPersonsWithoutWritingThem) {
  PersonCache cache(10);
  cache.InsertDirty("a", Person("x"));
  cache.InsertDirty("b", Person("y"));
  cache.Erase("a");
  EXPECT_EQ(cache.dirty(), 1u);
  EXPECT_THAT(Flush(&cache), ElementsAre("b=y"));
  cache.FindForUpdate("b");
  cache.Clear();
  EXPECT_EQ(cache.dirty(), 0u);
  EXPECT_THAT(Flush(&cache), IsEmpty());
  EXPECT_EQ(cache.FindForUpdate("b"), nullptr);
}

TEST(PersonCacheTest, InsertingAKeyAgainReplacesIt) {
  PersonCache cache(10);
  cache.InsertDirty("a", Person("old"));
  cache.InsertDirty("a", Person("new"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.dirty(), 1u);
  EXPECT_THAT(Flush(&cache), ElementsAre("a=new"));
}

// Evicted entries are recycled for the next person read (person_cache.h): nothing of the person
// an entry held before may show in the next one.
TEST(PersonCacheTest, ARecycledEntryHoldsNothingOfItsLastPerson) {
  PersonCache cache(1);
  v1::PersonState big = Person("cw-old");
  for (int i = 0; i < 20; ++i) big.add_seen_event_ids("event-" + std::to_string(i));
  big.add_obligations()->set_obligation_id("ob-old");
  cache.InsertDirty("old", big);
  Flush(&cache);
  cache.InsertDirty("new", Person("cw-new"));
  Flush(&cache);  // "old" is evicted into the pool
  EXPECT_EQ(cache.spare(), 1u);
  v1::PersonState expected = Person("cw-fill");
  expected.add_seen_event_ids("e-1");
  absl::StatusOr<v1::PersonState*> filled =
      cache.InsertDirtyFilled("fill", [&](v1::PersonState* person) {
        EXPECT_EQ(person->ByteSizeLong(), 0u);  // handed over empty
        person->MergeFrom(expected);
        return absl::OkStatus();
      });
  ASSERT_TRUE(filled.ok());
  EXPECT_EQ(cache.spare(), 0u);
  EXPECT_EQ((*filled)->SerializeAsString(), expected.SerializeAsString());
  EXPECT_THAT(Flush(&cache), ElementsAre("fill=cw-fill"));
}

TEST(PersonCacheTest, AFailedFillCachesNothing) {
  PersonCache cache(10);
  absl::StatusOr<v1::PersonState*> filled =
      cache.InsertDirtyFilled("a", [](v1::PersonState* person) {
        person->set_caseworker_id("half");
        return absl::UnavailableError("injected");
      });
  EXPECT_EQ(filled.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.dirty(), 0u);
  EXPECT_EQ(cache.FindForUpdate("a"), nullptr);
  EXPECT_THAT(Flush(&cache), IsEmpty());
  // The next person in the recycled entry starts empty.
  filled = cache.InsertDirtyFilled("b", [](v1::PersonState* person) {
    EXPECT_EQ(person->ByteSizeLong(), 0u);
    person->set_caseworker_id("cw-b");
    return absl::OkStatus();
  });
  ASSERT_TRUE(filled.ok());
  EXPECT_THAT(Flush(&cache), ElementsAre("b=cw-b"));
}

}  // namespace
}  // namespace fristvagt::processor
