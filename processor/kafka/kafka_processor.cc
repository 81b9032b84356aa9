#include "processor/kafka/kafka_processor.h"

#include "processor/input/key_partitioner.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "alerts/wire_format.h"
#include "processor/kafka/changelog_restore.h"
#include "processor/kafka/process_id.h"
#include "processor/kafka/stable_offsets.h"
#include "processor/base/logging.h"
#include "rules/course.h"
#include "state/crash_point.h"
#include "state/rocksdb_store.h"

namespace fristvagt::processor {

namespace {

constexpr char kInputOffsetProgress[] = "input_offset";
constexpr char kClockProgress[] = "clock_micros";
// A restore that reads nothing for this long fails (and the partition is not consumed) rather
// than leaving a partial store that the processor would take for the whole.
constexpr absl::Duration kRestoreStallTimeout = absl::Seconds(60);

// librdkafka's own diagnostics (connection failures, retries) go to the "kafka" logger, so
// they are JSON lines like every other log line instead of librdkafka's stderr format.
std::string LogSafe(const char* text) {
  std::string out(text != nullptr ? text : "");
  for (char& c : out) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = '\'';
  }
  return out;
}

void OnKafkaLog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const std::string line =
      absl::StrCat(rd_kafka_name(rk), " ", LogSafe(facility), ": ", LogSafe(message));
  if (level <= 3) {
    Logger("kafka")->error("{}", line);
  } else if (level == 4) {
    Logger("kafka")->warn("{}", line);
  } else {
    Logger("kafka")->info("{}", line);
  }
}

void OnKafkaError(rd_kafka_t* rk, int err, const char* reason, void*) {
  Logger("kafka")->warn("{}: {}: {}", rd_kafka_name(rk),
                        rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), LogSafe(reason));
}

void RouteKafkaLogs(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, &OnKafkaLog);
  rd_kafka_conf_set_error_cb(conf, &OnKafkaError);
}

// Adds what the engine counted since `reported` to the metrics.
void AddEngineCounters(const EngineCounters& now, EngineCounters* reported, Metrics* metrics) {
  metrics->events_applied.fetch_add(now.events_applied - reported->events_applied);
  metrics->events_redelivered.fetch_add(now.events_redelivered - reported->events_redelivered);
  metrics->events_parked.fetch_add(now.events_parked - reported->events_parked);
  metrics->timers_fired.fetch_add(now.timers_fired - reported->timers_fired);
  metrics->alerts_raised.fetch_add(now.alerts_raised - reported->alerts_raised);
  // Dead letters are counted, by code, when they are sent (RemoveSent): adding the engine's
  // count here too counted each one twice.
  *reported = now;
}

// A stored progress marker, or `absent` when none was ever written. A failed read or a value
// that is not a number is an error, never a guess: taking it as 0 would make the partition
// look new and delete its state, taking it as -1 would re-consume from the group's commit.
absl::StatusOr<int64_t> ProgressInt(state::StateStore* store, const char* name, int64_t absent) {
  absl::StatusOr<std::optional<std::string>> value = store->GetProgress(name);
  if (!value.ok()) {
    return absl::Status(value.status().code(), absl::StrCat("reading progress '", name,
                                                            "': ", value.status().message()));
  }
  if (!value->has_value()) return absent;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(**value, &parsed)) {
    return absl::DataLossError(
        absl::StrCat("progress '", name, "' is not a number: '", **value, "'"));
  }
  return parsed;
}

// FRISTVAGT_TEST_RESTORE_DELAY_MS (builds with test hooks only) holds a finished restore back
// that long before the partition is consumed, so that a test can watch /readyz answer 503
// while a partition is restored (a small restore takes milliseconds).
void TestRestoreDelay() {
#ifdef FRISTVAGT_TEST_HOOKS
  static const int64_t delay_ms = [] {
    const char* value = std::getenv("FRISTVAGT_TEST_RESTORE_DELAY_MS");
    return value != nullptr ? std::strtoll(value, nullptr, 10) : 0;
  }();
  if (delay_ms > 0) absl::SleepFor(absl::Milliseconds(delay_ms));
#endif
}

}  // namespace

KafkaProcessor::KafkaProcessor(const Config& config, const rules::Catalog& catalog,
                               Metrics* metrics, const Clock& clock)
    : config_(config),
      catalog_(catalog),
      clock_(clock),
      metrics_(metrics),
      decoder_(config.decode),
      workers_(config.threads) {}

KafkaProcessor::~KafkaProcessor() {
  AbandonInFlight();  // Run settles it; only a processor destroyed without Run's end has one
  if (store_listener != nullptr) store_listener->UnregisterAll();  // before stores close
}

