#pragma once
// Which input partition a person key is on, so that the query API knows which instance holds a
// person (issue 6). The case systems' producers choose the partition, not fristvagt; the two
// common partitioners are configurable (`[input] partitioner`): murmur2 as Kafka's Java client
// computes it, and CRC32 as librdkafka's default does. Both only for non-empty keys, which
// person keys always are.

#include <cstdint>
#include <string_view>

namespace fristvagt::processor {

enum class KeyPartitioner {
  kMurmur2Random,     // Java client default; librdkafka "murmur2_random"
  kConsistentRandom,  // librdkafka default "consistent_random" (CRC32)
};

// Kafka's Utils.murmur2 (seed 0x9747b28c), as a signed 32-bit value like Java's.
int32_t KafkaMurmur2(std::string_view key);

// The partition `key` goes to among `partition_count` (> 0).
int32_t PartitionForKey(KeyPartitioner partitioner, std::string_view key, int32_t partition_count);

}  // namespace fristvagt::processor
