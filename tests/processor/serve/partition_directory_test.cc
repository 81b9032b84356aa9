// The query API's view of this instance's partitions and of the other instances: ownership by
// partition (local, announced elsewhere, unknown), a scan merged in key order across the owned
// stores, and a revoke that waits for a query still reading the store.
#include "processor/serve/partition_directory.h"

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/serve/instance_directory.h"

namespace fristvagt::processor {
namespace {

using ::testing::ElementsAre;

constexpr int32_t kPartitions = 4;

int32_t PartitionOfKey(const std::string& key) {
  return PartitionForKey(KeyPartitioner::kMurmur2Random, key, kPartitions);
}

// A store per partition holding the persons "k000".."k199" that map to it.
class PartitionDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int32_t p = 0; p < kPartitions; ++p) stores_[p] = state::NewMemoryStore();
    std::map<int32_t, state::Batch> batches;
    for (int i = 0; i < 200; ++i) {
      const std::string key = absl::StrCat("k", i < 10 ? "00" : i < 100 ? "0" : "", i);
      v1::PersonState person;
      person.set_person_key(key);
      batches[PartitionOfKey(key)].PutPerson(key, person);
      keys_by_partition_[PartitionOfKey(key)].push_back(key);
    }
    for (auto& [p, batch] : batches) ASSERT_TRUE(stores_[p]->Commit(batch).ok());
    directory_.SetPartitionCount(kPartitions);
  }

  std::string KeyOn(int32_t partition) const { return keys_by_partition_.at(partition).front(); }

  std::vector<std::string> ScanKeys(std::string_view from, size_t limit = 1000) {
    std::vector<std::string> keys;
    directory_.Scan(from, [&](const v1::PersonState& person) {
      keys.push_back(person.person_key());
      return keys.size() < limit;
    });
    return keys;
  }

  std::map<int32_t, std::unique_ptr<state::StateStore>> stores_;
  std::map<int32_t, std::vector<std::string>> keys_by_partition_;
  PartitionDirectory directory_{KeyPartitioner::kMurmur2Random};
};

TEST_F(PartitionDirectoryTest, OwnerIsLocalAnnouncedElsewhereOrUnknown) {
  directory_.Register(0, stores_[0].get());
  directory_.Register(1, stores_[1].get());
  directory_.SetAnnouncement("b", {"10.0.0.2:8080", {2}, 100});
  EXPECT_TRUE(directory_.OwnerOf(KeyOn(0)).local);
  EXPECT_TRUE(directory_.OwnerOf(KeyOn(1)).local);
  EXPECT_FALSE(directory_.OwnerOf(KeyOn(2)).local);
  EXPECT_EQ(directory_.OwnerOf(KeyOn(2)).address, "10.0.0.2:8080");
  EXPECT_EQ(directory_.OwnerOf(KeyOn(3)).address, "");  // nobody announced partition 3
  // Partition 2 moved to "c": while "b"'s old claim is still there, the newer claim wins.
  directory_.SetAnnouncement("c", {"10.0.0.3:8080", {2, 3}, 200});
  EXPECT_EQ(directory_.OwnerOf(KeyOn(2)).address, "10.0.0.3:8080");
  directory_.RemoveAnnouncement("c");
  EXPECT_EQ(directory_.OwnerOf(KeyOn(3)).address, "");
  // A partition this instance holds is answered here whatever others claim.
  directory_.SetAnnouncement("d", {"10.0.0.4:8080", {0}, 300});
  EXPECT_TRUE(directory_.OwnerOf(KeyOn(0)).local);
}

TEST_F(PartitionDirectoryTest, UnknownPartitionCountMeansUnknownOwner) {
  PartitionDirectory fresh(KeyPartitioner::kMurmur2Random);
  fresh.Register(0, stores_[0].get());
  EXPECT_FALSE(fresh.OwnerOf(KeyOn(0)).local);
  EXPECT_EQ(fresh.OwnerOf(KeyOn(0)).address, "");
  EXPECT_EQ(fresh.PartitionOf(KeyOn(0)), -1);
}

TEST_F(PartitionDirectoryTest, PersonReadsOnlyOwnedPartitions) {
  directory_.Register(0, stores_[0].get());
  ASSERT_TRUE(directory_.Person(KeyOn(0)).has_value());
  EXPECT_EQ(directory_.Person(KeyOn(0))->person_key(), KeyOn(0));
  EXPECT_FALSE(directory_.Person(KeyOn(1)).has_value());
  directory_.Unregister(0);
  EXPECT_FALSE(directory_.Person(KeyOn(0)).has_value());
}

