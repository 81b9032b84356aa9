// The on-disk key encodings sort bytewise exactly as the store's readers need.

#include "state/key_codec.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace fristvagt::state::keys {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(KeyCodecTest, TimerKeysRoundTrip) {
  for (const TimerKey& key : std::vector<TimerKey>{
           {kMin, "p", "o"}, {-1, "p-7f3a", ""}, {0, "", "parked:e-1"}, {kMax, "x y", "0"}}) {
    absl::StatusOr<TimerKey> decoded = DecodeTimer(EncodeTimer(key));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, key);
  }
}

TEST(KeyCodecTest, BytewiseOrderIsTimerKeyOrder) {
  std::vector<TimerKey> keys = {{kMin, "a", "a"}, {-256, "a", "a"}, {-255, "a", "a"},
                                {-1, "b", "a"},   {0, "a", "b"},    {0, "a", "c"},
                                {0, "ab", "a"},   {0, "b", ""},     {1, "a", "a"},
                                {255, "a", "a"},  {256, "a", "a"},  {kMax, "~", "~"}};
  std::vector<TimerKey> by_bytes = keys;
  std::sort(by_bytes.begin(), by_bytes.end(),
            [](const TimerKey& a, const TimerKey& b) { return EncodeTimer(a) < EncodeTimer(b); });
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(by_bytes, keys);
}

TEST(KeyCodecTest, DuePrefixBoundsEveryTimerAtThatMoment) {
  EXPECT_LE(EncodeDue(5), EncodeTimer({5, "", ""}));
  EXPECT_LT(EncodeTimer({4, "~~~~", "~~~"}), EncodeDue(5));
  EXPECT_LT(EncodeDue(-1), EncodeDue(0));
  EXPECT_LT(EncodeDue(kMin), EncodeDue(kMin + 1));
}

TEST(KeyCodecTest, SequenceNumbersSortNumerically) {
  EXPECT_LT(EncodeSeq(255), EncodeSeq(256));
  EXPECT_LT(EncodeSeq(1), EncodeSeq(uint64_t{1} << 63));
  EXPECT_EQ(*DecodeSeq(EncodeSeq(123456789)), 123456789u);
}

TEST(KeyCodecTest, MalformedKeysAreErrors) {
  EXPECT_FALSE(DecodeTimer("short").ok());
  EXPECT_FALSE(DecodeTimer(std::string(8, '\x80') + "no-separator").ok());
  EXPECT_FALSE(DecodeSeq("1234567").ok());
}

}  // namespace
}  // namespace fristvagt::state::keys