absl::Status KafkaProcessor::Start(const std::string& bootstrap) {
  bootstrap_ = bootstrap;
  std::map<std::string, std::string> common = {{"bootstrap.servers", bootstrap},
                                               {"log_level", "4"}};
  std::map<std::string, std::string> consumer_props = common;
  consumer_props["group.id"] = config_.group_id;
  consumer_props["partition.assignment.strategy"] = "cooperative-sticky";
  consumer_props["enable.auto.commit"] = "false";
  consumer_props["enable.auto.offset.store"] = "false";
  consumer_props["auto.offset.reset"] = "earliest";
  consumer_props["isolation.level"] = "read_committed";
  // The statistics report the group join state, which GroupJoinWatch needs.
  consumer_props["statistics.interval.ms"] = "5000";
  // An empty fetch waits this long for data (librdkafka's default is 500 ms; the embedded broker
  // always waits it out), which bounds the event-to-alert latency at low rates.
  consumer_props["fetch.wait.max.ms"] = "50";
  // A member without partitions is looked at after four session timeouts (librdkafka's
  // default session is 45 s), never sooner than 30 s.
  int64_t session_ms = 45000;
  if (auto it = config_.kafka.find("session.timeout.ms"); it != config_.kafka.end()) {
    if (!absl::SimpleAtoi(it->second, &session_ms)) session_ms = 45000;
  }
  join_watch_ = std::make_unique<GroupJoinWatch>(
      config_.group_id, std::max(absl::Seconds(30), absl::Milliseconds(4 * session_ms)));
  std::map<std::string, std::string> producer_props = common;
  producer_props["enable.idempotence"] = "true";
  producer_props["linger.ms"] = "5";
  transactional_ = config_.guarantee == ProcessingGuarantee::kExactlyOnce;
  if (!config_.group_instance_id.empty()) {
    // Static membership (KIP-345): a restart within the session keeps the member's partitions
    // and causes no rebalance; the close does not leave the group.
    consumer_props["group.instance.id"] = config_.group_instance_id;
  }
  if (transactional_) {
    // The transactional id stays the same across restarts — from the static identity, else
    // from the state dir's process id — so the restarted instance's init aborts what its killed
    // predecessor left open at once (instead of read_committed readers waiting for
    // transaction.timeout.ms) and fences it for good.
    std::string identity = config_.group_instance_id;
    if (identity.empty()) {
      absl::StatusOr<std::string> process_id = LoadOrCreateProcessId(config_.state_dir);
      if (!process_id.ok()) return process_id.status();
      identity = *process_id;
    }
    transactional_id_ = absl::StrCat(config_.group_id, "-", identity);
    producer_props["transactional.id"] = transactional_id_;
  }
  for (const auto& [name, value] : config_.kafka) {
    consumer_props[name] = value;
    producer_props[name] = value;
  }

  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf(consumer_props);
  if (!conf.ok()) return conf.status();
  RouteKafkaLogs(*conf);
  rd_kafka_conf_set_rebalance_cb(*conf, &KafkaProcessor::OnRebalance);
  rd_kafka_conf_set_stats_cb(*conf, &KafkaProcessor::OnStatistics);
  rd_kafka_conf_set_opaque(*conf, this);
  absl::StatusOr<KafkaHandle> consumer = NewClient(RD_KAFKA_CONSUMER, *conf);
  if (!consumer.ok()) return consumer.status();
  consumer_ = std::move(*consumer);
  rd_kafka_poll_set_consumer(consumer_.get());
  absl::StatusOr<std::unique_ptr<PartitionQueues>> queues =
      PartitionQueues::Create(consumer_.get(), config_.topics.input);
  if (!queues.ok()) return queues.status();
  queues_ = std::move(*queues);

  conf = MakeConf(producer_props);
  if (!conf.ok()) return conf.status();
  RouteKafkaLogs(*conf);
  rd_kafka_conf_set_dr_msg_cb(*conf, &KafkaProcessor::OnDeliveryReport);
  absl::StatusOr<KafkaHandle> producer = NewClient(RD_KAFKA_PRODUCER, *conf);
  if (!producer.ok()) return producer.status();
  producer_ = std::move(*producer);
  if (transactional_) {
    if (rd_kafka_error_t* error = rd_kafka_init_transactions(producer_.get(), 60000)) {
      const std::string message = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      return absl::UnavailableError("cannot initialise Kafka transactions: " + message);
    }
  }

  metrics_->SetWaitingFor(absl::StrCat("an assignment: joining group ", config_.group_id,
                                       " on ", config_.topics.input));
  LearnOutputTopics();
  if (absl::Status s = Subscribe(); !s.ok()) return s;
  Logger("processor")
      ->info("consuming {} as group {} from {}{}", config_.topics.input, config_.group_id,
             bootstrap,
             transactional_ ? absl::StrCat(", transactional id ", transactional_id_) : "");
  return absl::OkStatus();
}

// The configured name of a logical outbox topic; nullptr for none.
const std::string* ConfiguredTopic(const TopicNames& names, v1::OutboxTopic topic) {
  switch (topic) {
    case v1::OUTBOX_ALERTS: return &names.alerts;
    case v1::OUTBOX_OBLIGATIONS: return &names.obligations;
    case v1::OUTBOX_DEAD_LETTERS: return &names.dead_letter;
    case v1::OUTBOX_CHANGELOG: return &names.changelog;
    default: return nullptr;
  }
}

// librdkafka learns an output topic's partitions only after the first message to it, at its
// next one-second topic scan: the first batch to reach each topic waited 0.8-1 s for that
// (issue 15: 1.8 s of a 3.3 s kafka_bench measurement, docs/benchmarks.md). Naming the topics
// up front and asking for their metadata once removes the wait. Best effort: when the broker
// does not answer now, librdkafka asks again by itself, as before.
void KafkaProcessor::LearnOutputTopics() {
  // Every topic the outbox can name, as ProduceEntry resolves it.
  for (int value = v1::OutboxTopic_MIN; value <= v1::OutboxTopic_MAX; ++value) {
    const std::string* name =
        ConfiguredTopic(config_.topics, static_cast<v1::OutboxTopic>(value));
    if (name == nullptr || name->empty()) continue;
    if (rd_kafka_topic_t* topic = rd_kafka_topic_new(producer_.get(), name->c_str(), nullptr)) {
      output_topics_.emplace_back(topic);
    }
  }
  const rd_kafka_metadata_t* metadata = nullptr;
  // all_topics = 0: the topics this producer knows, i.e. the ones just named.
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(producer_.get(), /*all_topics=*/0, nullptr, &metadata, 5000);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(metadata);
  } else {
    Logger("kafka")->info("the output topics' partitions are not known yet ({}); the first "
                          "batch asks again",
                          rd_kafka_err2str(err));
  }
}

