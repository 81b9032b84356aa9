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

}  // namespace fristvagt::processor
