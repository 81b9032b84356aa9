// The outbox's way to the broker: KafkaProcessor's delivery rounds (a member in its own file,
// as kafka_digest.cc is).
//
// A round reads the committed outboxes of the batch's partitions (ReadRound, on the workers),
// produces alerts, obligation records and dead letters and flushes, then the changelog and
// flushes again, then commits the transaction (Deliver), and finally removes what the broker
// acknowledged from the stores and commits the input offsets (Settle, main thread).
//
// Overlap (`[processing] overlap_delivery`, off by default): Deliver waits on the broker twice
// per round, and meanwhile the workers have nothing to do; two threads reached only 1.41 times
// one thread's throughput with 1.47 of 2 cores busy (docs/benchmarks.md, issue 15, session 10).
// With overlap, CommitBatch starts batch N's Deliver on the delivery thread (delivery_thread.h)
// and returns; the main thread collects and applies batch N+1 and writes its stores meanwhile,
// and settles N before it reads N+1's outbox. It is off by default because on the 2-core
// machine it raised the CPU per event and gained no throughput (session 11). What makes it
// safe:
//   - Deliver touches only its round (owned copies of the entries, the positions as they were
//     when the outbox was read), the const config, librdkafka and atomic metrics; the stores
//     and partitions are the main thread's and the workers'.
//   - Only one round is ever in flight, and the main thread produces (a rebalance, a
//     partition's start, the stop) only after SettleInFlight, so delivery reports run on one
//     thread at a time.
//   - The store is the truth, as before: N+1's write lands while N's entries are still in the
//     outbox; a crash then re-sends them after the restart (at-least-once), or the changelog,
//     whose records N's transaction committed or did not, restores the state (exactly-once),
//     exactly as a crash between N's commit and its RemoveSent did before.

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "alerts/wire_format.h"
#include "processor/base/logging.h"
#include "processor/kafka/kafka_processor.h"
#include "state/crash_point.h"

