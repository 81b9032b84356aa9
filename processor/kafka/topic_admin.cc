#include "processor/kafka/topic_admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "processor/base/logging.h"
#include "processor/kafka/kafka_client.h"

namespace fristvagt::processor {

namespace {

constexpr int kAdminTimeoutMs = 30000;

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

struct Wanted {
  std::string name;
  int partitions = 0;
  std::map<std::string, std::string> configs;
};

absl::StatusOr<Event> Await(rd_kafka_queue_t* queue, int timeout_ms = kAdminTimeoutMs + 5000) {
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms);
  if (event == nullptr) return absl::UnavailableError("the cluster did not answer an admin request");
  Event owned(event);
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(rd_kafka_event_error_string(event));
  }
  return owned;
}

// Partition counts of the topics that exist.
absl::StatusOr<std::map<std::string, int>> ExistingTopics(rd_kafka_t* rk,
                                                         int timeout_ms = kAdminTimeoutMs) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &metadata, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("cluster metadata: ", rd_kafka_err2str(err)));
  }
  std::map<std::string, int> topics;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    if (metadata->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      topics[metadata->topics[i].topic] = metadata->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return topics;
}

// A topic's cleanup.policy as the broker reports it.
absl::StatusOr<std::string> CleanupPolicy(rd_kafka_t* rk, const std::string& topic) {
  // librdkafka's mock cluster (the embedded broker, which `fristvagt broker` runs for the
  // tests) has no topic configs and never answers; waiting would delay every start.
  if (char* id = rd_kafka_clusterid(rk, 5000); id != nullptr) {
    const bool mock = std::string_view(id).rfind("mockCluster", 0) == 0;
    rd_kafka_mem_free(rk, id);
    if (mock) return absl::UnavailableError("the embedded broker has no topic configs");
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  // A short wait: a broker that cannot describe configs (the embedded mock cluster, which
  // `fristvagt broker` runs for the tests) must not hold up every start.
  char error[512];
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(options, 5000, error, sizeof(error));
  rd_kafka_DescribeConfigs(rk, &resource, 1, options, queue.get());
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_ConfigResource_destroy(resource);
  absl::StatusOr<Event> event = Await(queue.get(), 6000);
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("the configuration of ", topic, ": ",
                                                 rd_kafka_ConfigResource_error_string(resources[i])));
    }
    size_t entries = 0;
    const rd_kafka_ConfigEntry_t** list = rd_kafka_ConfigResource_configs(resources[i], &entries);
    for (size_t e = 0; e < entries; ++e) {
      if (std::string(rd_kafka_ConfigEntry_name(list[e])) == "cleanup.policy") {
        const char* value = rd_kafka_ConfigEntry_value(list[e]);
        return std::string(value != nullptr ? value : "");
      }
    }
  }
  return absl::UnavailableError(absl::StrCat("no cleanup.policy reported for ", topic));
}

