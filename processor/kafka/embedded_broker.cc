#include "processor/kafka/embedded_broker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "processor/base/logging.h"

namespace fristvagt::processor {

namespace {

// The TCP port a socket is bound to; 0 when it is not an IPv4/IPv6 socket.
int LocalPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return 0;
}

}  // namespace

int DisableNagleOnListeners(const std::string& bootstraps) {
  std::set<int> ports;
  for (absl::string_view server : absl::StrSplit(bootstraps, ',', absl::SkipEmpty())) {
    int port = 0;
    const size_t colon = server.rfind(':');
    if (colon != absl::string_view::npos && absl::SimpleAtoi(server.substr(colon + 1), &port)) {
      ports.insert(port);
    }
  }
  int set = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &fd)) continue;
    int listening = 0;
    socklen_t length = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) continue;
    if (ports.count(LocalPort(fd)) == 0) continue;
    const int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0) ++set;
  }
  return set;
}

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
  // Before any client connects: only connections accepted afterwards inherit the option.
  if (const int set = DisableNagleOnListeners(broker->bootstrap_); set != brokers) {
    Logger("kafka")->warn(
        "embedded broker: TCP_NODELAY set on {} of its {} listening sockets; the others answer "
        "with Nagle's algorithm on (delivery rounds may stall ~40 ms)",
        set, brokers);
  }
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
