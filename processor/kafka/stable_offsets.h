#pragma once
// Consumer lag under read_committed. librdkafka 2.0.2's rd_kafka_get_watermark_offsets returns
// the high watermark, which counts the records of transactions still open — records a
// read_committed consumer cannot read yet — so a lag from it stays up while a producer holds a
// transaction open. The last stable offset (LSO) is only in the consumer's statistics
// (topics.<t>.partitions.<p>.ls_offset, as of the latest fetch). The lag takes the live high
// watermark when the latest statistics saw no open transaction (LSO = high watermark), else
// that LSO: exact without open transactions, at most one statistics interval old with one.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fristvagt::processor {

struct FetchEnds {
  int64_t high = -1;    // high watermark at the latest fetch
  int64_t stable = -1;  // last stable offset at the latest fetch
};

// The partitions of `topic` in a statistics JSON that have both offsets (>= 0).
std::map<int32_t, FetchEnds> FetchEndsOf(std::string_view statistics_json,
                                         const std::string& topic);

// The end a read_committed consumer can reach, for the lag: `live_high` unless `seen` says a
// transaction was open (stable < high), then the stable offset (never above `live_high`).
int64_t ReachableEnd(int64_t live_high, const std::optional<FetchEnds>& seen);

}  // namespace fristvagt::processor