absl::Status Create(rd_kafka_t* rk, const std::vector<Wanted>& topics) {
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  std::vector<rd_kafka_NewTopic_t*> specs;
  char error[512];
  for (const Wanted& topic : topics) {
    rd_kafka_NewTopic_t* spec =
        rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions, -1, error, sizeof(error));
    if (spec == nullptr) {
      rd_kafka_NewTopic_destroy_array(specs.data(), specs.size());
      return absl::InvalidArgumentError(absl::StrCat(topic.name, ": ", error));
    }
    for (const auto& [name, value] : topic.configs) {
      rd_kafka_NewTopic_set_config(spec, name.c_str(), value.c_str());
    }
    specs.push_back(spec);
  }
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, kAdminTimeoutMs, error, sizeof(error));
  rd_kafka_CreateTopics(rk, specs.data(), specs.size(), options, queue.get());
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy_array(specs.data(), specs.size());
  absl::StatusOr<Event> event = Await(queue.get());
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event->get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    // Another instance starting at the same moment may have created it first.
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return absl::UnavailableError(absl::StrCat("creating ", rd_kafka_topic_result_name(results[i]),
                                                 ": ", rd_kafka_topic_result_error_string(results[i])));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureTopics(const Config& config) {
  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf(config.kafka);
  if (!conf.ok()) return conf.status();
  absl::StatusOr<KafkaHandle> admin = NewClient(RD_KAFKA_PRODUCER, *conf);
  if (!admin.ok()) return admin.status();
  // A cluster that does not answer soon is not waited for here: the processor connects and
  // retries by itself (Unavailable lets `run` go on without the checks).
  absl::StatusOr<std::map<std::string, int>> existing = ExistingTopics(admin->get(), 5000);
  if (!existing.ok()) return existing.status();
  const TopicNames& names = config.topics;
  auto missing_refused = [&](const std::string& topic, const std::string& what) {
    return absl::FailedPreconditionError(absl::StrCat(
        "topic ", topic, " (", what, ") does not exist and [topics] create = false: create it ",
        "(docs/operations.md lists the settings) or set create = true"));
  };

  int input_partitions = config.partitions;
  if (auto it = existing->find(names.input); it != existing->end()) {
    input_partitions = it->second;
  } else if (!config.create_topics) {
    return missing_refused(names.input, "input");
  } else {
    if (absl::Status s = Create(admin->get(), {{names.input, config.partitions, {}}}); !s.ok()) {
      return s;
    }
    Logger("processor")
        ->warn("created the input topic {} with {} partitions ([topics] partitions); the "
               "partition count is the unit of scale",
               names.input, config.partitions);
  }

  const std::map<std::string, std::string> compact = {{"cleanup.policy", "compact"}};
  const std::vector<std::pair<Wanted, std::string>> wanted = {
      {{names.changelog, input_partitions, compact}, "changelog"},
      {{names.obligations, input_partitions, compact}, "obligations"},
      {{names.alerts, input_partitions, {}}, "alerts"},
      {{names.dead_letter,
        input_partitions,
        {{"retention.ms",
          std::to_string(static_cast<int64_t>(config.dead_letter_retention_days) * 86400000)}}},
       "dead letters"},
      {{names.instances, 1, compact}, "instances"},
  };
  std::vector<Wanted> create;
  std::vector<std::string> created;
  for (const auto& [topic, what] : wanted) {
    if (existing->count(topic.name) > 0) continue;
    if (!config.create_topics) return missing_refused(topic.name, what);
    if (std::find_if(create.begin(), create.end(),
                     [&](const Wanted& w) { return w.name == topic.name; }) != create.end()) {
      continue;  // two roles, one name: created once
    }
    create.push_back(topic);
    created.push_back(topic.name);
  }
  if (!create.empty()) {
    if (absl::Status s = Create(admin->get(), create); !s.ok()) return s;
    Logger("processor")->info("created topics {}", absl::StrJoin(created, ", "));
  }

  // The changelog, created now or long ago: co-partitioned and compacted, or no start. A
  // topic just created takes a moment to appear in the metadata.
  absl::StatusOr<std::map<std::string, int>> now = ExistingTopics(admin->get());
  for (int attempt = 0; now.ok() && now->count(names.changelog) == 0 && attempt < 100; ++attempt) {
    absl::SleepFor(absl::Milliseconds(100));
    now = ExistingTopics(admin->get());
  }
  if (!now.ok()) return now.status();
  const int changelog_partitions = now->count(names.changelog) ? (*now)[names.changelog] : 0;
  if (changelog_partitions != input_partitions) {
    return absl::FailedPreconditionError(absl::StrCat(
        "topic ", names.changelog, ": partitions = ", changelog_partitions, ", but the input ",
        names.input, " has ", input_partitions,
        "; the changelog must be co-partitioned with the input (each partition's store is "
        "rebuilt from the changelog partition of the same number)"));
  }
  absl::StatusOr<std::string> policy = CleanupPolicy(admin->get(), names.changelog);
  if (!policy.ok()) {
    // Not a refusal: the partition check above holds, and a cluster that does not let us
    // read topic configs (ACLs, or a test broker) may still be right.
    Logger("processor")
        ->warn("cannot check cleanup.policy of {} ({}); it must be compact", names.changelog,
               std::string(policy.status().message()));
  } else if (*policy != "compact") {
    return absl::FailedPreconditionError(absl::StrCat(
        "topic ", names.changelog, ": cleanup.policy = ", *policy,
        ", but the changelog needs cleanup.policy = compact (a restore would miss the records "
        "of persons not changed within the retention)"));
  }
  for (const std::string& topic : {names.obligations, names.instances}) {
    absl::StatusOr<std::string> p = CleanupPolicy(admin->get(), topic);
    if (p.ok() && *p != "compact") {
      Logger("processor")
          ->warn("topic {}: cleanup.policy = {}; compact keeps the latest record per key", topic,
                 *p);
    }
  }
  return absl::OkStatus();
}

}  // namespace fristvagt::processor
