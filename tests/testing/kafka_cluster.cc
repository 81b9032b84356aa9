#include "tests/testing/kafka_cluster.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/testing/binary.h"

namespace fristvagt::testing {

namespace fs = std::filesystem;

namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Kafka = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

absl::StatusOr<Kafka> AdminClient(const std::string& bootstrap) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof(error)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(error);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(error);
  }
  return Kafka(rk);
}

// Waits for the result event of an admin call on `queue`.
absl::StatusOr<Event> AwaitResult(rd_kafka_queue_t* queue, absl::Duration timeout) {
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, absl::ToInt64Milliseconds(timeout));
  if (event == nullptr) return absl::DeadlineExceededError("no answer to an admin request");
  Event owned(event);
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(rd_kafka_event_error_string(event));
  }
  return owned;
}

// Topic names the metadata lists, the internal ones ("__...") left out.
absl::StatusOr<std::set<std::string>> UserTopics(rd_kafka_t* rk) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &metadata, 10000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::UnavailableError(rd_kafka_err2str(err));
  std::set<std::string> topics;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const std::string name = metadata->topics[i].topic;
    if (!absl::StartsWith(name, "__")) topics.insert(name);
  }
  rd_kafka_metadata_destroy(metadata);
  return topics;
}

}  // namespace

fs::path KafkaClusterScript() {
  return SourceDir() / "tests" / "testing" / "kafka" / "kafka-cluster";
}

absl::StatusOr<std::unique_ptr<KafkaCluster>> KafkaCluster::Start(const fs::path& dir,
                                                                  KafkaClusterOptions options) {
  // `prepare` picks free ports, but the nodes bind them only seconds later, after a JVM has
  // formatted the storage and another has started: meanwhile any process's outgoing connection
  // can take one as its ephemeral port (seen twice in a day under -j2: "Address already in
  // use"). Such a start is tried again from scratch, with new ports.
  absl::StatusOr<std::unique_ptr<KafkaCluster>> cluster = StartOnce(dir, options);
  for (int attempt = 2; attempt <= 3 && !cluster.ok() &&
                        absl::StrContains(cluster.status().message(), "Address already in use");
       ++attempt) {
    // The failed attempt's nodes were stopped when its KafkaCluster was destroyed.
    std::error_code error;
    fs::remove_all(dir, error);
    cluster = StartOnce(dir, options);
  }
  return cluster;
}

absl::StatusOr<std::unique_ptr<KafkaCluster>> KafkaCluster::StartOnce(
    const fs::path& dir, const KafkaClusterOptions& options) {
  fs::create_directories(dir);
  std::vector<std::string> argv = {KafkaClusterScript().string(), "prepare", "--dir",
                                   dir.string(), "--nodes", std::to_string(options.nodes)};
  for (const std::string& p : options.properties) argv.insert(argv.end(), {"--prop", p});
  for (const std::string& l : options.listeners) argv.insert(argv.end(), {"--listener", l});
  for (const std::string& a : options.format_args) argv.insert(argv.end(), {"--format-arg", a});
  if (!options.version.empty()) argv.insert(argv.end(), {"--version", options.version});
  const fs::path prepare_log = dir / "prepare.log";
  std::unique_ptr<ChildProcess> prepare = ChildProcess::StartProgram(argv, {}, prepare_log);
  // A first call on a fresh machine fetches the jars with Maven first.
  const std::optional<int> rc = prepare->Wait(absl::Minutes(10));
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("kafka-cluster prepare failed (", rc.value_or(-999),
                                            "): ", ReadFile(prepare_log)));
  }
  std::unique_ptr<KafkaCluster> cluster(new KafkaCluster());
  cluster->dir_ = dir;
  cluster->bootstrap_ = std::string(absl::StripAsciiWhitespace(ReadFile(dir / "bootstrap")));
  cluster->nodes_.resize(options.nodes);
  for (int node = 1; node <= options.nodes; ++node) {
    if (absl::Status s = cluster->StartNode(node); !s.ok()) return s;
  }
  if (absl::Status s = cluster->WaitForBrokers(options.nodes); !s.ok()) return s;
  return cluster;
}

KafkaCluster::~KafkaCluster() {
  for (auto& node : nodes_) {
    if (node != nullptr) node->Signal(SIGTERM);
  }
  for (auto& node : nodes_) {
    if (node != nullptr && !node->Wait(absl::Seconds(20)).has_value()) node->Signal(SIGKILL);
  }
  // ~ChildProcess reaps what is left.
}

std::string KafkaCluster::bootstrap(const std::string& listener) const {
  return std::string(absl::StripAsciiWhitespace(ReadFile(dir_ / ("bootstrap-" + listener))));
}

