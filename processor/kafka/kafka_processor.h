#pragma once
// The live processor (`fristvagt run`): a member of a consumer group on the input topic that
// applies each partition's events through its own Engine and state store, fires deadlines by the
// wall clock, produces the outbox (alerts, obligations, dead letters, then the changelog) and
// commits. Partitions that move here are restored from the changelog before they are consumed.
// The main thread (Run) consumes, commits and handles rebalances; a batch's per-partition work
// — decode and apply, fire timers, write the store, read the outbox back — runs on
// `[processing] threads` (partition_workers.h), one task per partition, while the main thread
// waits. Producing a batch's outbox (outbox_delivery.cc) runs on the main thread too, or with
// `[processing] overlap_delivery` on a delivery thread of its own while the next batch is
// applied; librdkafka has threads of its own. Metrics is shared with HTTP.

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
#include "processor/kafka/delivery_thread.h"
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
// librdkafka, which reports them later; so the round outlives its Settle until the last report
// is in (the reports run inside rd_kafka_poll/flush, on whichever thread produces: only one
// thread at a time does).
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
  bool abandoned = false;  // the round was settled; the last report deletes it
};

// Releases a round: deletes it, or leaves it to its last outstanding report.
struct DeliveryRoundReleaser {
  void operator()(DeliveryRound* round) const {
    if (round->outstanding == 0) {
      delete round;
    } else {
      round->abandoned = true;
    }
  }
};

// The configured name of a logical outbox topic; nullptr for none.
const std::string* ConfiguredTopic(const TopicNames& names, v1::OutboxTopic topic);

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

  static constexpr char kChangelogOffsetProgress[] = "changelog_offset";

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
  // Writes the batch of every partition; then settles the previous batch's delivery round and
  // starts this one's: on the delivery thread when `overlap`, else before returning.
  absl::Status CommitBatch(bool overlap);
  absl::Status WriteBatch(Partition* partition);

  // --- outbox_delivery.cc: the outbox's way to the broker ---
  // An outbox entry's value as it goes out, made on the workers (ReadOutbox) so that the
  // serial part of a round is only the producing.
  struct WireForm {
    std::string content_type;          // empty: no content-type header
    std::optional<std::string> value;  // nullopt: the stored value as it is
  };
  // One partition's committed outbox in a delivery round, with what the round needs of the
  // partition as it was when the outbox was read (the next batch moves the partition on).
  struct OutboxShare {
    Partition* partition = nullptr;
    int32_t partition_id = 0;
    int64_t next_offset = -1;         // the input position the outbox belongs to
    int64_t first_timestamp_ms = -1;  // Kafka timestamp of its batch's first input, or -1
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
    std::vector<WireForm> wire;  // per entry
    size_t first_slot = 0;       // its entries' delivery slots start here
    bool ok = true;              // every message produced so far was acknowledged
  };
  // What CommitBatch hands a round of the batch it wrote: a partition's position, for the
  // group commit once the round is acknowledged, and what to restore if it is not.
  struct WrittenPartition {
    Partition* partition = nullptr;
    int64_t next_offset = -1;
    bool dirty = false;
    int64_t first_timestamp_ms = -1;
  };
  // One delivery round: read on the main thread (ReadRound), produced by Deliver (on the
  // delivery thread when overlapped), settled on the main thread (Settle).
  struct Round {
    std::vector<OutboxShare> shares;
    std::unique_ptr<DeliveryRound, DeliveryRoundReleaser> deliveries;  // released in Settle
    std::set<int32_t> unreadable;            // partitions whose outbox could not be read
    bool client_failed = false;  // a transaction call failed: Settle looks for a fenced client
    absl::Time acknowledged_at;  // when Deliver's last flush returned (the latency metric)
    std::vector<WrittenPartition> batch;  // empty for a round outside CommitBatch
    bool worked = false;                  // the batch applied an event or fired a timer
    absl::Time batch_started;
    bool delivering = false;  // Deliver runs on delivery_ (overlapped)
  };
  std::unique_ptr<Round> ReadRound(const std::vector<Partition*>& partitions);
  absl::Status ReadOutbox(OutboxShare* share);
  // Produces a round: alerts, obligations and dead letters of all shares and one flush, then
  // the changelog and one more flush, then the transaction's commit. Touches only the round,
  // the const config, librdkafka and atomic metrics, so it may run beside the workers.
  void Deliver(Round* round);
  bool ProduceEntry(const v1::OutboxEntry& entry, const WireForm& wire, int32_t input_partition,
                    DeliveryRound::Slot* slot);
  void CommitTransaction(std::vector<OutboxShare>* shares, bool* client_failed);
  // Main thread, no task running: removes what the broker acknowledged from the stores, counts
  // it, commits the batch's input offsets (at-least-once). Returns the partitions whose messages
  // were not all acknowledged; their entries stay in the outbox for the next round.
  std::set<int32_t> Settle(Round* round);
  absl::Status RemoveSent(const OutboxShare& share,
                          const std::vector<DeliveryRound::Slot>& deliveries);
  void CountSent(const OutboxShare& share, absl::Time acknowledged_at);
  // Read, Deliver and Settle in one go (rebalances, a partition's start).
  std::set<int32_t> ProduceOutboxes(const std::vector<Partition*>& partitions);
  absl::Status ProduceOutbox(Partition* partition);
  // Waits for the round in flight, if any, and settles it; Unavailable names the partitions
  // whose messages the broker did not all acknowledge. Before anything else touches the
  // producer or the stores' outboxes: a rebalance, the next round, the stop.
  absl::Status SettleInFlight();
  // Waits for the round in flight and drops it unsettled (the processor stops on an error;
  // what it sent stays in the outbox and goes again after the restart).
  void AbandonInFlight();
  static void OnDeliveryReport(rd_kafka_t*, const rd_kafka_message_t* message, void*);
  WireForm WireFormOf(const v1::OutboxEntry& entry) const;
  // --- end of outbox_delivery.cc ---

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
  std::unique_ptr<Round> in_flight_;  // the last batch's round, until settled
  std::unique_ptr<DeliveryThread> delivery_;  // runs in_flight_'s Deliver (overlap_delivery)
};

}  // namespace fristvagt::processor
