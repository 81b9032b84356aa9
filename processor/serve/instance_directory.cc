#include "processor/serve/instance_directory.h"

#include <chrono>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "processor/base/logging.h"

namespace fristvagt::processor {

namespace {

constexpr int kFlushTimeoutMs = 5000;
constexpr int kLastFlushTimeoutMs = 2000;  // at shutdown, within the processor's own timeout

// The message's opaque is InstanceDirectory::delivery_, which outlives the producer.
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->_private != nullptr) {
    *static_cast<rd_kafka_resp_err_t*>(message->_private) = message->err;
  }
}

void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  if (level <= 4) Logger("kafka")->warn("{} {}: {}", rd_kafka_name(rk), facility, message);
}

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};

// The partition count of `topic`, or 0 when the broker does not (yet) know it.
int32_t PartitionCount(rd_kafka_t* client, const std::string& topic) {
  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> handle(
      rd_kafka_topic_new(client, topic.c_str(), nullptr));
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(client, 0, handle.get(), &metadata, 1000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return 0;
  }
  int32_t count = 0;
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    count = metadata->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(metadata);
  return count;
}

}  // namespace

std::string EncodeAnnouncement(const InstanceAnnouncement& announcement) {
  return absl::StrCat("address=", announcement.address,
                      "\npartitions=", absl::StrJoin(announcement.partitions, ","),
                      "\nannounced_micros=", announcement.announced_micros, "\n");
}

absl::StatusOr<InstanceAnnouncement> DecodeAnnouncement(std::string_view value) {
  InstanceAnnouncement out;
  bool has_address = false;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(value.data(), value.size()), '\n', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first == "address") {
      out.address = std::string(kv.second);
      has_address = !out.address.empty();
    } else if (kv.first == "partitions") {
      for (absl::string_view p : absl::StrSplit(kv.second, ',', absl::SkipEmpty())) {
        int32_t partition = 0;
        if (!absl::SimpleAtoi(p, &partition)) {
          return absl::InvalidArgumentError("announcement: bad partition list");
        }
        out.partitions.insert(partition);
      }
    } else if (kv.first == "announced_micros") {
      if (!absl::SimpleAtoi(kv.second, &out.announced_micros)) {
        return absl::InvalidArgumentError("announcement: bad announced_micros");
      }
    }  // unknown lines: announcements of a later version, read what is known
  }
  if (!has_address) return absl::InvalidArgumentError("announcement without an address");
  return out;
}

absl::StatusOr<std::unique_ptr<InstanceDirectory>> InstanceDirectory::Start(
    InstanceDirectoryOptions options, PartitionDirectory* directory) {
  std::unique_ptr<InstanceDirectory> self(new InstanceDirectory(std::move(options), directory));
  if (absl::Status s = self->CreateClients(); !s.ok()) return s;
  self->thread_ = std::thread([raw = self.get()] { raw->Loop(); });
  return self;
}

InstanceDirectory::~InstanceDirectory() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void InstanceDirectory::StopWithoutTombstone() {
  tombstone_at_stop_ = false;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status InstanceDirectory::CreateClients() {
  std::map<std::string, std::string> producer_props = {
      {"bootstrap.servers", options_.bootstrap}, {"log_level", "4"}, {"linger.ms", "0"}};
  std::map<std::string, std::string> reader_props = {
      {"bootstrap.servers", options_.bootstrap},
      {"log_level", "4"},
      {"group.id", options_.group_id + "-instances"},  // never joined: partitions are assigned
      {"enable.auto.commit", "false"},
      {"auto.offset.reset", "earliest"}};
  for (const auto& [name, value] : options_.kafka) {
    producer_props[name] = value;
    reader_props[name] = value;
  }
  producer_props.erase("transactional.id");  // announcements are not part of a transaction
  producer_props.erase("isolation.level");
  reader_props["enable.auto.commit"] = "false";
  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf(producer_props);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_log_cb(*conf, &OnLog);
  rd_kafka_conf_set_dr_msg_cb(*conf, &OnDelivery);
  absl::StatusOr<KafkaHandle> producer = NewClient(RD_KAFKA_PRODUCER, *conf);
  if (!producer.ok()) return producer.status();
  producer_ = std::move(*producer);
  conf = MakeConf(reader_props);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_log_cb(*conf, &OnLog);
  absl::StatusOr<KafkaHandle> reader = NewClient(RD_KAFKA_CONSUMER, *conf);
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);
  rd_kafka_poll_set_consumer(reader_.get());
  return absl::OkStatus();
}

