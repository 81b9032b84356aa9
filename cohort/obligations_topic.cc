#include "cohort/obligations_topic.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace fristvagt::cohort {

namespace {

// Protobuf, or JSON when the content-type header says so ([alerts] format = "json").
bool ParseObligation(RdKafka::Message& m, v1::Obligation* out) {
  const char* bytes = static_cast<const char*>(m.payload());
  std::string type;
  if (RdKafka::Headers* headers = m.headers()) {
    RdKafka::Headers::Header h = headers->get_last("content-type");
    if (h.err() == RdKafka::ERR_NO_ERROR && h.value() != nullptr) {
      type.assign(static_cast<const char*>(h.value()), h.value_size());
    }
  }
  if (absl::StrContains(type, "json")) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    return google::protobuf::util::JsonStringToMessage(std::string(bytes, m.len()), out, options)
        .ok();
  }
  return out->ParseFromArray(bytes, static_cast<int>(m.len()));
}

}  // namespace

absl::StatusOr<ObligationSet> ReadObligationsTopic(const std::string& bootstrap,
                                                   const std::string& topic,
                                                   absl::Duration timeout) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"bootstrap.servers", bootstrap},
           {"group.id", "fristvagt-report"},  // never joined nor committed: partitions are assigned
           {"enable.auto.commit", "false"},
           {"enable.partition.eof", "true"},
           {"isolation.level", "read_committed"}}) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("--bootstrap: ", name, ": ", error));
    }
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return absl::UnavailableError("--bootstrap: " + error);
  RdKafka::Metadata* raw = nullptr;
  if (RdKafka::ErrorCode e = consumer->metadata(true, nullptr, &raw, 10000);
      e != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("no metadata from ", bootstrap, ": ", RdKafka::err2str(e)));
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->topic() != topic) continue;
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
      partitions.push_back(
          RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  if (partitions.empty()) return absl::NotFoundError("topic " + topic + " not found at " + bootstrap);
  consumer->assign(partitions);
  std::map<std::string, v1::Obligation> latest;
  ObligationSet set;
  set.source = absl::StrCat("topic ", topic, " at ", bootstrap);
  size_t at_end = 0;
  absl::Status status;
  // A network timeout, not processing time: measured on the monotonic clock, which neither
  // the simulated process clock nor a wall-clock step can move.
  const auto give_up = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  while (at_end < partitions.size()) {
    if (std::chrono::steady_clock::now() > give_up) {
      status = absl::DeadlineExceededError(
          absl::StrCat(topic, " did not reach its end within ", absl::FormatDuration(timeout)));
      break;
    }
    std::unique_ptr<RdKafka::Message> m(consumer->consume(200));
    if (m->err() == RdKafka::ERR__PARTITION_EOF) {
      ++at_end;
      continue;
    }
    if (m->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (m->err() != RdKafka::ERR_NO_ERROR) {
      status = absl::UnavailableError(absl::StrCat("reading ", topic, ": ", m->errstr()));
      break;
    }
    const std::string key = m->key() ? *m->key() : "";
    set.as_of = std::max(set.as_of, absl::FromUnixMillis(m->timestamp().timestamp));
    if (m->payload() == nullptr) {
      latest.erase(key);
      continue;
    }
    v1::Obligation ob;
    if (!ParseObligation(*m, &ob)) {
      status = absl::DataLossError(absl::StrCat(topic, " partition ", m->partition(), " offset ",
                                                m->offset(), ": not an Obligation"));
      break;
    }
    latest[key] = std::move(ob);
  }
  consumer->unassign();
  RdKafka::TopicPartition::destroy(partitions);
  consumer->close();
  if (!status.ok()) return status;
  std::map<std::string, bool> persons;
  for (const auto& [id, ob] : latest) {
    persons[ob.person_key()] = true;
    AddObligation(ob, &set);
  }
  set.persons = persons.size();
  return set;
}

}  // namespace fristvagt::cohort
