#include "processor/kafka/changelog_restore.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "processor/engine/engine.h"
#include "processor/base/logging.h"

namespace fristvagt::processor {

namespace {

constexpr char kChangelogOffsetProgress[] = "changelog_offset";

uint64_t KeyHash(std::string_view key) { return std::hash<std::string_view>()(key); }

}  // namespace

namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Reads a length-delimited field's bytes without copying.
bool ReadView(CodedInputStream* in, std::string_view* out) {
  uint32_t length = 0;
  const void* data = nullptr;
  int available = 0;
  if (!in->ReadVarint32(&length)) return false;
  if (length == 0) {
    *out = std::string_view();
    return true;
  }
  if (!in->GetDirectBufferPointer(&data, &available) || available < 0 ||
      static_cast<uint32_t>(available) < length) {
    return false;
  }
  *out = std::string_view(static_cast<const char*>(data), length);
  return in->Skip(static_cast<int>(length));
}

bool Skip(CodedInputStream* in, uint32_t tag) { return WireFormatLite::SkipField(in, tag); }

// ObligationRecord: obligation_id = 1, next_timer_micros = 12 (the last occurrence wins).
bool ReadObligation(std::string_view bytes, std::string_view* id, int64_t* next_timer) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (uint32_t tag = in.ReadTag()) {
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      if (!ReadView(&in, id)) return false;
    } else if (tag == WireFormatLite::MakeTag(12, WireFormatLite::WIRETYPE_VARINT)) {
      uint64_t value = 0;
      if (!in.ReadVarint64(&value)) return false;
      *next_timer = static_cast<int64_t>(value);
    } else if (!Skip(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

// ParkedEvent: event = 1 (a CaseEvent, merged over occurrences; event_id = 1 in it),
// expires_micros = 2.
bool ReadParked(std::string_view bytes, std::string_view* event_id, int64_t* expires) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (uint32_t tag = in.ReadTag()) {
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      std::string_view event;
      if (!ReadView(&in, &event)) return false;
      CodedInputStream event_in(reinterpret_cast<const uint8_t*>(event.data()),
                                static_cast<int>(event.size()));
      while (uint32_t event_tag = event_in.ReadTag()) {
        if (event_tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
          if (!ReadView(&event_in, event_id)) return false;
        } else if (!Skip(&event_in, event_tag)) {
          return false;
        }
      }
      if (!event_in.ConsumedEntireMessage()) return false;
    } else if (tag == WireFormatLite::MakeTag(2, WireFormatLite::WIRETYPE_VARINT)) {
      uint64_t value = 0;
      if (!in.ReadVarint64(&value)) return false;
      *expires = static_cast<int64_t>(value);
    } else if (!Skip(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

}  // namespace

bool ArmedTimersOfRecord(const char* data, size_t len, std::vector<state::TimerKey>* out) {
  // Only the fields the timer comes from are read; the rest (facts, seen ids: most of the
  // bytes) are skipped by their lengths. PersonState: person_key = 1, obligations = 6,
  // parked = 7. State format 2: one timer per person, at its earliest moment.
  int64_t earliest = 0;
  auto take = [&earliest](int64_t micros) {
    if (micros != 0 && (earliest == 0 || micros < earliest)) earliest = micros;
  };
  std::string_view person_key;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(data), static_cast<int>(len));
  while (uint32_t tag = in.ReadTag()) {
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      if (!ReadView(&in, &person_key)) return false;
    } else if (tag == WireFormatLite::MakeTag(6, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      std::string_view bytes, id;
      int64_t next_timer = 0;
      if (!ReadView(&in, &bytes) || !ReadObligation(bytes, &id, &next_timer)) return false;
      take(next_timer);
    } else if (tag == WireFormatLite::MakeTag(7, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      std::string_view bytes, event_id;
      int64_t expires = 0;
      if (!ReadView(&in, &bytes) || !ReadParked(bytes, &event_id, &expires)) return false;
      take(expires);
    } else if (!Skip(&in, tag)) {
      return false;
    }
  }
  if (!in.ConsumedEntireMessage()) return false;
  out->clear();
  if (earliest != 0) out->push_back({earliest, std::string(person_key), ""});
  return true;
}

CommitQueue::CommitQueue(size_t max_bytes) : max_bytes_(max_bytes), thread_([this] { Run(); }) {}

CommitQueue::~CommitQueue() { Close().IgnoreError(); }

absl::Status CommitQueue::Push(state::StateStore* store, state::Batch batch, size_t bytes,
                               int* in_flight) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return bytes_ == 0 || bytes_ + bytes <= max_bytes_ || !error_.ok(); });
  if (!error_.ok()) return error_;
  bytes_ += bytes;
  ++*in_flight;
  jobs_.push_back({store, std::move(batch), bytes, in_flight});
  changed_.notify_all();
  return absl::OkStatus();
}

void CommitQueue::WaitFor(const int* in_flight) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return *in_flight == 0; });
}

