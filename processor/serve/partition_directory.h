#pragma once
// Who holds which person, for the query API (issue 6): the stores of the input partitions this
// instance owns, and the partitions other instances announced on the instances topic
// (instance_directory.h). The processing thread registers a partition's store once it is
// restored and unregisters it before the store closes; the HTTP thread reads under a shared lock,
// so it never sees a store being destroyed, and a revoke waits for a running query to finish.

#include <cstdint>
#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "processor/input/key_partitioner.h"
#include "processor/kafka/partition_listener.h"
#include "processor/serve/query_api.h"
#include "state/store.h"

namespace fristvagt::processor {

// What one instance announced: where its query API is and which input partitions it holds.
struct InstanceAnnouncement {
  std::string address;  // host:port of its HTTP server
  std::set<int32_t> partitions;
  int64_t announced_micros = 0;  // wall clock of the announcing instance; the newest claim wins
};

class PartitionDirectory : public LocalState, public PartitionStoreListener {
 public:
  explicit PartitionDirectory(KeyPartitioner partitioner) : partitioner_(partitioner) {}

  // Processing thread. The store must stay open until Unregister returns.
  void Register(int32_t partition, state::StateStore* store) override;
  // Returns once no query reads the store any more.
  void Unregister(int32_t partition) override;
  void UnregisterAll() override;

  // The partitions registered here, and a counter that changes whenever they do.
  std::set<int32_t> LocalPartitions() const;
  uint64_t LocalVersion() const;

  // Where this instance's query API answers (listed first by Instances).
  void SetSelfAddress(std::string address);
  // Instance directory thread: the other instances' announcements, by instance id.
  void SetPartitionCount(int32_t count);
  void SetAnnouncement(const std::string& instance_id, InstanceAnnouncement announcement);
  void RemoveAnnouncement(const std::string& instance_id);

  // The input partition of `person_key`, or -1 while the partition count is unknown.
  int32_t PartitionOf(std::string_view person_key) const;

  // LocalState, for the HTTP thread.
  Owner OwnerOf(std::string_view person_key) const override;
  std::optional<v1::PersonState> Person(std::string_view person_key) const override;
  void Scan(std::string_view from,
            const std::function<bool(const v1::PersonState&)>& visit) const override;
  std::vector<Instance> Instances() const override;
  std::string MisroutingHint() const override;
  std::optional<v1::PersonState> PersonInAnyPartition(std::string_view person_key) const override;

  // PartitionStoreListener.
  void OnMisrouted(const std::string& hint) override;

 private:
  const KeyPartitioner partitioner_;
  mutable std::shared_mutex mu_;
  std::map<int32_t, state::StateStore*> stores_;               // guarded by mu_
  uint64_t local_version_ = 0;                                 // guarded by mu_
  int32_t partition_count_ = 0;                                // guarded by mu_; 0: unknown
  std::string self_address_;                                   // guarded by mu_
  std::map<std::string, InstanceAnnouncement> announcements_;  // guarded by mu_
  std::string misrouting_;                                     // guarded by mu_
};

}  // namespace fristvagt::processor
