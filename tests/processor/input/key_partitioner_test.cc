// The person key → input partition mapping must agree with the case systems' producers, or the
// query API sends clients to the wrong instance: Kafka's own murmur2 vectors, and librdkafka's
// partitioners as the reference for both choices.
#include "processor/input/key_partitioner.h"

#include <librdkafka/rdkafka.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace fristvagt::processor {
namespace {

TEST(KeyPartitionerTest, Murmur2MatchesKafkasJavaClient) {
  // org.apache.kafka.common.utils.UtilsTest.testMurmur2
  EXPECT_EQ(KafkaMurmur2("21"), -973932308);
  EXPECT_EQ(KafkaMurmur2("foobar"), -790332482);
  EXPECT_EQ(KafkaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(KafkaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(KafkaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(KafkaMurmur2("abc"), 479470107);
}

TEST(KeyPartitionerTest, BothChoicesAgreeWithLibrdkafka) {
  int differ = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = absl::StrCat("person-", i, std::string(i % 5, 'x'));
    for (int32_t count : {1, 3, 4, 12, 50}) {
      const int32_t murmur = PartitionForKey(KeyPartitioner::kMurmur2Random, key, count);
      const int32_t crc = PartitionForKey(KeyPartitioner::kConsistentRandom, key, count);
      ASSERT_EQ(murmur, rd_kafka_msg_partitioner_murmur2(nullptr, key.data(), key.size(), count,
                                                         nullptr, nullptr))
          << key;
      ASSERT_EQ(crc, rd_kafka_msg_partitioner_consistent(nullptr, key.data(), key.size(), count,
                                                         nullptr, nullptr))
          << key;
      ASSERT_GE(murmur, 0);
      ASSERT_LT(murmur, count);
      differ += murmur != crc ? 1 : 0;
    }
  }
  EXPECT_GT(differ, 1000);  // the choice matters: the two disagree for most keys
}

TEST(KeyPartitionerTest, NegativeHashesStayInRange) {
  // "21" hashes negative; Java's toPositive masks the sign bit: (-973932308 & 0x7fffffff) % 4.
  EXPECT_EQ(PartitionForKey(KeyPartitioner::kMurmur2Random, "21", 4),
            (-973932308 & 0x7fffffff) % 4);
}

}  // namespace
}  // namespace fristvagt::processor
