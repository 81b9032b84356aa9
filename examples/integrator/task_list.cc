// An integrator's example: keep one caseworker's task list from fristvagt's Kafka topics, as
// docs/integration.md §2-3 describes, with nothing but librdkafka's C++ client and the classes
// protoc generates from proto/alert.proto.
//
//   task_list --bootstrap HOST:PORT --caseworker ID [--follow]
//
// 1. The task list: read the compacted topic `fristvagt.obligations` from the beginning. Each
//    record is the latest state of one obligation (key obligation_id); a tombstone (no value)
//    deletes it. The caseworker's tasks are the records with their caseworker_id whose status
//    is OPEN or BREACHED.
// 2. Notifications: read `fristvagt.alerts` and act on each alert once. An alert may be
//    delivered again after a processor crash, always with the same alert_id, so remember the
//    ids handled — per obligation, the last few suffice — and drop repeats.
// Without --follow it stops at the end of both topics and prints
//   ALERT <alert_id> <kind> <rule_id> <obligation_id>     once per new alert, in topic order
//   TASK <deadline> <status> <rule_id> <obligation_id> <person_key> <legal_ref>
// A real integration runs with --follow, commits its offsets and keeps the handled ids in its
// own database; this example keeps them in memory.

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "proto/alert.pb.h"

namespace {

constexpr size_t kIdsPerObligation = 16;  // alert ids remembered per obligation

struct Args {
  std::string bootstrap, caseworker;
  bool follow = false;
};

// The value is protobuf unless the content-type header says JSON (`[alerts] format = "json"`).
template <typename Message>
bool Parse(RdKafka::Message& m, Message* out) {
  const char* bytes = static_cast<const char*>(m.payload());
  std::string type;
  if (RdKafka::Headers* headers = m.headers()) {
    RdKafka::Headers::Header h = headers->get_last("content-type");
    if (h.err() == RdKafka::ERR_NO_ERROR && h.value() != nullptr) {
      type.assign(static_cast<const char*>(h.value()), h.value_size());
    }
  }
  if (type.find("json") != std::string::npos) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;  // later versions may add fields
    return google::protobuf::util::JsonStringToMessage(std::string(bytes, m.len()), out, options)
        .ok();
  }
  return out->ParseFromArray(bytes, static_cast<int>(m.len()));
}

class TaskList {
 public:
  explicit TaskList(std::string caseworker) : caseworker_(std::move(caseworker)) {}

  void OnObligation(RdKafka::Message& m) {
    const std::string key = m.key() ? *m.key() : "";
    if (m.payload() == nullptr) {  // tombstone: erased person, or retired after the course
      tasks_.erase(key);
      return;
    }
    fristvagt::v1::Obligation ob;
    if (!Parse(m, &ob)) {
      std::cerr << "task_list: obligation " << key << " does not parse; skipped\n";
      return;
    }
    const bool task = ob.caseworker_id() == caseworker_ &&
                      (ob.status() == fristvagt::v1::OPEN || ob.status() == fristvagt::v1::BREACHED);
    if (task) {
      tasks_[key] = ob;
    } else {
      tasks_.erase(key);  // met, waived, or moved to another caseworker
    }
  }

  void OnAlert(RdKafka::Message& m) {
    fristvagt::v1::Alert alert;
    if (m.payload() == nullptr || !Parse(m, &alert)) return;
    if (alert.caseworker_id() != caseworker_ || alert.kind() == fristvagt::v1::DIGEST) return;
    std::deque<std::string>& seen = handled_[alert.obligation_id()];
    if (std::find(seen.begin(), seen.end(), alert.alert_id()) != seen.end()) {
      ++repeats_;
      return;  // delivered again: already handled
    }
    seen.push_back(alert.alert_id());
    if (seen.size() > kIdsPerObligation) seen.pop_front();
    std::cout << "ALERT " << alert.alert_id() << ' '
              << fristvagt::v1::AlertKind_Name(alert.kind()) << ' ' << alert.rule_id() << ' '
              << alert.obligation_id() << '\n';
  }

