#pragma once
// Rebuilding partition stores from the changelog (`fristvagt run`, KafkaProcessor::Assign).
//
// PartitionRestorer turns one partition's changelog records, in offset order, into store
// batches: the latest record per person wins, a tombstone removes the person, the timer index
// is re-created from the person records and the progress records are copied. It needs a store
// that was empty when the restore began (a restore always starts from a freshly created store),
// so the previous record of a key can only come from this restore: a key that this restore has
// not seen before needs no store lookup.
//
// RestoreChangelogs reads the changelog partitions of a whole assignment with one consumer, all
// at once, and feeds each partition's records to its own restorer.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "processor/kafka_client.h"
#include "state/store.h"

namespace fristvagt::processor {

class PartitionRestorer {
 public:
  // `store` must be empty; the restorer writes it with Commit, a batch per `batch_persons`.
  explicit PartitionRestorer(state::StateStore* store, size_t batch_persons = 4096);

  // One changelog record. `value` null is a tombstone. A key starting with
  // kChangelogProgressPrefix is a progress record. DataLoss when a value is not a person record.
  absl::Status Apply(std::string_view key, const char* value, size_t value_len);
  // Writes the open batch (if any).
  absl::Status Commit();
  // Records the changelog position `high` and writes the last batch.
  absl::Status Finish(int64_t high);

  size_t pending_bytes() const { return pending_bytes_; }
  int64_t records() const { return records_; }

 private:
  state::StateStore* store_;
  size_t batch_persons_;
  state::Batch batch_;
  // Timers armed by the open batch, per person key (disarmed again by a later record).
  std::map<std::string, std::vector<state::TimerKey>, std::less<>> batch_timers_;
  // Hashes of every person key restored so far. A key whose hash is absent has no earlier
  // record (no lookup); a collision only costs a lookup that finds nothing.
  std::unordered_set<uint64_t> seen_;
  size_t pending_bytes_ = 0;
  int64_t records_ = 0;
};

// The timers a serialized v1::PersonState arms: Engine::ArmedTimers of the parsed record, in
// the same order. False when the bytes are not a person record.
bool ArmedTimersOfRecord(const char* data, size_t len, std::vector<state::TimerKey>* out);

struct RestoreTarget {
  int32_t partition = 0;
  int64_t low = 0;                     // first changelog offset to read
  int64_t high = 0;                    // restore until the position reaches this offset
  state::StateStore* store = nullptr;  // empty, freshly created
  // Filled in by RestoreChangelogs:
  int64_t restored = 0;
  double seconds = 0;  // from the start of the restore until this partition was complete
};

struct RestoreOptions {
  std::map<std::string, std::string> consumer_properties;  // bootstrap, group, user settings
  std::string topic;                                       // the changelog topic
  absl::Duration stall_timeout = absl::Seconds(60);
  size_t batch_persons = 4096;               // per partition
  size_t pending_budget = size_t{64} << 20;  // bytes held in open batches of all partitions
  std::atomic<uint64_t>* restored_counter = nullptr;  // metrics, per record
  void (*configure)(rd_kafka_conf_t*) = nullptr;      // e.g. routing librdkafka's logs
};

// Restores every target from the changelog, all partitions through one consumer. Fails if the
// changelog stops delivering for `stall_timeout` or holds a record that is not a person.
absl::Status RestoreChangelogs(const RestoreOptions& options, std::vector<RestoreTarget>* targets);

}  // namespace fristvagt::processor