absl::Status KafkaProcessor::Subscribe() {
  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), config_.topics.input.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), topics.get())) {
    return absl::InternalError(
        absl::StrCat("cannot subscribe to ", config_.topics.input, ": ", rd_kafka_err2str(err)));
  }
  join_watch_->Reset(clock_.Now());
  return absl::OkStatus();
}

int KafkaProcessor::OnStatistics(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  auto* self = static_cast<KafkaProcessor*>(opaque);
  self->join_watch_->OnStatistics(std::string_view(json, json_len));
  // Runs on the processing thread (inside rd_kafka_consumer_poll), as UpdateLag does.
  self->fetch_ends_ = FetchEndsOf(std::string_view(json, json_len), self->config_.topics.input);
  return 0;  // librdkafka frees `json`
}

void KafkaProcessor::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                 rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<KafkaProcessor*>(opaque);
  self->join_watch_->Reset(self->clock_.Now());
  // The round in flight goes out (or stays in the outboxes) before partitions change hands.
  if (absl::Status s = self->SettleInFlight(); !s.ok()) {
    Logger("processor")->warn("before the rebalance: {}", std::string(s.message()));
  }
  // What the open batch polled before the rebalance is applied first, as if applied when
  // polled: a revoked partition's flush then carries it, and no task runs during the change.
  self->ApplyPending(self->clock_.Now(), /*advance=*/false);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    self->Assign(partitions);
  } else {
    self->Revoke(partitions, rd_kafka_assignment_lost(rk));
  }
}

void KafkaProcessor::Assign(rd_kafka_topic_partition_list_t* partitions) {
  if (input_partitions_ == 0) {
    // The input's partition count, for CheckPartitioner; unknown (0) turns the check off.
    // Asked here, where the cluster has just answered, not at start, where it may be down.
    rd_kafka_topic_t* handle = rd_kafka_topic_new(consumer_.get(), config_.topics.input.c_str(),
                                                  nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(consumer_.get(), 0, handle, &metadata, 2000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        input_partitions_ = metadata->topics[0].partition_cnt;
      }
      rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(handle);
  }
  metrics_->ready = false;
  assigned_count_ = std::max(1, partitions->cnt);
  // Every partition's store is opened first; those whose changelog holds records they have not
  // seen are then restored together, through one consumer; only then is anything consumed.
  std::vector<RestoreTarget> restores;
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = partitions->elems[i];
    Partition& partition = partitions_[tp.partition];
    partition.id = tp.partition;
    absl::StatusOr<std::optional<RestoreTarget>> restore = OpenPartition(tp.partition, &partition);
    if (!restore.ok()) {
      // Without its state a partition must not be consumed: stop rather than reset.
      return Fail(absl::Status(restore.status().code(),
                               absl::StrCat("partition ", tp.partition, ": ",
                                            restore.status().message())));
    }
    if (restore->has_value()) restores.push_back(**restore);
  }
  for (int i = 0; i < partitions->cnt; ++i) metrics_->SetRestoreRemaining(partitions->elems[i].partition, 0);
  for (const RestoreTarget& r : restores) metrics_->SetRestoreRemaining(r.partition, r.high - r.low);
  if (!restores.empty()) {
    std::string which;
    int64_t records = 0;
    for (const RestoreTarget& r : restores) {
      absl::StrAppend(&which, which.empty() ? "" : ", ", r.partition);
      records += r.high - r.low;
    }
    metrics_->SetWaitingFor(absl::StrCat("the restore of partition", restores.size() > 1 ? "s " : " ",
                                         which, " from ", config_.topics.changelog, " (up to ",
                                         records, " records)"));
    if (absl::Status s = RestoreFromChangelog(&restores); !s.ok()) return Fail(s);
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = partitions->elems[i];
    Partition& partition = partitions_[tp.partition];
    const bool restored =
        std::any_of(restores.begin(), restores.end(),
                    [&](const RestoreTarget& r) { return r.partition == tp.partition; });
    if (absl::Status s = StartPartition(tp.partition, &partition, restored); !s.ok()) {
      return Fail(absl::Status(s.code(), absl::StrCat("partition ", tp.partition, ": ",
                                                      s.message())));
    }
    if (store_listener != nullptr) {
      store_listener->Register(tp.partition, partition.store.get());
    }
    tp.offset = partition.next_offset >= 0 ? partition.next_offset : RD_KAFKA_OFFSET_INVALID;
    Logger("processor")
        ->info("partition {} assigned, resuming at offset {}", tp.partition, partition.next_offset);
  }
  for (int i = 0; i < partitions->cnt; ++i) {  // before the assign: see partition_queues.h
    if (absl::Status s = queues_->Attach(partitions->elems[i].partition); !s.ok()) return Fail(s);
  }
  if (std::string(rd_kafka_rebalance_protocol(consumer_.get())) == "COOPERATIVE") {
    if (rd_kafka_error_t* error = rd_kafka_incremental_assign(consumer_.get(), partitions)) {
      const std::string message = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      return Fail(absl::InternalError(absl::StrCat("incremental assign: ", message)));
    }
  } else if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), partitions)) {
    return Fail(absl::InternalError(absl::StrCat("assign: ", rd_kafka_err2str(err))));
  }
  for (const RestoreTarget& r : restores) metrics_->SetRestoreRemaining(r.partition, 0);
  metrics_->SetPartitionsAssigned(static_cast<int64_t>(partitions_.size()));
  metrics_->ready = true;
}

