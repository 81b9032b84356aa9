#pragma once
// A real Apache Kafka cluster for tests (KRaft, each node broker and controller, loopback
// ports): tests/testing/kafka/kafka-cluster writes and formats the nodes, and this class runs
// each node as its own child process, so a test can SIGTERM, SIGKILL and restart single nodes.
// The nodes die with the test process (PR_SET_PDEATHSIG), so a crashed or timed-out test
// leaves no broker behind. Also: the admin calls the tests need (create, delete, describe
// topics; delete groups), through librdkafka as the processor uses it.

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt::testing {

struct KafkaClusterOptions {
  int nodes = 1;  // 1 or 3 (3: replication 3, min.insync.replicas 2)
  // "key=value" lines appended to every node's server.properties (a later key wins).
  std::vector<std::string> properties;
  // Extra listeners, "NAME=PROTOCOL" (e.g. "SASL=SASL_PLAINTEXT"), each on its own port per
  // node; bootstrap(NAME) gives their addresses.
  std::vector<std::string> listeners;
  // Arguments for StorageTool format, e.g. {"--add-scram", "SCRAM-SHA-256=[name=u,password=p]"}.
  std::vector<std::string> format_args;
  // The Kafka version, e.g. "3.9.1" (its jars in .cache/kafka/lib-3.9.1, fetched on first
  // use); empty: the default of tests/testing/kafka/pom.xml (or FRISTVAGT_KAFKA_VERSION).
  std::string version;
};

class KafkaCluster {
 public:
  // Prepares the cluster in `dir` (created; must not hold one) and starts every node; returns
  // once the metadata lists them all.
  static absl::StatusOr<std::unique_ptr<KafkaCluster>> Start(const std::filesystem::path& dir,
                                                             KafkaClusterOptions options = {});
  // SIGTERM to every running node, SIGKILL to those still running after 20 s.
  ~KafkaCluster();
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  // The PLAINTEXT listeners, "127.0.0.1:port,...".
  const std::string& bootstrap() const { return bootstrap_; }
  // The addresses of an extra listener of KafkaClusterOptions::listeners.
  std::string bootstrap(const std::string& listener) const;
  int nodes() const { return static_cast<int>(nodes_.size()); }
  const std::filesystem::path& dir() const { return dir_; }
  // The PLAINTEXT address of node `node` (1-based).
  std::string NodeAddress(int node) const;

  bool NodeRunning(int node);
  void SignalNode(int node, int signal);
  // SIGKILL, reaped.
  void KillNode(int node);
  // SIGTERM (a controlled shutdown), reaped; an error if it took longer than `timeout`.
  absl::Status StopNode(int node, absl::Duration timeout = absl::Seconds(30));
  // Starts a stopped node again on its data and ports.
  absl::Status StartNode(int node);
  // Until the metadata lists `count` brokers.
  absl::Status WaitForBrokers(int count, absl::Duration timeout = absl::Seconds(60));
  // The log of node `node` (its stdout and stderr).
  std::string NodeLog(int node) const;

 private:
  static absl::StatusOr<std::unique_ptr<KafkaCluster>> StartOnce(
      const std::filesystem::path& dir, const KafkaClusterOptions& options);
  KafkaCluster() = default;

  std::filesystem::path dir_;
  std::string bootstrap_;
  std::vector<std::unique_ptr<ChildProcess>> nodes_;
};

// The cluster script and where its jars are: FRISTVAGT_SOURCE_DIR/tests/testing/kafka.
std::filesystem::path KafkaClusterScript();

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication = -1;  // -1: the broker's default.replication.factor
  std::map<std::string, std::string> configs;
};
absl::Status CreateTopics(const std::string& bootstrap, const std::vector<TopicSpec>& topics);
// Deletes every topic whose name does not start with "__" and every consumer group, and waits
// until the metadata no longer lists those topics.
absl::Status DeleteAllTopicsAndGroups(const std::string& bootstrap);
// A topic's configuration as the broker reports it (DescribeConfigs), every entry.
absl::StatusOr<std::map<std::string, std::string>> TopicConfig(const std::string& bootstrap,
                                                               const std::string& topic);
// Partition -> the node id leading it.
absl::StatusOr<std::map<int32_t, int32_t>> PartitionLeaders(const std::string& bootstrap,
                                                            const std::string& topic);

// The topics `fristvagt run` uses with its default [topics], each with `partitions`
// partitions, with the settings docs/operations.md gives (changelog, obligations and
// instances compacted).
std::vector<TopicSpec> FristvagtTopics(int partitions);

}  // namespace fristvagt::testing