TEST_F(PartitionDirectoryTest, ScanMergesOwnedStoresInKeyOrderFromAnInclusiveStart) {
  directory_.Register(0, stores_[0].get());
  directory_.Register(2, stores_[2].get());
  directory_.Register(3, stores_[3].get());
  std::vector<std::string> expected;
  for (int32_t p : {0, 2, 3}) {
    for (const std::string& key : keys_by_partition_[p]) expected.push_back(key);
  }
  std::sort(expected.begin(), expected.end());
  ASSERT_GT(expected.size(), 128u);  // more than two chunks of one store
  EXPECT_EQ(ScanKeys(""), expected);
  // From a key that is held: included; from one that is not: the next one held.
  const std::string middle = expected[70];
  EXPECT_EQ(ScanKeys(middle, 3),
            (std::vector<std::string>{expected[70], expected[71], expected[72]}));
  const std::string not_held = KeyOn(1);
  const auto next = std::upper_bound(expected.begin(), expected.end(), not_held);
  ASSERT_NE(next, expected.end());
  EXPECT_EQ(ScanKeys(not_held, 1), std::vector<std::string>{*next});
  EXPECT_EQ(ScanKeys("k999"), std::vector<std::string>{});
}

TEST_F(PartitionDirectoryTest, LocalVersionChangesWithTheAssignment) {
  const uint64_t v0 = directory_.LocalVersion();
  directory_.Register(1, stores_[1].get());
  EXPECT_NE(directory_.LocalVersion(), v0);
  EXPECT_THAT(directory_.LocalPartitions(), ElementsAre(1));
  const uint64_t v1 = directory_.LocalVersion();
  directory_.Unregister(3);  // not held: nothing changes
  EXPECT_EQ(directory_.LocalVersion(), v1);
  directory_.UnregisterAll();
  EXPECT_NE(directory_.LocalVersion(), v1);
  EXPECT_TRUE(directory_.LocalPartitions().empty());
}

TEST_F(PartitionDirectoryTest, UnregisterWaitsForAQueryReadingTheStore) {
  directory_.Register(0, stores_[0].get());
  std::mutex mu;
  std::vector<std::string> order;
  auto note = [&](const std::string& what) {
    std::lock_guard lock(mu);
    order.push_back(what);
  };
  std::promise<void> scanning;
  std::promise<void> release;
  std::thread query([&] {
    directory_.Scan("", [&](const v1::PersonState&) {
      scanning.set_value();
      release.get_future().wait();
      note("query done");
      return false;
    });
  });
  scanning.get_future().wait();
  // No sleep: the query is released only once the revoke thread is about to unregister, so a
  // directory that did not wait for the query could let "unregistered" come first.
  std::promise<void> revoking;
  std::thread revoke([&] {
    revoking.set_value();
    directory_.Unregister(0);
    note("unregistered");
  });
  revoking.get_future().wait();
  release.set_value();
  query.join();
  revoke.join();
  EXPECT_THAT(order, ElementsAre("query done", "unregistered"));
  EXPECT_FALSE(directory_.Person(KeyOn(0)).has_value());
}

TEST_F(PartitionDirectoryTest, InstancesListThisOneFirstThenTheAnnouncedOnes) {
  directory_.SetSelfAddress("10.0.0.1:8080");
  directory_.Register(1, stores_[1].get());
  directory_.Register(0, stores_[0].get());
  directory_.SetAnnouncement("b", {"10.0.0.2:8080", {2, 3}, 100});
  directory_.SetAnnouncement("old-self", {"10.0.0.1:8080", {3}, 50});  // a previous run's claim
  const std::vector<LocalState::Instance> instances = directory_.Instances();
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(instances[0].address, "10.0.0.1:8080");
  EXPECT_TRUE(instances[0].self);
  EXPECT_THAT(instances[0].partitions, ElementsAre(0, 1));
  EXPECT_EQ(instances[1].address, "10.0.0.2:8080");
  EXPECT_FALSE(instances[1].self);
  EXPECT_THAT(instances[1].partitions, ElementsAre(2, 3));
}

TEST(InstanceAnnouncementTest, RoundTripsAndRejectsGarbage) {
  const InstanceAnnouncement a{"fristvagt-1.fristvagt:8080", {0, 3, 7}, 1700000000000000};
  const std::string text = EncodeAnnouncement(a);
  EXPECT_EQ(text,
            "address=fristvagt-1.fristvagt:8080\npartitions=0,3,7\n"
            "announced_micros=1700000000000000\n");
  absl::StatusOr<InstanceAnnouncement> b = DecodeAnnouncement(text);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->address, a.address);
  EXPECT_EQ(b->partitions, a.partitions);
  EXPECT_EQ(b->announced_micros, a.announced_micros);
  EXPECT_TRUE(DecodeAnnouncement("address=h:1\npartitions=\nfuture_key=1\n").ok());
  EXPECT_FALSE(DecodeAnnouncement("partitions=1\n").ok());
  EXPECT_FALSE(DecodeAnnouncement("address=h:1\npartitions=1,x\n").ok());
}

}  // namespace
}  // namespace fristvagt::processor