  void Print() const {
    std::vector<const fristvagt::v1::Obligation*> sorted;
    for (const auto& [id, ob] : tasks_) sorted.push_back(&ob);
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
      return std::tie(a->deadline(), a->obligation_id()) < std::tie(b->deadline(), b->obligation_id());
    });
    for (const auto* ob : sorted) {
      std::cout << "TASK " << ob->deadline() << ' '
                << fristvagt::v1::ObligationStatus_Name(ob->status()) << ' ' << ob->rule_id()
                << ' ' << ob->obligation_id() << ' ' << ob->person_key() << ' ' << ob->legal_ref()
                << '\n';
    }
    std::cerr << "task_list: " << tasks_.size() << " tasks for " << caseworker_ << ", "
              << repeats_ << " repeated alerts dropped\n";
  }

 private:
  std::string caseworker_;
  std::map<std::string, fristvagt::v1::Obligation> tasks_;  // by obligation_id
  std::map<std::string, std::deque<std::string>> handled_;  // obligation_id -> alert ids
  size_t repeats_ = 0;
};

// Reads every partition of `topics` from the beginning; without `follow`, until the end each
// partition had when it was reached (partition EOF).
int Consume(const Args& args, TaskList* list) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (conf->set("bootstrap.servers", args.bootstrap, error) != RdKafka::Conf::CONF_OK ||
      conf->set("group.id", "task-list-example-" + args.caseworker, error) != RdKafka::Conf::CONF_OK ||
      conf->set("enable.auto.commit", "false", error) != RdKafka::Conf::CONF_OK ||
      conf->set("enable.partition.eof", "true", error) != RdKafka::Conf::CONF_OK ||
      // With exactly_once the processor writes in transactions: read only committed ones.
      conf->set("isolation.level", "read_committed", error) != RdKafka::Conf::CONF_OK) {
    std::cerr << "task_list: " << error << '\n';
    return 1;
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) {
    std::cerr << "task_list: " << error << '\n';
    return 1;
  }
  RdKafka::Metadata* raw = nullptr;
  if (consumer->metadata(true, nullptr, &raw, 10000) != RdKafka::ERR_NO_ERROR) {
    std::cerr << "task_list: no metadata from " << args.bootstrap << '\n';
    return 1;
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  // Obligations first, so that the list is complete before alerts are matched against it.
  for (const std::string topic : {"fristvagt.obligations", "fristvagt.alerts"}) {
    std::vector<RdKafka::TopicPartition*> partitions;
    for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
      if (t->topic() != topic) continue;
      for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
        partitions.push_back(RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
      }
    }
    if (partitions.empty()) {
      std::cerr << "task_list: topic " << topic << " not found\n";
      return 1;
    }
    consumer->assign(partitions);
    size_t at_end = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (args.follow || at_end < partitions.size()) {
      std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
      if (m->err() == RdKafka::ERR__PARTITION_EOF) {
        ++at_end;
      } else if (m->err() == RdKafka::ERR_NO_ERROR) {
        topic == std::string("fristvagt.obligations") ? list->OnObligation(*m) : list->OnAlert(*m);
      } else if (m->err() != RdKafka::ERR__TIMED_OUT) {
        std::cerr << "task_list: " << m->errstr() << '\n';
      }
      if (!args.follow && std::chrono::steady_clock::now() > give_up) {
        std::cerr << "task_list: " << topic << " did not reach its end within 60 s\n";
        return 1;
      }
    }
    consumer->unassign();
    RdKafka::TopicPartition::destroy(partitions);
  }
  consumer->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--follow") {
      args.follow = true;
    } else if ((arg == "--bootstrap" || arg == "--caseworker") && i + 1 < argc) {
      (arg == "--bootstrap" ? args.bootstrap : args.caseworker) = argv[++i];
    } else {
      args.bootstrap.clear();
      break;
    }
  }
  if (args.bootstrap.empty() || args.caseworker.empty()) {
    std::cerr << "usage: task_list --bootstrap HOST:PORT --caseworker ID [--follow]\n";
    return 2;
  }
  TaskList list(args.caseworker);
  const int status = Consume(args, &list);
  if (status == 0) list.Print();
  return status;
}