std::string KafkaCluster::NodeAddress(int node) const {
  const std::vector<std::string> addresses = absl::StrSplit(bootstrap_, ',');
  return addresses.at(node - 1);
}

bool KafkaCluster::NodeRunning(int node) {
  auto& process = nodes_.at(node - 1);
  return process != nullptr && process->Running();
}

void KafkaCluster::SignalNode(int node, int signal) {
  if (NodeRunning(node)) nodes_.at(node - 1)->Signal(signal);
}

void KafkaCluster::KillNode(int node) {
  SignalNode(node, SIGKILL);
  if (nodes_.at(node - 1) != nullptr) nodes_.at(node - 1)->Wait(absl::Seconds(10));
}

absl::Status KafkaCluster::StopNode(int node, absl::Duration timeout) {
  SignalNode(node, SIGTERM);
  auto& process = nodes_.at(node - 1);
  if (process != nullptr && !process->Wait(timeout).has_value()) {
    return absl::DeadlineExceededError(absl::StrCat("node ", node, " still runs after SIGTERM"));
  }
  return absl::OkStatus();
}

absl::Status KafkaCluster::StartNode(int node) {
  if (NodeRunning(node)) return absl::FailedPreconditionError("the node runs");
  nodes_.at(node - 1) = ChildProcess::StartProgram(
      {KafkaClusterScript().string(), "run-node", dir_.string(), std::to_string(node)}, {},
      dir_ / ("node-" + std::to_string(node)) / "stdout.log");
  return absl::OkStatus();
}

std::string KafkaCluster::NodeLog(int node) const {
  return ReadFile(dir_ / ("node-" + std::to_string(node)) / "stdout.log");
}

absl::Status KafkaCluster::WaitForBrokers(int count, absl::Duration timeout) {
  absl::StatusOr<Kafka> admin = AdminClient(bootstrap_);
  if (!admin.ok()) return admin.status();
  int listed = 0;
  const bool up = WaitUntil(
      [&] {
        for (int node = 1; node <= nodes(); ++node) {
          if (nodes_[node - 1] != nullptr && !nodes_[node - 1]->Running()) return true;
        }
        const rd_kafka_metadata_t* metadata = nullptr;
        if (rd_kafka_metadata(admin->get(), 0, nullptr, &metadata, 2000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
          return false;
        }
        listed = metadata->broker_cnt;
        rd_kafka_metadata_destroy(metadata);
        return listed >= count;
      },
      timeout, absl::Milliseconds(250));
  for (int node = 1; node <= nodes(); ++node) {
    if (nodes_[node - 1] != nullptr && !nodes_[node - 1]->Running()) {
      return absl::InternalError(absl::StrCat("node ", node, " exited: ", NodeLog(node)));
    }
  }
  if (!up) {
    return absl::DeadlineExceededError(
        absl::StrCat(listed, " of ", count, " brokers up: ", NodeLog(1)));
  }
  return absl::OkStatus();
}

absl::Status CreateTopics(const std::string& bootstrap, const std::vector<TopicSpec>& topics) {
  absl::StatusOr<Kafka> admin = AdminClient(bootstrap);
  if (!admin.ok()) return admin.status();
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(admin->get()));
  std::vector<rd_kafka_NewTopic_t*> specs;
  char error[512];
  for (const TopicSpec& topic : topics) {
    rd_kafka_NewTopic_t* spec = rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions,
                                                      topic.replication, error, sizeof(error));
    if (spec == nullptr) return absl::InvalidArgumentError(error);
    for (const auto& [name, value] : topic.configs) {
      rd_kafka_NewTopic_set_config(spec, name.c_str(), value.c_str());
    }
    specs.push_back(spec);
  }
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(admin->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, 30000, error, sizeof(error));
  rd_kafka_CreateTopics(admin->get(), specs.data(), specs.size(), options, queue.get());
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy_array(specs.data(), specs.size());
  absl::StatusOr<Event> event = AwaitResult(queue.get(), absl::Seconds(40));
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InternalError(absl::StrCat("create ", rd_kafka_topic_result_name(results[i]),
                                              ": ",
                                              rd_kafka_topic_result_error_string(results[i])));
    }
  }
  // Until every partition has a leader: a producer right after would otherwise wait.
  for (const TopicSpec& topic : topics) {
    if (!WaitUntil(
            [&] {
              absl::StatusOr<std::map<int32_t, int32_t>> leaders =
                  PartitionLeaders(bootstrap, topic.name);
              if (!leaders.ok() || static_cast<int>(leaders->size()) != topic.partitions) {
                return false;
              }
              for (const auto& [partition, leader] : *leaders) {
                if (leader < 0) return false;
              }
              return true;
            },
            absl::Seconds(30))) {
      return absl::DeadlineExceededError(absl::StrCat(topic.name, " has no leaders"));
    }
  }
  return absl::OkStatus();
}