absl::Status CommitQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void CommitQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return closed_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // closed and drained
    Job& job = jobs_.front();
    lock.unlock();
    // After an error the rest is not written (the restore fails), only accounted for.
    absl::Status s = error_.ok() ? job.store->Commit(job.batch) : absl::OkStatus();
    job.batch = state::Batch();
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = s;
    bytes_ -= job.bytes;
    --*job.in_flight;
    jobs_.pop_front();
    changed_.notify_all();
  }
}

PartitionRestorer::PartitionRestorer(state::StateStore* store, size_t batch_persons,
                                     CommitQueue* queue)
    : store_(store), batch_persons_(std::max<size_t>(1, batch_persons)), queue_(queue) {}

absl::Status PartitionRestorer::Apply(std::string_view key, const char* value, size_t value_len) {
  ++records_;
  if (key.empty()) return absl::OkStatus();
  if (key[0] == kChangelogProgressPrefix) {
    batch_.progress[std::string(key.substr(1))] =
        value == nullptr ? "" : std::string(value, value_len);
    pending_bytes_ += key.size() + value_len;
  } else {
    // The full parse first, so that a refused record leaves the batch as it was. Its timers
    // are the parsed record's (Engine::ArmedTimers, as the engine arms them).
    if (value != nullptr &&
        (value_len > INT_MAX || !scratch_.ParseFromArray(value, static_cast<int>(value_len)))) {
      return absl::DataLossError(
          "not a person record (it does not parse as fristvagt.v1.PersonState: a malformed "
          "field or a string that is not UTF-8)");
    }
    // Disarm what the previous record of this person armed, then arm the new one's. The
    // previous record is in the open batch, or was committed by this restore (the store was
    // empty when it began), or there is none.
    auto it = batch_timers_.find(key);
    if (it != batch_timers_.end()) {
      for (const auto& timer : it->second) batch_.RemoveTimer(timer);
      it->second.clear();
    } else {
      if (!seen_.insert(KeyHash(key)).second) {
        if (queue_ != nullptr) queue_->WaitFor(&in_flight_);  // the store is ours again
        // Written by this restore, so it parsed in full before: the field-skipping read will do.
        absl::StatusOr<std::optional<std::string>> stored = store_->GetPersonRecord(key);
        if (!stored.ok()) return stored.status();
        std::vector<state::TimerKey> previous;
        if (stored->has_value()) {
          if (!ArmedTimersOfRecord((*stored)->data(), (*stored)->size(), &previous)) {
            return absl::DataLossError("a person record this restore stored does not parse");
          }
          for (const auto& timer : previous) batch_.RemoveTimer(timer);
        }
      }
      it = batch_timers_.emplace(std::string(key), std::vector<state::TimerKey>()).first;
    }
    std::vector<state::TimerKey>& armed = it->second;
    if (value == nullptr) {
      batch_.persons[std::string(key)] = std::nullopt;
    } else {
      armed = Engine::ArmedTimers(scratch_);
      for (const auto& timer : armed) batch_.AddTimer(timer);
      // The changelog's bytes are the record: stored as they came, not re-serialized.
      batch_.persons[std::string(key)] = std::string(value, value_len);
    }
    pending_bytes_ += key.size() + value_len;
  }
  if (batch_.persons.size() >= batch_persons_) return Commit();
  return absl::OkStatus();
}

absl::Status PartitionRestorer::Commit() {
  if (batch_.empty()) return absl::OkStatus();
  absl::Status s = queue_ != nullptr
                       ? queue_->Push(store_, std::move(batch_), pending_bytes_, &in_flight_)
                       : store_->Commit(batch_);
  batch_ = state::Batch();
  batch_timers_.clear();
  pending_bytes_ = 0;
  return s;
}

absl::Status PartitionRestorer::Finish(int64_t high) {
  batch_.progress[kChangelogOffsetProgress] = std::to_string(high);
  return Commit();
}

