#pragma once
// Who else wants to read a partition's store while this instance owns it (the query API's
// PartitionDirectory in processor/serve/). The Kafka room calls it; it does not know who
// listens, so data flows one way: kafka → listener, never serve → kafka's internals.

#include <cstdint>
#include <string>

#include "state/store.h"

namespace fristvagt::processor {

class PartitionStoreListener {
 public:
  virtual ~PartitionStoreListener() = default;
  // Processing thread. The store stays open until Unregister(partition) returns.
  virtual void Register(int32_t partition, state::StateStore* store) = 0;
  // Returns once nobody reads the store any more.
  virtual void Unregister(int32_t partition) = 0;
  virtual void UnregisterAll() = 0;
  // Processing thread: keyed input records arrive on partitions the configured partitioner
  // would not choose, so a person may not be where the configured partitioner says; `hint`
  // says so and names the partitioner the producers seem to use. Called at most once.
  virtual void OnMisrouted(const std::string& hint) { (void)hint; }
};

}  // namespace fristvagt::processor