namespace fristvagt::processor {

namespace {

constexpr int kFlushTimeoutMs = 30000;

// True when librdkafka raised a fatal error on the client (thread-safe; CheckFenced says which).
bool ClientFailed(rd_kafka_t* client) {
  return client != nullptr &&
         rd_kafka_fatal_error(client, nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

// A dead letter the engine raises later (NO_COURSE, when a parked event expires) knows where
// its event came from only as "topic/partition@offset", the position Apply gave it; the
// dead-letter topic promises the source as three headers, so they are added from it.
void AddSourceHeaders(const v1::OutboxEntry& entry, rd_kafka_headers_t* headers) {
  if (entry.headers().count("fristvagt.source.topic") > 0) return;
  auto position = entry.headers().find("fristvagt.source.position");
  if (position == entry.headers().end()) return;
  const std::string& text = position->second;
  const size_t slash = text.rfind('/');
  const size_t at = text.rfind('@');
  int32_t partition = 0;
  int64_t offset = 0;
  if (slash == std::string::npos || at == std::string::npos || at < slash ||
      !absl::SimpleAtoi(text.substr(slash + 1, at - slash - 1), &partition) ||
      !absl::SimpleAtoi(text.substr(at + 1), &offset)) {
    return;  // not a Kafka position
  }
  const std::string topic = text.substr(0, slash);
  const std::string partition_text = std::to_string(partition);
  const std::string offset_text = std::to_string(offset);
  rd_kafka_header_add(headers, "fristvagt.source.topic", -1, topic.data(), topic.size());
  rd_kafka_header_add(headers, "fristvagt.source.partition", -1, partition_text.data(),
                      partition_text.size());
  rd_kafka_header_add(headers, "fristvagt.source.offset", -1, offset_text.data(),
                      offset_text.size());
}

// Unavailable naming the partitions whose messages the broker did not all acknowledge.
absl::Status NotAllAcknowledged(const std::set<int32_t>& failed) {
  if (failed.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "partition", failed.size() > 1 ? "s " : " ", absl::StrJoin(failed, ", "),
      ": the broker did not acknowledge every message; they stay in the outbox"));
}

}  // namespace

void KafkaProcessor::OnDeliveryReport(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* slot = static_cast<DeliveryRound::Slot*>(message->_private);
  if (slot == nullptr) return;
  slot->err = message->err;
  slot->offset = message->offset;
  DeliveryRound* round = slot->round;
  if (--round->outstanding == 0 && round->abandoned) delete round;
}

// The bytes a stored outbox value goes out as: alerts and obligation records in the configured
// wire format with a content-type header; everything else, and tombstones, unchanged. Runs on
// the workers: it reads only the const config.
KafkaProcessor::WireForm KafkaProcessor::WireFormOf(const v1::OutboxEntry& entry) const {
  const bool alert = entry.topic() == kAlertsTopic;
  const bool obligation = entry.topic() == kObligationsTopic;
  if (!alert && !obligation) return {};
  if (obligation && entry.value().empty()) return {};  // a tombstone goes as it is
  const alerts::WireMessage type =
      alert ? alerts::WireMessage::kAlert : alerts::WireMessage::kObligation;
  const alerts::WireFormat format = config_.alert_output.format;
  WireForm wire;
  wire.content_type = alerts::WireContentType(type, format);
  absl::StatusOr<std::string> encoded = alerts::EncodeForWire(type, entry.value(), format);
  if (encoded.ok()) {
    wire.value = std::move(*encoded);
  } else {
    // A value the outbox cannot re-encode would fail forever: it goes as stored.
    Logger("processor")->error("{}", std::string(encoded.status().message()));
  }
  return wire;
}

// Reads a partition's committed outbox. Changelog entries name a person: they carry the record
// the store holds now (a person erased since goes out as a tombstone).
absl::Status KafkaProcessor::ReadOutbox(OutboxShare* share) {
  state::StateStore* store = share->partition->store.get();
  if (absl::Status s = store->ScanOutbox(SIZE_MAX, &share->entries); !s.ok()) return s;
  for (auto& [seq, entry] : share->entries) {
    if (!entry.value_is_person()) continue;
    absl::StatusOr<std::optional<std::string>> record = store->GetPersonRecord(entry.key());
    if (!record.ok()) return record.status();
    entry.set_value(record->has_value() ? std::move(**record) : std::string());
  }
  share->wire.reserve(share->entries.size());
  for (const auto& [seq, entry] : share->entries) share->wire.push_back(WireFormOf(entry));
  return absl::OkStatus();
}

// Reads the committed outboxes of `partitions` on the workers, each with its partition's
// position; main thread, no task running.
std::unique_ptr<KafkaProcessor::Round> KafkaProcessor::ReadRound(
    const std::vector<Partition*>& partitions) {
  auto round = std::make_unique<Round>();
  std::vector<OutboxShare> read(partitions.size());
  std::vector<absl::Status> read_status(partitions.size());
  for (size_t i = 0; i < partitions.size(); ++i) {
    read[i].partition = partitions[i];
    read[i].partition_id = partitions[i]->id;
    read[i].next_offset = partitions[i]->next_offset;
    read[i].first_timestamp_ms = partitions[i]->batch_first_timestamp_ms;
  }
  workers_.Run(partitions.size(), [&](size_t i) { read_status[i] = ReadOutbox(&read[i]); });
  size_t slots = 0;
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (const absl::Status& s = read_status[i]; !s.ok()) {
      Logger("processor")
          ->warn("partition {}: reading the outbox: {}", read[i].partition_id,
                 std::string(s.message()));
      round->unreadable.insert(read[i].partition_id);
      continue;
    }
    if (read[i].entries.empty()) continue;
    read[i].first_slot = slots;
    slots += read[i].entries.size();
    round->shares.push_back(std::move(read[i]));
  }
  if (!round->shares.empty()) round->deliveries.reset(new DeliveryRound(slots));
  return round;
}

// One round for all partitions instead of one per partition: the two broker round trips of a
// round bounded the processor, not the engine (issue 8).
void KafkaProcessor::Deliver(Round* round) {
  std::vector<OutboxShare>& shares = round->shares;
  if (shares.empty()) return;
  auto fail_all = [&] {
    for (OutboxShare& share : shares) share.ok = false;
  };
  FRISTVAGT_CRASH_POINT("kafka.after_store_write");
  if (transactional_) {
    if (rd_kafka_error_t* error = rd_kafka_begin_transaction(producer_.get())) {
      Logger("kafka")->warn("begin transaction: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      fail_all();
      round->client_failed = true;
    }
  }
  DeliveryRound* deliveries_round = round->deliveries.get();
  std::vector<DeliveryRound::Slot>& deliveries = deliveries_round->slots;
  auto produce_phase = [&](bool changelog) {
    for (OutboxShare& share : shares) {
      if (!share.ok) continue;
      for (size_t i = 0; i < share.entries.size(); ++i) {
        const v1::OutboxEntry& entry = share.entries[i].second;
        if ((entry.topic() == kChangelogTopic) != changelog) continue;
        DeliveryRound::Slot& slot = deliveries[share.first_slot + i];
        if (ProduceEntry(entry, share.wire[i], share.partition_id, &slot)) {
          ++deliveries_round->outstanding;
        }
      }
    }
    rd_kafka_flush(producer_.get(), kFlushTimeoutMs);
    for (OutboxShare& share : shares) {
      if (!share.ok) continue;
      for (size_t i = 0; i < share.entries.size(); ++i) {
        if ((share.entries[i].second.topic() == kChangelogTopic) != changelog) continue;
        if (deliveries[share.first_slot + i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          share.ok = false;
          metrics_->produce_failures.fetch_add(1);
        }
      }
    }
  };
  // Alerts, obligations and dead letters first, the changelog after: a changelog that has a
  // batch implies its alerts reached the broker, so a restore never skips unsent alerts.
  produce_phase(false);
  round->acknowledged_at = clock_.Now();
  FRISTVAGT_CRASH_POINT("kafka.between_phases");
  produce_phase(true);
  if (transactional_) CommitTransaction(&shares, &round->client_failed);
  FRISTVAGT_CRASH_POINT("kafka.after_produce_before_ack");
}

std::set<int32_t> KafkaProcessor::Settle(Round* round) {
  std::set<int32_t> failed = round->unreadable;
  std::vector<OutboxShare>& shares = round->shares;
  if (round->client_failed) CheckFenced();
  // The stores forget what was acknowledged on the workers; counting stays here, in order.
  std::vector<absl::Status> removed(shares.size());
  if (fatal_.ok()) {
    workers_.Run(shares.size(), [&](size_t i) {
      if (shares[i].ok) removed[i] = RemoveSent(shares[i], round->deliveries->slots);
    });
  }
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].ok && fatal_.ok()) CountSent(shares[i], round->acknowledged_at);
    if (!shares[i].ok || !removed[i].ok() || !fatal_.ok()) failed.insert(shares[i].partition_id);
  }
  round->deliveries.reset();
  // The batch the round carried: its input offsets go to the group once acknowledged; a
  // partition whose messages were not all acknowledged keeps its batch open for the next one.
  PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(round->batch.size())));
  for (const WrittenPartition& written : round->batch) {
    Partition* partition = written.partition;
    if (failed.count(partition->id) > 0) {
      partition->dirty = partition->dirty || written.dirty;
      if (written.first_timestamp_ms >= 0) {
        partition->batch_first_timestamp_ms = written.first_timestamp_ms;
      }
      continue;
    }
    if (written.dirty && written.next_offset >= 0) {
      rd_kafka_topic_partition_list_add(offsets.get(), config_.topics.input.c_str(), partition->id)
          ->offset = written.next_offset;
    }
  }
  if (offsets->cnt > 0 && !transactional_) {
    // The store's offsets are the truth a restart resumes from; the group's commit only tells
    // a new owner where to start before its restore. A failure is reported, not fatal.
    if (rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), offsets.get(), /*async=*/1)) {
      Logger("processor")->warn("committing input offsets: {}", rd_kafka_err2str(err));
    }
  }
  if (round->worked) {
    metrics_->batches_committed.fetch_add(1);
    metrics_->ObserveBatch(absl::ToDoubleSeconds(clock_.Now() - round->batch_started));
  }
  return failed;
}