absl::Status DeleteAllTopicsAndGroups(const std::string& bootstrap) {
  absl::StatusOr<Kafka> admin = AdminClient(bootstrap);
  if (!admin.ok()) return admin.status();
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(admin->get()));
  char error[512];
  absl::StatusOr<std::set<std::string>> topics = UserTopics(admin->get());
  if (!topics.ok()) return topics.status();
  if (!topics->empty()) {
    std::vector<rd_kafka_DeleteTopic_t*> deletes;
    for (const std::string& topic : *topics) {
      deletes.push_back(rd_kafka_DeleteTopic_new(topic.c_str()));
    }
    rd_kafka_AdminOptions_t* options =
        rd_kafka_AdminOptions_new(admin->get(), RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(options, 30000, error, sizeof(error));
    rd_kafka_DeleteTopics(admin->get(), deletes.data(), deletes.size(), options, queue.get());
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_DeleteTopic_destroy_array(deletes.data(), deletes.size());
    absl::StatusOr<Event> event = AwaitResult(queue.get(), absl::Seconds(40));
    if (!event.ok()) return event.status();
  }
  // Groups: their committed offsets would point into the deleted topics' successors.
  const struct rd_kafka_group_list* groups = nullptr;
  if (rd_kafka_list_groups(admin->get(), nullptr, &groups, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::vector<rd_kafka_DeleteGroup_t*> deletes;
    for (int i = 0; i < groups->group_cnt; ++i) {
      deletes.push_back(rd_kafka_DeleteGroup_new(groups->groups[i].group));
    }
    rd_kafka_group_list_destroy(groups);
    if (!deletes.empty()) {
      rd_kafka_DeleteGroups(admin->get(), deletes.data(), deletes.size(), nullptr, queue.get());
      rd_kafka_DeleteGroup_destroy_array(deletes.data(), deletes.size());
      absl::StatusOr<Event> event = AwaitResult(queue.get(), absl::Seconds(40));
      if (!event.ok()) return event.status();
    }
  }
  if (!WaitUntil(
          [&] {
            absl::StatusOr<std::set<std::string>> left = UserTopics(admin->get());
            return left.ok() && left->empty();
          },
          absl::Seconds(30))) {
    return absl::DeadlineExceededError("deleted topics are still listed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> TopicConfig(const std::string& bootstrap,
                                                               const std::string& topic) {
  absl::StatusOr<Kafka> admin = AdminClient(bootstrap);
  if (!admin.ok()) return admin.status();
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(admin->get()));
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_DescribeConfigs(admin->get(), &resource, 1, nullptr, queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  absl::StatusOr<Event> event = AwaitResult(queue.get(), absl::Seconds(20));
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event->get()), &count);
  std::map<std::string, std::string> configs;
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::NotFoundError(rd_kafka_ConfigResource_error_string(resources[i]));
    }
    size_t entries = 0;
    const rd_kafka_ConfigEntry_t** list = rd_kafka_ConfigResource_configs(resources[i], &entries);
    for (size_t e = 0; e < entries; ++e) {
      const char* value = rd_kafka_ConfigEntry_value(list[e]);
      configs[rd_kafka_ConfigEntry_name(list[e])] = value != nullptr ? value : "";
    }
  }
  return configs;
}

absl::StatusOr<std::map<int32_t, int32_t>> PartitionLeaders(const std::string& bootstrap,
                                                            const std::string& topic) {
  absl::StatusOr<Kafka> admin = AdminClient(bootstrap);
  if (!admin.ok()) return admin.status();
  rd_kafka_topic_t* handle = rd_kafka_topic_new(admin->get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(admin->get(), 0, handle, &metadata, 10000);
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::UnavailableError(rd_kafka_err2str(err));
  std::map<int32_t, int32_t> leaders;
  absl::Status status = absl::OkStatus();
  if (metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::NotFoundError(absl::StrCat("no metadata for ", topic));
  } else {
    for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
      leaders[metadata->topics[0].partitions[p].id] = metadata->topics[0].partitions[p].leader;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (!status.ok()) return status;
  return leaders;
}

std::vector<TopicSpec> FristvagtTopics(int partitions) {
  const std::map<std::string, std::string> compact = {{"cleanup.policy", "compact"}};
  return {
      {"case-events", partitions, -1, {}},
      {"fristvagt.alerts", partitions, -1, {}},
      {"fristvagt.obligations", partitions, -1, compact},
      {"case-events.dlq", partitions, -1, {}},
      {"fristvagt.state-changelog", partitions, -1, compact},
      {"fristvagt.instances", partitions, -1, compact},
  };
}

}  // namespace fristvagt::testing
