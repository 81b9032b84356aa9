#include "processor/kafka/kafka_client.h"

#include "absl/strings/str_cat.h"

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

}  // namespace fristvagt::processor