std::set<int32_t> KafkaProcessor::ProduceOutboxes(const std::vector<Partition*>& partitions) {
  std::unique_ptr<Round> round = ReadRound(partitions);
  if (!round->shares.empty()) produced_round_ = true;
  Deliver(round.get());
  return Settle(round.get());
}

absl::Status KafkaProcessor::ProduceOutbox(Partition* partition) {
  return NotAllAcknowledged(ProduceOutboxes({partition}));
}

absl::Status KafkaProcessor::SettleInFlight() {
  if (in_flight_ == nullptr) return absl::OkStatus();
  std::unique_ptr<Round> round = std::move(in_flight_);
  if (round->delivering) delivery_->Wait();
  return NotAllAcknowledged(Settle(round.get()));
}

void KafkaProcessor::AbandonInFlight() {
  if (in_flight_ == nullptr) return;
  if (in_flight_->delivering) delivery_->Wait();
  in_flight_.reset();
}

// Produces one outbox entry to its topic; false (with the error in `slot`) when librdkafka
// refused it. Runs on the thread that delivers.
bool KafkaProcessor::ProduceEntry(const v1::OutboxEntry& entry, const WireForm& wire,
                                  int32_t input_partition, DeliveryRound::Slot* slot) {
  const bool changelog = entry.topic() == kChangelogTopic;
  const std::string* topic_name = ConfiguredTopic(config_.topics, entry.topic());
  if (topic_name == nullptr) {
    // Only a damaged entry has no topic (the engine always sets one): fail the round loudly
    // rather than guess where it goes.
    Logger("processor")->error("an outbox entry names no topic ({}): not produced",
                               static_cast<int>(entry.topic()));
    slot->err = RD_KAFKA_RESP_ERR__INVALID_ARG;
    return false;
  }
  const std::string& topic = *topic_name;
  rd_kafka_headers_t* headers = rd_kafka_headers_new(entry.headers_size() + 3);
  for (const auto& [name, value] : entry.headers()) {
    rd_kafka_header_add(headers, name.c_str(), -1, value.data(), value.size());
  }
  if (entry.topic() == kDeadLetterTopic) AddSourceHeaders(entry, headers);
  if (!wire.content_type.empty()) {
    rd_kafka_header_add(headers, "content-type", -1, wire.content_type.data(),
                        wire.content_type.size());
  }
  // An empty value on a compacted topic (changelog, obligations) is a tombstone.
  const bool tombstone = entry.value().empty() && (changelog || entry.topic() == kObligationsTopic);
  const std::string& value = wire.value.has_value() ? *wire.value : entry.value();
  rd_kafka_resp_err_t err;
  do {
    err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_PARTITION(entry.to_input_partition() ? input_partition : RD_KAFKA_PARTITION_UA),
        RD_KAFKA_V_KEY(entry.key().empty() ? nullptr : entry.key().data(), entry.key().size()),
        RD_KAFKA_V_VALUE(tombstone ? nullptr : const_cast<char*>(value.data()),
                         tombstone ? 0 : value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer_.get(), 100);
  } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  rd_kafka_headers_destroy(headers);
  slot->err = err;
  return false;
}