absl::StatusOr<std::unique_ptr<state::StateStore>> KafkaProcessor::OpenStore(
    const std::string& dir, const state::StoreIdentity& identity) {
  if (open_store) return open_store(dir, identity);
  return state::OpenRocksDbStore(dir, identity);
}

void KafkaProcessor::Fail(absl::Status status) {
  // Runs on the processing thread, often inside librdkafka's rebalance callback, where
  // returning is the only safe exit: Run sees fatal_ after the poll and stops without
  // committing, so a restart resumes from the last committed batch. A partition whose engine
  // was never started (a failed assignment) is dropped here, so nothing touches it.
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    it = it->second.engine == nullptr ? partitions_.erase(it) : std::next(it);
  }
  if (!fatal_.ok()) return;
  Logger("processor")->critical("stopping: {}", std::string(status.message()));
  metrics_->SetWaitingFor(absl::StrCat("nothing: stopped on an error: ", status.message()));
  metrics_->ready = false;
  fatal_ = std::move(status);
}

void KafkaProcessor::CheckFenced() {
  char reason[512] = "";
  for (rd_kafka_t* client : {producer_.get(), consumer_.get()}) {
    if (client == nullptr) continue;
    const rd_kafka_resp_err_t err = rd_kafka_fatal_error(client, reason, sizeof(reason));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    // A fenced client cannot write again: another process with this identity took over (its
    // init aborted our open transaction, or its join replaced our static member). Carrying on
    // would only retry in vain; stopping leaves the partitions to it.
    const bool fenced = err == RD_KAFKA_RESP_ERR__FENCED ||
                        err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
                        err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
                        err == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
    return Fail(absl::AbortedError(absl::StrCat(
        fenced ? "fenced: another instance took over this one's identity (" : "Kafka client failed (",
        client == producer_.get() ? "transactional id " + transactional_id_
                                  : "group.instance.id " + config_.group_instance_id,
        "): ", reason, fenced ? "; this instance writes nothing more and exits" : "")));
  }
}

void KafkaProcessor::Revoke(rd_kafka_topic_partition_list_t* partitions, bool lost) {
  if (!lost && fatal_.ok()) {  // what the revoked partitions did goes out before they leave
    std::vector<Partition*> written;
    for (int i = 0; i < partitions->cnt; ++i) {
      auto it = partitions_.find(partitions->elems[i].partition);
      if (it == partitions_.end()) continue;
      if (absl::Status s = WriteBatch(&it->second); !s.ok()) {
        Logger("processor")
            ->warn("partition {}: flush on revoke: {}", it->first, std::string(s.message()));
        continue;
      }
      written.push_back(&it->second);
    }
    for (int32_t id : ProduceOutboxes(written)) {
      Logger("processor")
          ->warn(
              "partition {}: on revoke the broker did not acknowledge every message; they "
              "stay in the outbox",
              id);
    }
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    const int32_t id = partitions->elems[i].partition;
    auto it = partitions_.find(id);
    if (it == partitions_.end()) continue;
    if (store_listener != nullptr) store_listener->Unregister(id);
    queues_->Detach(id);
    partitions_.erase(it);
    metrics_->ForgetPartition(id);
    Logger("processor")->info("partition {} {}", id, lost ? "lost" : "revoked");
  }
  metrics_->SetPartitionsAssigned(static_cast<int64_t>(partitions_.size()));
  if (std::string(rd_kafka_rebalance_protocol(consumer_.get())) == "COOPERATIVE") {
    if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(consumer_.get(), partitions)) {
      Logger("processor")->warn("incremental unassign: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
  } else if (rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), nullptr)) {
    // The stores are closed already; a consumer that still fetches them gets nothing applied.
    Logger("processor")->warn("unassign: {}", rd_kafka_err2str(err));
  }
}

