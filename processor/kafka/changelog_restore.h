#pragma once
// Rebuilding partition stores from the changelog (`fristvagt run`, KafkaProcessor::Assign).
//
// PartitionRestorer turns one partition's changelog records, in offset order, into store
// batches: the latest record per person wins, a tombstone removes the person, the timer index
// is re-created from the person records and the progress records are copied. Every person
// record is parsed in full before it is stored, as the store's own read (GetPerson) would parse
// it: a record that read would refuse (a malformed field, a string that is not UTF-8) stops the
// restore with DataLoss instead of being stored as it came and failing later, when the person
// is next loaded (found by changelog_restore_fuzz). It needs a store
// that was empty when the restore began (a restore always starts from a freshly created store),
// so the previous record of a key can only come from this restore: a key that this restore has
// not seen before needs no store lookup.
//
// RestoreChangelogs reads the changelog partitions of a whole assignment with one consumer, all
// at once, and feeds each partition's records to its own restorer.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "processor/base/clock.h"
#include "processor/kafka/kafka_client.h"
#include "proto/state.pb.h"
#include "state/store.h"

namespace fristvagt::processor {

// Writes batches on a thread of its own, in the order they were pushed, so that the RocksDB
// writes of one batch overlap with reading and preparing the next. A store that has batches in
// the queue belongs to that thread until they are written (WaitFor).
class CommitQueue {
 public:
  explicit CommitQueue(size_t max_bytes);  // Push waits while more than this is queued
  ~CommitQueue();                          // Close()
  // Queues `batch` for `store`; `*in_flight` counts the batches of its restorer until written.
  absl::Status Push(state::StateStore* store, state::Batch batch, size_t bytes, int* in_flight);
  // Returns when `*in_flight` is 0: every batch of that restorer is written.
  void WaitFor(const int* in_flight);
  // Writes what is queued, ends the thread; the first error of any Commit.
  absl::Status Close();

 private:
  struct Job {
    state::StateStore* store;
    state::Batch batch;
    size_t bytes;
    int* in_flight;
  };
  void Run();

  const size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Job> jobs_;
  size_t bytes_ = 0;
  bool closed_ = false;
  absl::Status error_;
  std::thread thread_;
};

class PartitionRestorer {
 public:
  // `store` must be empty; the restorer writes it with Commit, a batch per `batch_persons`,
  // through `queue` when given (which must outlive the restorer's last Commit).
  explicit PartitionRestorer(state::StateStore* store, size_t batch_persons = 4096,
                             CommitQueue* queue = nullptr);

  // One changelog record. `value` null is a tombstone. A key starting with
  // kChangelogProgressPrefix is a progress record. DataLoss, with nothing of the record in the
  // batch, when a value is not a person record that v1::PersonState's parser accepts.
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
  CommitQueue* queue_;
  int in_flight_ = 0;  // batches in queue_ not yet written (guarded by queue_)
  state::Batch batch_;
  // Timers armed by the open batch, per person key (disarmed again by a later record).
  std::map<std::string, std::vector<state::TimerKey>, std::less<>> batch_timers_;
  // Hashes of every person key restored so far. A key whose hash is absent has no earlier
  // record (no lookup); a collision only costs a lookup that finds nothing.
  std::unordered_set<uint64_t> seen_;
  // Reused for every record's full parse (its allocations are kept between records).
  v1::PersonState scratch_;
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
  bool writer_thread = true;                 // write batches on a second thread (CommitQueue)
  std::atomic<uint64_t>* restored_counter = nullptr;  // metrics, per record
  void (*configure)(rd_kafka_conf_t*) = nullptr;      // e.g. routing librdkafka's logs
  const Clock* clock = &WallClock::Get();             // stall detection, restore seconds
};

// Restores every target from the changelog, all partitions through one consumer. Fails if the
// changelog stops delivering for `stall_timeout` or holds a record that is not a person.
absl::Status RestoreChangelogs(const RestoreOptions& options, std::vector<RestoreTarget>* targets);

}  // namespace fristvagt::processor
