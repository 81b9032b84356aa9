#pragma once
// The embedded default (architecture.md "Design we expect" 6): librdkafka's mock cluster, a
// real Kafka-protocol server on loopback that any client (kcat included) can use. Owned by the
// command that starts it (`run` without brokers, `demo`, `broker`); lives until destroyed.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "processor/kafka/kafka_client.h"

namespace fristvagt::processor {

// librdkafka 2.0.2's mock broker leaves Nagle's algorithm on for the connections it accepts,
// where a real Kafka broker sets TCP_NODELAY on every one. With several requests in flight on a
// connection, a response written behind an unacknowledged one then waits for the client's
// delayed ACK: ~45 ms stalls in about half of the processor's delivery rounds, more than half of
// its wall time (docs/benchmarks.md, "Issue 15, session 8"). Linux
// hands a listening socket's TCP_NODELAY on to the connections it accepts, and the mock exposes
// no socket, so this finds its listening sockets among this process's descriptors by the ports
// of `bootstraps` ("host:port,...") and sets the option on them. Returns how many it set.
int DisableNagleOnListeners(const std::string& bootstraps);

class EmbeddedBroker {
 public:
  // Starts a cluster of `brokers` brokers and creates `topics` with `partitions` each.
  static absl::StatusOr<std::unique_ptr<EmbeddedBroker>> Start(
      int brokers, const std::vector<std::string>& topics, int partitions);
  ~EmbeddedBroker();

  const std::string& bootstrap_servers() const { return bootstrap_; }
  absl::Status CreateTopic(const std::string& topic, int partitions);

 private:
  EmbeddedBroker() = default;
  KafkaHandle host_;  // the mock cluster lives inside a client handle
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace fristvagt::processor