// Opens the partition's local store. When the changelog holds records this copy has not seen
// (the partition was processed elsewhere meanwhile, or this disk is new), the store is
// recreated empty and the partition is returned for a restore from the changelog.
absl::StatusOr<std::optional<RestoreTarget>> KafkaProcessor::OpenPartition(int32_t id,
                                                                           Partition* partition) {
  const std::string dir = absl::StrCat(config_.state_dir, "/", config_.topics.input, "-", id);
  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir, ec);
  // A dir that does not exist (or is empty) gets a new, empty store: exactly what a reset
  // would leave, so a restore into it needs no second open.
  bool fresh = false;
  {
    std::error_code exists_ec, dir_ec, empty_ec;
    if (!std::filesystem::exists(dir, exists_ec)) {
      fresh = !exists_ec;
    } else {
      fresh = std::filesystem::is_directory(dir, dir_ec) && !dir_ec &&
              std::filesystem::is_empty(dir, empty_ec) && !empty_ec;
    }
  }
  const state::StoreIdentity identity{config_.topics.input, id};
  absl::StatusOr<std::unique_ptr<state::StateStore>> store = OpenStore(dir, identity);
  if (!store.ok()) return store.status();
  int64_t low = 0;
  int64_t high = 0;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  for (int attempt = 0; attempt < 12 && err != RD_KAFKA_RESP_ERR_NO_ERROR; ++attempt) {
    err = QueryWatermarks(producer_.get(), config_.topics.changelog, id, &low, &high, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Logger("processor")
          ->warn("partition {}: changelog {} not reachable yet: {}", id, config_.topics.changelog,
                 rd_kafka_err2str(err));
    }
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the changelog offsets of ", config_.topics.changelog, "/", id));
  }
  absl::StatusOr<int64_t> seen_or = ProgressInt(store->get(), kChangelogOffsetProgress, 0);
  if (!seen_or.ok()) return seen_or.status();  // never reset a store we could not read
  const int64_t seen = *seen_or;
  // A committed transaction ends with a control record, so with exactly-once the high
  // watermark is one past the last record this copy wrote.
  const int64_t slack = transactional_ ? 1 : 0;
  std::optional<RestoreTarget> restore;
  if (high > seen + slack || high < seen) {
    if (high < seen) {
      Logger("processor")
          ->warn(
              "partition {}: the changelog ends at {} but this state dir has seen {}: the broker "
              "is new or the topic was recreated; rebuilding the state from the broker",
              id, high, seen);
    }
    Logger("processor")
        ->info("partition {}: restoring from {} [{}, {})", id, config_.topics.changelog, low, high);
    if (!fresh) {
      store->reset();
      std::filesystem::remove_all(dir, ec);
      store = OpenStore(dir, identity);
      if (!store.ok()) return store.status();
    }
    restore.emplace();
    restore->partition = id;
    restore->low = low;
    restore->high = high;
    restore->store = store->get();
  }
  partition->store = std::move(*store);
  return restore;
}

// Starts the engine of an opened (and, if needed, restored) partition.
absl::Status KafkaProcessor::StartPartition(int32_t id, Partition* partition, bool restored) {
  absl::StatusOr<int64_t> next_offset =
      ProgressInt(partition->store.get(), kInputOffsetProgress, -1);
  if (!next_offset.ok()) return next_offset.status();
  partition->next_offset = *next_offset;
  absl::StatusOr<int64_t> clock_or = ProgressInt(partition->store.get(), kClockProgress, INT64_MIN);
  if (!clock_or.ok()) return clock_or.status();
  const int64_t clock = *clock_or;
  EngineOptions options;
  options.language = config_.language;
  options.late_course_window = config_.late_course_window;
  options.emit_obligation_records = true;
  options.obligation_retention = absl::Hours(24 * config_.alert_output.obligation_retention_days);
  options.emit_changelog = true;
  options.cached_persons = static_cast<size_t>(config_.cached_persons / assigned_count_);
  options.max_events_per_person = static_cast<size_t>(config_.max_events_per_person);
  partition->engine = std::make_unique<Engine>(catalog_, partition->store.get(), options);
  partition->driver = std::make_unique<ClockDriver>(
      partition->engine.get(),
      clock == INT64_MIN ? absl::InfinitePast() : absl::FromUnixMicros(clock));
  // A restored store was created empty and the restore writes no outbox entries: nothing to
  // re-send. Otherwise whatever a crash left unsent goes out now. If the broker does not take
  // it yet, it stays in the outbox for the next batch: that is no reason to give the partition up.
  if (restored) return absl::OkStatus();
  if (absl::Status s = ProduceOutbox(partition); !s.ok()) {
    Logger("processor")
        ->warn("partition {}: re-sending the outbox: {}", id, std::string(s.message()));
  }
  return absl::OkStatus();
}

void KafkaProcessor::Collect(rd_kafka_message_t* message, absl::Time now) {
  Partition::Pending pending{{message, &rd_kafka_message_destroy}, now};
  if (message->err) {
    if (message->err == RD_KAFKA_RESP_ERR__FATAL) return CheckFenced();
    if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      Logger("kafka")->warn("consumer: {}", rd_kafka_message_errstr(message));
    }
    return;
  }
  auto it = partitions_.find(message->partition);
  if (it == partitions_.end()) return;
  batch_started_ = std::min(batch_started_, now);
  it->second.pending.push_back(std::move(pending));
}

void KafkaProcessor::CollectBatch(const std::atomic<bool>& stop) {
  const absl::Time batch_end = clock_.Now() + config_.batch_linger;
  const size_t batch_size = static_cast<size_t>(std::max(1, config_.batch_size));
  size_t count = 0;
  std::vector<rd_kafka_message_t*> taken;
  while (count < batch_size && !stop.load() && fatal_.ok()) {
    // Rebalances (which apply what is pending first), consumer errors and statistics.
    while (rd_kafka_message_t* event = rd_kafka_consumer_poll(consumer_.get(), 0)) {
      Collect(event, clock_.Now());
    }
    if (!fatal_.ok()) return;
    taken.clear();
    const size_t took =
        queues_->Take(batch_size - count, static_cast<size_t>(workers_.threads()), &taken);
    const absl::Time now = clock_.Now();
    for (rd_kafka_message_t* message : taken) Collect(message, now);
    count += took;
    if (count >= batch_size || (count > 0 && now >= batch_end)) return;
    if (took > 0) continue;  // a queue had less than its share: look once more before waiting
    // Nothing anywhere: wait for the first message (200 ms, then the loop comes round for the
    // wall clock), or after one for the rest of the linger.
    const int timeout_ms =
        count == 0 ? 200
                   : static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(batch_end - now)));
    if (timeout_ms == 0 || !queues_->Wait(timeout_ms)) return;
  }
}

