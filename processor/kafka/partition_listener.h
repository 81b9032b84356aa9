#pragma once
// Who else wants to read a partition's store while this instance owns it (the query API's
// PartitionDirectory in processor/serve/). The Kafka room calls it; it does not know who
// listens, so data flows one way: kafka → listener, never serve → kafka's internals.

#include <cstdint>

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
};

}  // namespace fristvagt::processor