absl::Status RestoreChangelogs(const RestoreOptions& options, std::vector<RestoreTarget>* targets) {
  struct Active {
    RestoreTarget* target;
    PartitionRestorer restorer;
    int64_t position;  // the next offset to read
    bool done = false;
  };
  std::optional<CommitQueue> queue;  // declared before the restorers that push to it
  std::map<int32_t, Active> active;
  for (RestoreTarget& target : *targets) {
    target.restored = 0;
    target.seconds = 0;
    if (target.high <= target.low) {
      state::Batch empty;
      empty.progress[kChangelogOffsetProgress] = std::to_string(target.high);
      if (absl::Status s = target.store->Commit(empty); !s.ok()) return s;
      continue;
    }
    active.emplace(
        std::piecewise_construct, std::forward_as_tuple(target.partition),
        std::forward_as_tuple(
            Active{&target, PartitionRestorer(target.store, options.batch_persons), target.low}));
  }
  if (active.empty()) return absl::OkStatus();
  if (options.writer_thread) {
    queue.emplace(options.pending_budget);
    for (auto& [id, a] : active) {
      a.restorer = PartitionRestorer(a.target->store, options.batch_persons, &*queue);
    }
  }

  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf(options.consumer_properties);
  if (!conf.ok()) return conf.status();
  if (options.configure != nullptr) options.configure(*conf);
  absl::StatusOr<KafkaHandle> reader = NewClient(RD_KAFKA_CONSUMER, *conf);
  if (!reader.ok()) return reader.status();
  PartitionList assignment(rd_kafka_topic_partition_list_new(static_cast<int>(active.size())));
  for (const auto& [id, a] : active) {
    rd_kafka_topic_partition_list_add(assignment.get(), options.topic.c_str(), id)->offset =
        a.target->low;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(reader->get(), assignment.get())) {
    return absl::UnavailableError(absl::StrCat("restore assign: ", rd_kafka_err2str(err)));
  }
  const absl::Time started = options.clock->Now();
  absl::Time last_progress = started;
  size_t remaining = active.size();
  size_t pending = 0;  // bytes in the open batches of all partitions (as of their last record)
  auto finish = [&](Active& a) -> absl::Status {
    pending -= a.restorer.pending_bytes();
    a.done = true;
    --remaining;
    a.target->restored = a.restorer.records();
    a.target->seconds = absl::ToDoubleSeconds(options.clock->Now() - started);
    return a.restorer.Finish(a.target->high);
  };
  while (remaining > 0) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(reader->get(), 500);
    if (message == nullptr) {
      if (options.clock->Now() - last_progress > options.stall_timeout) {
        for (const auto& [id, a] : active) {
          if (a.done) continue;
          return absl::UnavailableError(absl::StrCat(
              "restoring ", options.topic, "/", id, " stalled at offset ", a.position, " of [",
              a.target->low, ", ", a.target->high, ")",
              remaining > 1 ? absl::StrCat(" (and ", remaining - 1, " more partitions)") : ""));
        }
      }
      continue;
    }
    auto it = active.find(message->partition);
    if (it == active.end() || it->second.done) {
      rd_kafka_message_destroy(message);
      continue;
    }
    Active& a = it->second;
    absl::Status status = absl::OkStatus();
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      a.position = std::max(a.position, message->offset);
      last_progress = options.clock->Now();
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Logger("kafka")->warn("restore of {}/{}: {}", options.topic, message->partition,
                            rd_kafka_message_errstr(message));
    } else {
      a.position = message->offset + 1;
      last_progress = options.clock->Now();
      const std::string_view key =
          message->key == nullptr
              ? std::string_view()
              : std::string_view(static_cast<const char*>(message->key), message->key_len);
      const size_t before = a.restorer.pending_bytes();
      status = a.restorer.Apply(key, static_cast<const char*>(message->payload), message->len);
      if (!status.ok() && absl::IsDataLoss(status)) {
        // The key is personal data: the record is named by its position only.
        status = absl::DataLossError(absl::StrCat("restoring ", options.topic, "/",
                                                  message->partition, "@", message->offset,
                                                  ": ", status.message()));
      }
      pending = pending - before + a.restorer.pending_bytes();
      if (options.restored_counter != nullptr) options.restored_counter->fetch_add(1);
    }
    rd_kafka_message_destroy(message);
    if (!status.ok()) return status;
    if (a.position >= a.target->high) {
      if (absl::Status s = finish(a); !s.ok()) return s;
    } else if (pending > options.pending_budget) {
      // Bounded memory however many partitions restore at once: write every open batch.
      for (auto& [id, other] : active) {
        if (other.done || other.restorer.pending_bytes() == 0) continue;
        pending -= other.restorer.pending_bytes();
        if (absl::Status s = other.restorer.Commit(); !s.ok()) return s;
      }
    }
  }
  rd_kafka_consumer_close(reader->get());
  return queue.has_value() ? queue->Close() : absl::OkStatus();
}

}  // namespace fristvagt::processor