void KafkaProcessor::ApplyPending(absl::Time now, bool advance) {
  std::vector<Partition*> all;
  for (auto& [id, partition] : partitions_) {
    partition.failure = absl::OkStatus();
    all.push_back(&partition);
  }
  if (fatal_.ok()) {
    workers_.Run(all.size(), [&](size_t i) {
      Partition* partition = all[i];
      for (const Partition::Pending& p : partition->pending) {
        if (!partition->failure.ok()) break;
        Apply(partition, p.message.get(), p.polled);
      }
      // The processing clock: deadlines that passed (also while we were down) fire now. Only
      // a partition without a backlog follows the wall clock; one still catching up keeps the
      // event-driven clock, or a restart would raise breaches its backlog retracts.
      if (advance && partition->failure.ok() && CaughtUp(*partition)) {
        partition->went_live = !partition->live;
        partition->live = true;
        AdvanceClock(partition, now);
      }
    });
  }
  // In partition order, so that the failure reported and the log lines do not depend on
  // which thread finished first.
  absl::Status failure;
  for (Partition* partition : all) {
    partition->pending.clear();  // destroys the messages, here on the polling thread
    metrics_->events_consumed.fetch_add(partition->consumed);
    partition->consumed = 0;
    ReportMisrouted(partition);
    if (partition->went_live) {
      partition->went_live = false;
      Logger("processor")
          ->info("partition {} caught up at offset {}: its clock follows the wall clock now",
                 partition->id, partition->next_offset);
    }
    if (failure.ok()) failure = partition->failure;
  }
  live_partitions_.store(static_cast<int>(
      std::count_if(partitions_.begin(), partitions_.end(), [](const auto& p) { return p.second.live; })));
  if (!failure.ok()) Fail(std::move(failure));
}

void KafkaProcessor::Apply(Partition* partition, const rd_kafka_message_t* message,
                           absl::Time now) {
  if (partition->next_offset >= 0 && message->offset < partition->next_offset) return;
  ++partition->consumed;
  if (partition->batch_first_timestamp_ms < 0) {
    partition->batch_first_timestamp_ms = rd_kafka_message_timestamp(message, nullptr);
  }
  const std::string raw(static_cast<const char*>(message->payload), message->len);
  std::optional<std::string_view> key;
  if (message->key != nullptr)
    key = std::string_view(static_cast<const char*>(message->key), message->key_len);
  const std::string topic = rd_kafka_topic_name(message->rkt);
  const std::string position = absl::StrCat(topic, "/", message->partition, "@", message->offset);
  // Protobuf is the contract; a JSON line is accepted too, so kcat users can type events.
  DecodeResult decoded =
      !raw.empty() && raw[0] == '{' ? decoder_.FromJson(raw) : decoder_.FromProtobuf(raw, key);
  if (auto* event = std::get_if<v1::CaseEvent>(&decoded);
      event != nullptr && key.has_value() && *key != event->person_key()) {
    decoded = Rejection{RejectCode::kKeyMismatch, "the Kafka key differs from person_key"};
  }
  if (key.has_value() && std::holds_alternative<v1::CaseEvent>(decoded)) {
    CheckPartitioner(*key, partition);
  }
  if (auto* rejection = std::get_if<Rejection>(&decoded)) {
    partition->engine->DeadLetter(
        raw, std::string(RejectCodeName(rejection->code)), rejection->message, position,
        key.has_value() ? std::string(*key) : "",
        {{"fristvagt.source.topic", topic},
         {"fristvagt.source.partition", std::to_string(message->partition)},
         {"fristvagt.source.offset", std::to_string(message->offset)}});
  } else {
    // The clock follows the event's recorded_at, never past the wall clock `now`.
    absl::Status s = partition->driver->Apply(std::get<v1::CaseEvent>(decoded), position, now);
    if (!s.ok()) {
      // Never skip an event: stop, and a restart resumes from the last committed batch.
      partition->failure = absl::Status(
          s.code(), absl::StrCat("partition ", partition->id, ": applying an event: ", s.message()));
      return;
    }
  }
  partition->next_offset = message->offset + 1;
  partition->dirty = true;
}

// input_partitions_ is written only in Assign, on the main thread while no task runs.
void KafkaProcessor::CheckPartitioner(std::string_view key, Partition* partition) const {
  if (input_partitions_ <= 0) return;
  const KeyPartitioner configured = config_.input_partitioner;
  if (PartitionForKey(configured, key, input_partitions_) == partition->id) return;
  const KeyPartitioner other = configured == KeyPartitioner::kMurmur2Random
                                   ? KeyPartitioner::kConsistentRandom
                                   : KeyPartitioner::kMurmur2Random;
  ++partition->misrouted;
  if (PartitionForKey(other, key, input_partitions_) == partition->id) {
    ++partition->misrouted_fit_other;
  }
}

