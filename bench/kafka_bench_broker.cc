// kafka_bench's broker: the embedded one, or (--bootstrap) an external cluster on which the
// bench's own topics and groups are deleted and created afresh before each measurement, so
// that every run starts from empty topics as with a fresh embedded broker. Only the names
// below are touched; other topics and groups on the cluster are left alone.
#include <algorithm>
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "bench/kafka_bench_support.h"
#include "processor/base/config.h"

namespace fristvagt::bench {
namespace {

std::string g_external;  // --bootstrap; empty: the embedded broker

using Event = std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)>;

// Waits for the admin result on `queue`; exits on a request-level error.
Event Await(rd_kafka_queue_t* queue, const std::string& what) {
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60000);
  if (event == nullptr) Check(absl::DeadlineExceededError("no answer"), what);
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Check(absl::InternalError(rd_kafka_event_error_string(event)), what);
  }
  return Event(event, &rd_kafka_event_destroy);
}

std::vector<std::string> BenchTopics() {
  const processor::TopicNames names;
  return {names.input,     names.alerts,    names.obligations,
          names.dead_letter, names.changelog, names.instances, kPassthroughTopic};
}

void RecreateTopics(int partitions) {
  processor::KafkaHandle admin = Client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", g_external}});
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(
      rd_kafka_queue_new(admin.get()), &rd_kafka_queue_destroy);
  const std::vector<std::string> topics = BenchTopics();
  {
    std::vector<rd_kafka_DeleteTopic_t*> deletes;
    for (const std::string& t : topics) deletes.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
    rd_kafka_DeleteTopics(admin.get(), deletes.data(), deletes.size(), nullptr, queue.get());
    rd_kafka_DeleteTopic_destroy_array(deletes.data(), deletes.size());
    Await(queue.get(), "deleting the bench topics");  // unknown topics are fine
  }
  {
    // Committed offsets of these groups would point into the deleted topics.
    std::vector<std::string> groups = {"fristvagt-bench", "bench-echo", "bench-latency",
                                       "bench-raw-restore"};
    for (int run = 0; run < 20; ++run) groups.push_back(absl::StrCat("bench-pass", run));
    std::vector<rd_kafka_DeleteGroup_t*> deletes;
    for (const std::string& g : groups) deletes.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
    rd_kafka_DeleteGroups(admin.get(), deletes.data(), deletes.size(), nullptr, queue.get());
    rd_kafka_DeleteGroup_destroy_array(deletes.data(), deletes.size());
    Await(queue.get(), "deleting the bench groups");  // unknown groups are fine
  }
  const processor::TopicNames names;
  const std::set<std::string> compacted = {names.changelog, names.obligations, names.instances};
  // A deleted topic lingers for a moment ("already exists"): those are created again until
  // the deletion has finished.
  std::set<std::string> pending(topics.begin(), topics.end());
  for (int attempt = 0; !pending.empty(); ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(300));
    char error[512];
    std::vector<rd_kafka_NewTopic_t*> specs;
    for (const std::string& t : pending) {
      rd_kafka_NewTopic_t* spec = rd_kafka_NewTopic_new(
          t.c_str(), t == names.instances ? 1 : partitions, 1, error, sizeof(error));
      if (compacted.count(t) > 0) rd_kafka_NewTopic_set_config(spec, "cleanup.policy", "compact");
      specs.push_back(spec);
    }
    rd_kafka_AdminOptions_t* options =
        rd_kafka_AdminOptions_new(admin.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(options, 30000, error, sizeof(error));
    rd_kafka_CreateTopics(admin.get(), specs.data(), specs.size(), options, queue.get());
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_NewTopic_destroy_array(specs.data(), specs.size());
    Event event = Await(queue.get(), "creating the bench topics");
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        pending.erase(rd_kafka_topic_result_name(results[i]));
      } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS || attempt >= 100) {
        Check(absl::InternalError(rd_kafka_topic_result_error_string(results[i])),
              absl::StrCat("creating ", rd_kafka_topic_result_name(results[i])));
      }
    }
  }
  // Until every partition has a leader: a producer right after would otherwise wait.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const rd_kafka_metadata_t* metadata = nullptr;
    bool led = rd_kafka_metadata(admin.get(), 1, nullptr, &metadata, 5000) ==
               RD_KAFKA_RESP_ERR_NO_ERROR;
    size_t found = 0;
    for (int i = 0; led && i < metadata->topic_cnt; ++i) {
      if (std::find(topics.begin(), topics.end(), metadata->topics[i].topic) == topics.end()) {
        continue;
      }
      ++found;
      for (int p = 0; p < metadata->topics[i].partition_cnt; ++p) {
        led = led && metadata->topics[i].partitions[p].leader >= 0;
      }
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    if (led && found == topics.size()) return;
    absl::SleepFor(absl::Milliseconds(200));
  }
  Check(absl::DeadlineExceededError("no leaders"), "the bench topics");
}

}  // namespace

void UseExternalBroker(const std::string& bootstrap) { g_external = bootstrap; }
bool ExternalBroker() { return !g_external.empty(); }

std::unique_ptr<BenchBroker> StartBroker(int partitions) {
  auto broker = std::make_unique<BenchBroker>();
  if (g_external.empty()) {
    const processor::TopicNames names;
    auto embedded = processor::EmbeddedBroker::Start(
        3,
        {names.input, names.alerts, names.obligations, names.dead_letter, names.changelog,
         kPassthroughTopic},
        partitions);
    Check(embedded.status(), "starting the embedded broker");
    broker->embedded = std::move(*embedded);
    broker->bootstrap = broker->embedded->bootstrap_servers();
    return broker;
  }
  RecreateTopics(partitions);
  broker->bootstrap = g_external;
  return broker;
}

}  // namespace fristvagt::bench
