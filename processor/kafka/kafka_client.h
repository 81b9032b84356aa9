#pragma once
// Thin RAII ownership of librdkafka handles and the configuration helper every client uses.
// Production clusters and the embedded broker go through exactly this code.

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace fristvagt::processor {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

struct TopicPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, TopicPartitionListDeleter>;

// Builds a conf from properties; an invalid property is an error naming it. Ownership of the
// returned conf passes to rd_kafka_new (or must be destroyed by the caller on failure).
absl::StatusOr<rd_kafka_conf_t*> MakeConf(const std::map<std::string, std::string>& properties);

absl::StatusOr<KafkaHandle> NewClient(rd_kafka_type_t type, rd_kafka_conf_t* conf);

// rd_kafka_query_watermark_offsets, with its timeout kept. librdkafka 2.0.2's own waits for the
// answer without a deadline (librdkafka #2588, fixed in 2.3.0): asked while the partition's
// leader is dead and still in the metadata cache, it never returned, and the processor hung in
// its partition assignment. This asks through rd_kafka_offsets_for_times (ListOffsets for the
// earliest and the latest offset, under the client's isolation.level, as the original does),
// whose wait ends at `timeout_ms`.
rd_kafka_resp_err_t QueryWatermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition,
                                    int64_t* low, int64_t* high, int timeout_ms);

}  // namespace fristvagt::processor