void KafkaProcessor::ReportMisrouted(Partition* partition) {
  if (partition->misrouted == 0) return;
  metrics_->events_misrouted.fetch_add(partition->misrouted);
  misrouted_ += partition->misrouted;
  misrouted_fit_other_ += partition->misrouted_fit_other;
  partition->misrouted = 0;
  partition->misrouted_fit_other = 0;
  const KeyPartitioner configured = config_.input_partitioner;
  const KeyPartitioner other = configured == KeyPartitioner::kMurmur2Random
                                   ? KeyPartitioner::kConsistentRandom
                                   : KeyPartitioner::kMurmur2Random;
  // One record could be a producer's explicit choice; a few say what the producers do.
  constexpr uint64_t kEnough = 5;
  if (misrouting_reported_ || misrouted_ < kEnough) return;
  misrouting_reported_ = true;
  auto name = [](KeyPartitioner p) {
    return p == KeyPartitioner::kMurmur2Random ? "murmur2_random (murmur2, the Java client's)"
                                               : "consistent_random (crc32, librdkafka's)";
  };
  const std::string seems =
      misrouted_fit_other_ == misrouted_
          ? absl::StrCat("the producers seem to use ", name(other), ": set [input] partitioner = \"",
                         other == KeyPartitioner::kMurmur2Random ? "murmur2_random"
                                                                 : "consistent_random",
                         "\"")
          : std::string("the producers use neither murmur2 nor crc32 for these keys");
  const std::string hint = absl::StrCat(
      "input records arrive on partitions the configured [input] partitioner ", name(configured),
      " would not choose; ", seems);
  Logger("processor")->error("{} (fristvagt_processor_events_misrouted_total counts them)", hint);
  if (store_listener != nullptr) store_listener->OnMisrouted(hint);
}

void KafkaProcessor::AdvanceClock(Partition* partition, absl::Time to) {
  if (!partition->failure.ok()) return;
  const uint64_t fired = partition->driver->timers_fired();
  if (absl::Status s = partition->driver->AdvanceTo(to); !s.ok()) {
    partition->failure = absl::Status(
        s.code(), absl::StrCat("partition ", partition->id, ": firing timers: ", s.message()));
    return;
  }
  if (partition->driver->timers_fired() != fired) partition->dirty = true;
}

// Writes the partition's batch (state, outbox, progress) to its store. The clock and the input
// offset are written with a batch that changed something (events applied or timers fired),
// not on every idle batch: a restart resumes from the last written clock, which fired every
// timer that the unwritten moves would have fired, so it fires the same ones again.
absl::Status KafkaProcessor::WriteBatch(Partition* partition) {
  if (partition->dirty) {
    if (partition->driver->clock() != absl::InfinitePast()) {
      partition->engine->SetProgress(
          kClockProgress, std::to_string(absl::ToUnixMicros(partition->driver->clock())));
    }
    if (partition->next_offset >= 0) {
      partition->engine->SetProgress(kInputOffsetProgress, std::to_string(partition->next_offset));
    }
  }
  return partition->engine->Flush();
}


// Rebuilds the stores of `restores` from the changelog records [low, high), all partitions
// through one consumer (changelog_restore.h). Reads until the end of each partition (with
// exactly-once the last offsets are transaction markers that are never delivered); fails if
// the changelog stops delivering.
absl::Status KafkaProcessor::RestoreFromChangelog(std::vector<RestoreTarget>* restores) {
  RestoreOptions options;
  options.clock = &clock_;
  options.consumer_properties = {{"bootstrap.servers", bootstrap_},
                                 {"enable.auto.commit", "false"},
                                 {"group.id", config_.group_id + "-restore"},
                                 {"log_level", "4"}};
  for (const auto& [name, value] : config_.kafka) options.consumer_properties[name] = value;
  options.consumer_properties["isolation.level"] = "read_committed";
  options.consumer_properties["enable.partition.eof"] = "true";
  // Compaction or retention may have removed `low` meanwhile: start at the first record left,
  // never at the end (librdkafka's default), which would restore nothing.
  options.consumer_properties["auto.offset.reset"] = "earliest";
  options.topic = config_.topics.changelog;
  options.stall_timeout = kRestoreStallTimeout;
  options.restored_counter = &metrics_->restore_records;
  options.configure = &RouteKafkaLogs;
  const absl::Time started = clock_.Now();
  if (absl::Status s = RestoreChangelogs(options, restores); !s.ok()) return s;
  int64_t total = 0;
  int restored_partitions = 0;
  for (const RestoreTarget& r : *restores) {
    if (r.high <= r.low) continue;
    Logger("processor")
        ->info("partition {}: restored {} changelog records in {:.2f} s", r.partition, r.restored,
               r.seconds);
    total += r.restored;
    ++restored_partitions;
  }
  Logger("processor")
      ->info("restored {} changelog records of {} partitions in {:.2f} s", total,
             restored_partitions, absl::ToDoubleSeconds(clock_.Now() - started));
  for (int i = 0; i < restored_partitions; ++i) TestRestoreDelay();
  return absl::OkStatus();
}

