#include "processor/kafka/embedded_broker.h"

#include "absl/strings/str_cat.h"

namespace fristvagt::processor {

absl::StatusOr<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(
    int brokers, const std::vector<std::string>& topics, int partitions) {
  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf({{"log_level", "3"}});
  if (!conf.ok()) return conf.status();
  absl::StatusOr<KafkaHandle> host = NewClient(RD_KAFKA_PRODUCER, *conf);
  if (!host.ok()) return host.status();
  std::unique_ptr<EmbeddedBroker> broker(new EmbeddedBroker);
  broker->host_ = std::move(*host);
  broker->cluster_ = rd_kafka_mock_cluster_new(broker->host_.get(), brokers);
  if (broker->cluster_ == nullptr) {
    return absl::InternalError("cannot start the embedded Kafka broker (mock cluster)");
  }
  broker->bootstrap_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  for (const std::string& topic : topics) {
    if (absl::Status s = broker->CreateTopic(topic, partitions); !s.ok()) return s;
  }
  return broker;
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

absl::Status EmbeddedBroker::CreateTopic(const std::string& topic, int partitions) {
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("cannot create topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

}  // namespace fristvagt::processor