void InstanceDirectory::Loop() {
  absl::Time next_metadata = absl::InfinitePast();
  absl::Time next_announce = absl::InfinitePast();
  uint64_t announced_version = ~uint64_t{0};  // announce at start: replaces a crashed run's claim
  while (!stop_.load()) {
    const absl::Time now = options_.clock->Now();
    if (now >= next_metadata) {
      RefreshMetadata();
      // Often while the topics are not known yet; then rarely, for partitions added later.
      const bool known = instances_partitions_ > 0 && input_partitions_ > 0;
      next_metadata = now + (known ? absl::Seconds(30) : absl::Seconds(1));
    }
    const uint64_t version = directory_->LocalVersion();
    if (version != announced_version && now >= next_announce) {
      if (Announce(/*tombstone=*/false)) {
        announced_version = version;
        announced_once_ = true;
      } else {
        next_announce = now + absl::Seconds(1);
      }
    }
    for (int i = 0; i < 100; ++i) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(reader_.get(), i == 0 ? 100 : 0);
      if (message == nullptr) break;
      Read(message);
      rd_kafka_message_destroy(message);
    }
  }
  // Gone: nobody should be sent here any more. The partitions' new owners announce themselves.
  if (announced_once_ && tombstone_at_stop_.load()) Announce(/*tombstone=*/true);
  rd_kafka_consumer_close(reader_.get());
}

void InstanceDirectory::RefreshMetadata() {
  const int32_t input = PartitionCount(producer_.get(), options_.input_topic);
  if (input > 0) {
    directory_->SetPartitionCount(input);
    input_partitions_ = input;
  }
  if (stop_.load()) return;
  const int32_t instances = PartitionCount(producer_.get(), options_.instances_topic);
  if (instances <= instances_partitions_) {
    if (instances == 0 && instances_partitions_ == 0 && !warned_unavailable_) {
      Logger("query")->warn("the instances topic {} is not available yet",
                            options_.instances_topic);
      warned_unavailable_ = true;
    }
    return;
  }
  PartitionList list(rd_kafka_topic_partition_list_new(instances));
  for (int32_t p = 0; p < instances; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), options_.instances_topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(reader_.get(), list.get())) {
    Logger("query")->warn("reading {}: {}", options_.instances_topic, rd_kafka_err2str(err));
    return;
  }
  instances_partitions_ = instances;
}

bool InstanceDirectory::Announce(bool tombstone) {
  InstanceAnnouncement announcement;
  announcement.address = options_.address;
  announcement.partitions = directory_->LocalPartitions();
  announcement.announced_micros = absl::ToUnixMicros(options_.clock->Now());
  const std::string value = tombstone ? "" : EncodeAnnouncement(announcement);
  rd_kafka_resp_err_t& delivered = delivery_;
  delivered = RD_KAFKA_RESP_ERR__IN_PROGRESS;
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_.get(), RD_KAFKA_V_TOPIC(options_.instances_topic.c_str()),
      RD_KAFKA_V_KEY(options_.instance_id.data(), options_.instance_id.size()),
      RD_KAFKA_V_VALUE(tombstone ? nullptr : const_cast<char*>(value.data()),
                       tombstone ? 0 : value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&delivered), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_flush(producer_.get(), tombstone ? kLastFlushTimeoutMs : kFlushTimeoutMs);
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || delivered != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Not sent in time: dropped, the next attempt sends the then current partitions.
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_.get(), 0);
    Logger("query")->warn("announcing this instance on {}: {}", options_.instances_topic,
                          rd_kafka_err2str(err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : delivered));
    return false;
  }
  Logger("query")->info("announced {} with partitions [{}] on {}", options_.address,
                        tombstone ? "" : absl::StrJoin(announcement.partitions, ","),
                        options_.instances_topic);
  return true;
}

void InstanceDirectory::Read(const rd_kafka_message_t* message) {
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      Logger("query")->warn("reading {}: {}", options_.instances_topic,
                            rd_kafka_message_errstr(message));
    }
    return;
  }
  if (message->key == nullptr) return;
  const std::string id(static_cast<const char*>(message->key), message->key_len);
  if (id == options_.instance_id) return;  // this instance knows its partitions first-hand
  if (message->payload == nullptr) {
    directory_->RemoveAnnouncement(id);
    return;
  }
  absl::StatusOr<InstanceAnnouncement> announcement = DecodeAnnouncement(
      std::string_view(static_cast<const char*>(message->payload), message->len));
  if (!announcement.ok()) {
    Logger("query")->warn("{}: ignoring an announcement of {}: {}", options_.instances_topic, id,
                          std::string(announcement.status().message()));
    return;
  }
  directory_->SetAnnouncement(id, *std::move(announcement));
}

}  // namespace fristvagt::processor
