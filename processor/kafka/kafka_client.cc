#include "processor/kafka/kafka_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "processor/base/clock.h"

namespace fristvagt::processor {

void KafkaDeleter::operator()(rd_kafka_t* rk) const {
  if (rk != nullptr) rd_kafka_destroy(rk);
}

absl::StatusOr<rd_kafka_conf_t*> MakeConf(const std::map<std::string, std::string>& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka.", name, ": ", error));
    }
  }
  return conf;
}

absl::StatusOr<KafkaHandle> NewClient(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("cannot create Kafka client: ", error));
  }
  return KafkaHandle(rk);
}

rd_kafka_resp_err_t QueryWatermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition,
                                    int64_t* low, int64_t* high, int timeout_ms) {
  // One request per end: a ListOffsets request may name a partition only once.
  const absl::Time deadline = WallClock::Get().Now() + absl::Milliseconds(timeout_ms);
  int64_t ends[2] = {RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_END};
  for (int64_t& end : ends) {
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = end;
    const int left_ms = static_cast<int>(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - WallClock::Get().Now())));
    if (rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list.get(), left_ms)) {
      return err;
    }
    if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) return list->elems[0].err;
    end = list->elems[0].offset;
  }
  *low = ends[0];
  *high = ends[1];
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace fristvagt::processor
