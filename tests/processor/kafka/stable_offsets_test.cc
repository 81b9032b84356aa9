// The consumer lag's end under read_committed (processor/kafka/stable_offsets.h).
#include "processor/kafka/stable_offsets.h"

#include "gtest/gtest.h"

namespace fristvagt::processor {
namespace {

// Trimmed from a librdkafka 2.0.2 consumer's statistics on a real broker: partition 0 behind
// an open transaction, partition 1 without one, the unassigned pseudo-partition -1.
constexpr char kStats[] = R"({"name":"rdkafka#consumer-1","type":"consumer",
  "topics":{"case-events":{"topic":"case-events","partitions":{
    "0":{"partition":0,"hi_offset":120,"ls_offset":100,"lo_offset":0,"consumer_lag":3},
    "1":{"partition":1,"hi_offset":50,"ls_offset":50,"lo_offset":0},
    "-1":{"partition":-1,"hi_offset":-1001,"ls_offset":-1001}}},
  "other":{"partitions":{"0":{"hi_offset":7,"ls_offset":7}}}}})";

TEST(StableOffsetsTest, ReadsBothOffsetsOfTheTopicsPartitions) {
  const std::map<int32_t, FetchEnds> ends = FetchEndsOf(kStats, "case-events");
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends.at(0).high, 120);
  EXPECT_EQ(ends.at(0).stable, 100);
  EXPECT_EQ(ends.at(1).high, 50);
  EXPECT_EQ(ends.at(1).stable, 50);
  EXPECT_TRUE(FetchEndsOf(kStats, "absent").empty());
  EXPECT_TRUE(FetchEndsOf("not json", "case-events").empty());
}

TEST(StableOffsetsTest, AnOpenTransactionEndsTheLagAtTheStableOffset) {
  EXPECT_EQ(ReachableEnd(125, FetchEnds{120, 100}), 100);  // records 100.. are not readable
  EXPECT_EQ(ReachableEnd(90, FetchEnds{120, 100}), 90);    // never above the live watermark
}

TEST(StableOffsetsTest, WithoutAnOpenTransactionTheLiveWatermarkCounts) {
  EXPECT_EQ(ReachableEnd(140, FetchEnds{120, 120}), 140);  // newer records since the statistics
  EXPECT_EQ(ReachableEnd(140, std::nullopt), 140);         // no statistics yet
}

}  // namespace
}  // namespace fristvagt::processor