// Exactly-once: the round's messages and the input offsets of its partitions commit as one
// transaction, or none of it does (and every share fails).
void KafkaProcessor::CommitTransaction(std::vector<OutboxShare>* shares, bool* client_failed) {
  bool ok = std::all_of(shares->begin(), shares->end(), [](const auto& s) { return s.ok; });
  if (ok) {
    PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(shares->size())));
    for (const OutboxShare& share : *shares) {
      rd_kafka_topic_partition_list_add(offsets.get(), config_.topics.input.c_str(),
                                        share.partition_id)
          ->offset = share.next_offset;
    }
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer_.get());
    rd_kafka_error_t* error =
        rd_kafka_send_offsets_to_transaction(producer_.get(), offsets.get(), group, 30000);
    rd_kafka_consumer_group_metadata_destroy(group);
    if (error == nullptr) error = rd_kafka_commit_transaction(producer_.get(), 30000);
    if (error != nullptr) {
      const bool fatal = rd_kafka_error_is_fatal(error);
      Logger("kafka")->warn("transaction failed{}: {}", fatal ? "" : ", will retry",
                            rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      ok = false;
    }
  }
  if (ok) return;
  for (OutboxShare& share : *shares) share.ok = false;
  *client_failed = true;  // Settle looks for a fenced client (CheckFenced, main thread)
  if (ClientFailed(producer_.get()) || ClientFailed(consumer_.get())) {
    return;  // a fenced producer cannot even abort; the successor did
  }
  if (rd_kafka_error_t* error = rd_kafka_abort_transaction(producer_.get(), 30000)) {
    rd_kafka_error_destroy(error);
  }
}

// Removes a share's acknowledged entries from its outbox and records how far its changelog
// got (a worker task: it touches only the share's store).
absl::Status KafkaProcessor::RemoveSent(const OutboxShare& share,
                                        const std::vector<DeliveryRound::Slot>& deliveries) {
  state::Batch done;
  int64_t changelog_next = -1;
  for (size_t i = 0; i < share.entries.size(); ++i) {
    done.outbox_removed.push_back(share.entries[i].first);
    if (share.entries[i].second.topic() == kChangelogTopic) {
      changelog_next = std::max(changelog_next, deliveries[share.first_slot + i].offset + 1);
    }
  }
  if (changelog_next >= 0) done.progress[kChangelogOffsetProgress] = std::to_string(changelog_next);
  return share.partition->store->Commit(done);
}

// Counts an acknowledged share's alerts and dead letters for the metrics and hands its alerts
// to on_alert (main thread, in Settle).
void KafkaProcessor::CountSent(const OutboxShare& share, absl::Time acknowledged_at) {
  for (const auto& [seq, entry] : share.entries) {
    if (entry.topic() == kDeadLetterTopic) {
      const auto code = entry.headers().find("fristvagt.error.code");
      metrics_->AddDeadLetter(code != entry.headers().end() ? code->second : "UNKNOWN");
    } else if (entry.topic() == kAlertsTopic) {
      // The headers count it; the alert is parsed only for an on_alert listener (demo).
      const auto header = [&](const char* name) -> std::string {
        const auto it = entry.headers().find(name);
        return it != entry.headers().end() ? it->second : "";
      };
      metrics_->AddAlert(header("fristvagt.kind"), header("fristvagt.rule"),
                         header("fristvagt.municipality"));
      if (share.first_timestamp_ms > 0) {
        metrics_->ObserveEventToAlert(absl::ToDoubleSeconds(
            acknowledged_at - absl::FromUnixMillis(share.first_timestamp_ms)));
      }
      v1::Alert alert;
      if (on_alert && alert.ParseFromString(entry.value())) on_alert(alert);
    }
  }
}
}  // namespace fristvagt::processor