absl::Status KafkaProcessor::CommitBatch(bool overlap) {
  if (!fatal_.ok()) return fatal_;
  std::vector<Partition*> written;
  // Only a batch with an event or a fired timer counts (and is timed): idle loops are not
  // batches, so batches_committed_total stays flat while nothing happens.
  const absl::Time started = std::min(batch_started_, clock_.Now());
  bool worked = false;
  for (auto& [id, partition] : partitions_) {
    worked = worked || partition.dirty;
    // Events and timers were applied since the last batch (in Apply and AdvanceClock).
    AddEngineCounters(partition.engine->counters(), &partition.reported, metrics_);
    written.push_back(&partition);
  }
  // Each partition's store write is its own task; nothing is produced or committed until all
  // of them are done. The previous batch's round may still be delivering meanwhile: it holds
  // copies of what it produces and touches no store.
  workers_.Run(written.size(),
               [&](size_t i) { written[i]->failure = WriteBatch(written[i]); });
  for (Partition* partition : written) {
    if (const absl::Status& s = partition->failure; !s.ok()) {
      // A store that cannot write is not a hiccup to retry past: stop before anything more is
      // consumed or produced; the failed partition's last committed batch and its offsets are
      // intact, and no input offset of this batch is committed (the other partitions' stores,
      // written now, resume from their own offsets; their outboxes go out after a restart).
      Fail(absl::Status(s.code(), absl::StrCat("partition ", partition->id,
                                               ": writing the batch: ", s.message())));
      return fatal_;
    }
  }
  // The previous round's entries stay in the outboxes until it is settled: settle it before
  // they are read again.
  absl::Status result = SettleInFlight();
  if (!fatal_.ok()) return fatal_;
  std::unique_ptr<Round> round = ReadRound(written);
  round->worked = worked;
  round->batch_started = started;
  for (Partition* partition : written) {
    round->batch.push_back({partition, partition->next_offset, partition->dirty,
                            partition->batch_first_timestamp_ms});
    partition->dirty = false;
    partition->batch_first_timestamp_ms = -1;
  }
  batch_started_ = absl::InfiniteFuture();
  if (!round->shares.empty()) produced_round_ = true;
  in_flight_ = std::move(round);
  if (overlap && !in_flight_->shares.empty()) {
    if (delivery_ == nullptr) delivery_ = std::make_unique<DeliveryThread>();
    Round* flying = in_flight_.get();
    flying->delivering = true;
    delivery_->Start([this, flying] { Deliver(flying); });
    return result;
  }
  Deliver(in_flight_.get());
  absl::Status settled = SettleInFlight();
  return result.ok() ? settled : result;
}

bool KafkaProcessor::CaughtUp(const Partition& partition) {
  int64_t low = -1;
  int64_t high = -1;
  if (rd_kafka_get_watermark_offsets(consumer_.get(), config_.topics.input.c_str(), partition.id,
                                     &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      high < 0) {
    return false;  // nothing fetched yet: a backlog may be on its way
  }
  int64_t position = partition.next_offset;
  if (position < 0) {
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), config_.topics.input.c_str(), partition.id);
    if (rd_kafka_position(consumer_.get(), list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      position = list->elems[0].offset;
    }
  }
  return position >= high || (position < 0 && high == low);
}

void KafkaProcessor::UpdateLag() {
  // Timers the wall clock has passed but the partition has not fired: a live partition fires
  // them every loop; one catching up on a backlog fires them when its events get there. At
  // most kDueCap are counted per partition, so the scan stays cheap.
  constexpr size_t kDueCap = 10000;
  const int64_t now_micros = absl::ToUnixMicros(clock_.Now());
  int64_t due = 0;
  for (const auto& [id, partition] : partitions_) {
    if (partition.live) continue;
    std::vector<state::TimerKey> timers;
    if (partition.store->ScanTimers(now_micros, kDueCap, &timers).ok()) {
      due += static_cast<int64_t>(timers.size());
    }
  }
  metrics_->timers_due.store(due);
  for (const auto& [id, partition] : partitions_) {
    int64_t low = 0;
    int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(consumer_.get(), config_.topics.input.c_str(), id, &low,
                                       &high) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      continue;
    }
    const int64_t position = partition.next_offset >= 0 ? partition.next_offset : low;
    // Under read_committed the end is the last stable offset (stable_offsets.h).
    auto seen = fetch_ends_.find(id);
    const int64_t end = ReachableEnd(
        high, seen == fetch_ends_.end() ? std::nullopt : std::make_optional(seen->second));
    metrics_->SetLag(id, std::max<int64_t>(0, end - position));
  }
}

absl::Status KafkaProcessor::Run(const std::atomic<bool>& stop) {
  absl::Time last_lag = absl::InfinitePast();
  absl::Time last_warning = absl::InfinitePast();
  while (!stop.load() && fatal_.ok()) {
    CollectBatch(stop);
    const absl::Time now = clock_.Now();
    ApplyPending(now, /*advance=*/true);
    if (absl::Status s = CommitBatch(config_.overlap_delivery);
        !s.ok() && now - last_warning > absl::Seconds(5)) {
      Logger("processor")->warn("{}", std::string(s.message()));
      last_warning = now;
    }
    if (fatal_.ok()) CheckFenced();  // a fatal error can come from librdkafka's own threads
    SendDueDigests(now);  // committed with the next batch
    if (produced_round_) FRISTVAGT_CRASH_POINT("kafka.between_batches");
    produced_round_ = false;
    join_watch_->LooksStuck(consumer_.get(), !partitions_.empty(), now);
    if (now - last_lag > absl::Seconds(1)) {
      UpdateLag();
      last_lag = now;
    }
  }
  if (!fatal_.ok()) {
    // Nothing of the open batch is written: the store and the group keep the last good batch.
    AbandonInFlight();
    queues_->DetachAll();
    rd_kafka_consumer_close(consumer_.get());
    return fatal_;
  }
  Logger("processor")->info("stopping: finishing the batch, flushing and committing");
  absl::Status final_commit = CommitBatch(/*overlap=*/false);
  queues_->DetachAll();
  rd_kafka_consumer_close(consumer_.get());
  rd_kafka_flush(producer_.get(),
                 static_cast<int>(absl::ToInt64Milliseconds(config_.shutdown_timeout)));
  return final_commit;
}

}  // namespace fristvagt::processor
