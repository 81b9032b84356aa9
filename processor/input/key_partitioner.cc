#include "processor/input/key_partitioner.h"

#include <librdkafka/rdkafka.h>

namespace fristvagt::processor {

int32_t KafkaMurmur2(std::string_view key) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t length = key.size();
  uint32_t h = kSeed ^ static_cast<uint32_t>(length);
  const size_t blocks = length / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const size_t at = i * 4;
    uint32_t k = static_cast<uint32_t>(data[at]) | (static_cast<uint32_t>(data[at + 1]) << 8) |
                 (static_cast<uint32_t>(data[at + 2]) << 16) |
                 (static_cast<uint32_t>(data[at + 3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const size_t tail = blocks * 4;
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(data[tail]);
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t PartitionForKey(KeyPartitioner partitioner, std::string_view key, int32_t partition_count) {
  switch (partitioner) {
    case KeyPartitioner::kConsistentRandom:
      // librdkafka's own CRC32 partitioner; for a key it reads neither the topic nor the opaques.
      return rd_kafka_msg_partitioner_consistent(nullptr, key.data(), key.size(), partition_count,
                                                 nullptr, nullptr);
    case KeyPartitioner::kMurmur2Random:
      break;
  }
  return static_cast<int32_t>(static_cast<uint32_t>(KafkaMurmur2(key)) & 0x7fffffffu) %
         partition_count;
}

}  // namespace fristvagt::processor
