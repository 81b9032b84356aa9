#pragma once
// The live processor (`fristvagt run`): a member of a consumer group on the input topic that
// applies each partition's events through its own Engine and state store, fires deadlines by the
// wall clock, produces the outbox (alerts, obligations, dead letters, then the changelog) and
// commits. Partitions that move here are restored from the changelog before they are consumed.
// The main thread (Run) consumes, produces, commits and handles rebalances; a batch's
// per-partition work — decode and apply, fire timers, write the store — runs on
// `[processing] threads` (partition_workers.h), one task per partition, while the main thread
// waits; librdkafka has threads of its own. Metrics is shared with HTTP.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "processor/kafka/changelog_restore.h"
#include "processor/base/config.h"
#include "processor/engine/clock_driver.h"
#include "processor/engine/engine.h"
#include "processor/kafka/group_watch.h"
#include "processor/kafka/kafka_client.h"
#include "processor/kafka/partition_listener.h"
#include "processor/kafka/partition_queues.h"
#include "processor/kafka/partition_workers.h"
#include "processor/kafka/stable_offsets.h"
#include "processor/base/clock.h"
#include "processor/base/metrics.h"
#include "rules/regime.h"
#include "state/rocksdb_store.h"
#include "state/store.h"

namespace fristvagt::processor {

// The delivery reports of one produce round. A flush that times out leaves messages with
// librdkafka, which reports them later; so the round outlives ProduceOutbox until the last
// report is in (the reports run on the processing thread, inside rd_kafka_poll/flush).
struct DeliveryRound {
  struct Slot {
    DeliveryRound* round = nullptr;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    int64_t offset = -1;
  };
  explicit DeliveryRound(size_t n) : slots(n) {
    for (Slot& slot : slots) slot.round = this;
  }
  std::vector<Slot> slots;
  size_t outstanding = 0;  // produced, report not yet in
  bool abandoned = false;  // ProduceOutbox returned; the last report deletes the round
};

class KafkaProcessor {
 public:
  KafkaProcessor(const Config& config, const rules::Catalog& catalog, Metrics* metrics,
                 const Clock& clock = ProcessClock());
  ~KafkaProcessor();

  // Creates the clients against `bootstrap` and subscribes. Broker trouble is not an error
  // here: librdkafka keeps retrying and the loop logs what it sees.
  absl::Status Start(const std::string& bootstrap);
  // Processes until `stop` is set, then finishes the batch, flushes, commits and leaves the
  // group within the configured shutdown timeout.
  absl::Status Run(const std::atomic<bool>& stop);

  // Assigned partitions that caught up once and follow the wall clock (any thread may ask;
  // tests wait for it: with a still clock a live partition has fired all it ever will).
  int live_partitions() const { return live_partitions_.load(); }

  // Called for every alert the broker acknowledged (the demo prints them).
  std::function<void(const v1::Alert&)> on_alert;
  // When set, each partition's store is registered there (for the query API) while it is owned.
  PartitionStoreListener* store_listener = nullptr;
  // Opens a partition's store (RocksDB); tests wrap it to inject faults.
  std::function<absl::StatusOr<std::unique_ptr<state::StateStore>>(const std::string& dir,
                                                                  const state::StoreIdentity&)>
      open_store;

 private:
  struct Partition {
    int32_t id = 0;
    std::unique_ptr<state::StateStore> store;
    std::unique_ptr<Engine> engine;
    int64_t next_offset = -1;  // next input offset to apply; -1: from the group's commit
    // Owns the processing clock of rules.md §1. While catching up on a backlog it follows the
    // events' recorded_at (as replay does); once caught up it is the wall clock. So live and
    // replay give the same alerts, and a backlog does not raise breaches that its own later
    // events would retract a moment after.
    std::unique_ptr<ClockDriver> driver;
    bool live = false;        // caught up once since assigned: the clock is the wall clock
    bool dirty = false;       // events applied or timers fired since the last flush
    EngineCounters reported;  // the engine's counters as last added to the metrics
    // Kafka timestamp of the batch's first input message (-1: none yet), for the event→alert
    // latency metric.
    int64_t batch_first_timestamp_ms = -1;

    // Filled by the main thread while it polls; applied by a worker (ApplyPending).
    struct Pending {
      std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> message;
      absl::Time polled;  // the clock when it was polled: `now` for its Apply
    };
    std::vector<Pending> pending;
    // Written by this partition's task, read by the main thread after the round (see
    // ApplyPending): the first failure, and what the main thread reports for all partitions.
    absl::Status failure;
    uint64_t consumed = 0;             // input records applied or dead-lettered
    uint64_t misrouted = 0;            // keyed records on a partition the partitioner would not choose
    uint64_t misrouted_fit_other = 0;  // of those, the ones the other partitioner would choose
    bool went_live = false;            // caught up for the first time in this round
  };

  static int OnStatistics(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  void Assign(rd_kafka_topic_partition_list_t* partitions);
  void Revoke(rd_kafka_topic_partition_list_t* partitions, bool lost);
  absl::StatusOr<std::optional<RestoreTarget>> OpenPartition(int32_t id, Partition* partition);
  absl::Status StartPartition(int32_t id, Partition* partition, bool restored);
  absl::StatusOr<std::unique_ptr<state::StateStore>> OpenStore(
      const std::string& dir, const state::StoreIdentity& identity);
  // Stops processing for good (see fatal_).
  void Fail(absl::Status status);
  // Fails when librdkafka raised a fatal error on either client (fenced by a successor).
  void CheckFenced();
  absl::Status RestoreFromChangelog(std::vector<RestoreTarget>* restores);
  // Keeps a polled message for its partition's task (or handles a consumer error at once).
  void Collect(rd_kafka_message_t* message, absl::Time now);
  // Fills the open batch up to `batch_size` messages, a share from each partition (see
  // PartitionQueues), serving rebalances and errors on the way; waits up to the linger.
  void CollectBatch(const std::atomic<bool>& stop);
  // Applies every partition's pending messages on the workers and, with `advance`, moves the
  // clock of each caught-up partition to `now`; then reports, in partition order, what the
  // tasks found (the first failure stops the processor).
  void ApplyPending(absl::Time now, bool advance);
  // The task of one partition: runs on any worker thread and touches only `partition` (and
  // thread-safe things: the const config, catalog and decoder, librdkafka, atomic metrics).
  void Apply(Partition* partition, const rd_kafka_message_t* message, absl::Time now);
  void AdvanceClock(Partition* partition, absl::Time to);
  bool CaughtUp(const Partition& partition);
  absl::Status CommitBatch();
  absl::Status WriteBatch(Partition* partition);
  absl::Status ProduceOutbox(Partition* partition);
  struct OutboxShare;
  absl::Status ReadOutbox(OutboxShare* share);
  std::set<int32_t> ProduceOutboxes(const std::vector<Partition*>& partitions);
  // An outbox entry's value as it goes out, made on the workers (ReadOutbox) so that the main
  // thread's serial part of a round is only the producing.
  struct WireForm {
    std::string content_type;          // empty: no content-type header
    std::optional<std::string> value;  // nullopt: the stored value as it is
  };
  WireForm WireFormOf(const v1::OutboxEntry& entry) const;
  bool ProduceEntry(const v1::OutboxEntry& entry, const WireForm& wire, int32_t input_partition,
                    DeliveryRound::Slot* slot);
  void CommitTransaction(std::vector<OutboxShare>* shares);
  void CountSent(const OutboxShare& share);
  absl::Status RemoveSent(const OutboxShare& share,
                          const std::vector<DeliveryRound::Slot>& deliveries);
  void UpdateLag();
  void SendDueDigests(absl::Time now);  // kafka_digest.cc
  absl::Status Subscribe();
  void LearnOutputTopics();

  const Config& config_;
  const rules::Catalog& catalog_;
  const Clock& clock_;
  Metrics* metrics_;
  std::string bootstrap_;
  KafkaHandle consumer_;
  KafkaHandle producer_;
  // Each assigned partition's fetch queue (partition_queues.h); released before consumer_.
  std::unique_ptr<PartitionQueues> queues_;
  struct TopicDeleter {
    void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
  };
  std::vector<std::unique_ptr<rd_kafka_topic_t, TopicDeleter>> output_topics_;  // LearnOutputTopics
  bool transactional_ = false;
  std::string transactional_id_;  // exactly-once only
  std::map<int32_t, Partition> partitions_;
  absl::Time batch_started_ = absl::InfiniteFuture();  // first event of the open batch (metrics)
  int assigned_count_ = 1;  // partitions of the latest assignment, to share the person cache
  std::unique_ptr<GroupJoinWatch> join_watch_;
  std::map<int32_t, FetchEnds> fetch_ends_;  // from the latest statistics, for UpdateLag
  const EventDecoder decoder_;  // stateless: shared by the worker threads
  PartitionWorkers workers_;
  // The input's partition count (0: unknown) and what CheckPartitioner saw.
  int32_t input_partitions_ = 0;
  uint64_t misrouted_ = 0;
  uint64_t misrouted_fit_other_ = 0;  // of those, the ones the other partitioner would choose
  bool misrouting_reported_ = false;

  // Counts (in the partition, on its worker) a keyed record on a partition the configured
  // partitioner would not choose.
  void CheckPartitioner(std::string_view key, Partition* partition) const;
  // Adds a round's misrouted records; after a few, logs once which partitioner the producers
  // seem to use and tells the listener (main thread).
  void ReportMisrouted(Partition* partition);
  // The first failure after which nothing may be applied or committed (a store read or write,
  // an assignment that could not be made). Run returns it without a final commit.
  absl::Status fatal_;
  std::atomic<int> live_partitions_{0};
  bool produced_round_ = false;  // since the last batch boundary (the kafka.between_batches point)
};

}  // namespace fristvagt::processor
