#pragma once
// Each assigned input partition's fetched messages in a queue of its own, so that one batch
// takes events from as many partitions as there are `[processing] threads`, and the threads
// get one task of similar size each.
//
// Why: librdkafka forwards every partition's fetch queue to the one consumer queue that
// rd_kafka_consumer_poll serves, and it enqueues a fetched message set whole. A batch of 500
// events then came 96-98 % from one partition (issue 15, docs/benchmarks.md), so with two
// threads one worker had the batch and the other nothing. Here every partition's queue is
// taken off that forwarding (rd_kafka_queue_forward(q, NULL), before the partition is
// assigned, so no message reaches the consumer queue first), and the processor takes a share
// from each of N of them with rd_kafka_consume_batch_queue. The consumer queue still carries rebalances,
// errors and statistics; rd_kafka_consumer_poll serves it as before.
//
// Waiting for "any queue": librdkafka writes a byte to a pipe when a queue goes from empty to
// non-empty (rd_kafka_queue_io_event_enable), for every partition queue and the consumer
// queue; Wait polls the pipe. Used only by the processing thread. Every handle is released by
// Detach/DetachAll, which must run before rd_kafka_consumer_close (librdkafka's rule).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fristvagt::processor {

class PartitionQueues {
 public:
  // `consumer` must outlive the result; `topic` is the input topic. Fails only when the
  // wake-up pipe cannot be made.
  static absl::StatusOr<std::unique_ptr<PartitionQueues>> Create(rd_kafka_t* consumer,
                                                                 std::string topic);
  ~PartitionQueues();
  PartitionQueues(const PartitionQueues&) = delete;
  PartitionQueues& operator=(const PartitionQueues&) = delete;

  // Takes the partition's messages off the consumer queue; call before assigning it.
  absl::Status Attach(int32_t partition);
  // Releases the partition's queue (on revoke). What it still holds is librdkafka's: it
  // discards it when the partition's fetch stops.
  void Detach(int32_t partition);
  // Every partition's queue and the consumer queue's reference; Attach works again after it.
  void DetachAll();
  bool empty() const { return queues_.empty(); }

  // Takes up to `max` messages in all, without waiting, from `spread` partitions (the pool's
  // thread count): they share `max` equally, and one that has fewer leaves its share to the
  // next partition. Taking from more partitions than there are threads would only cut each
  // partition's part of the batch into smaller store commits and delivery shares (with one
  // thread, 15-20 % more CPU per event, docs/benchmarks.md). The first partition moves on by
  // one each call, so no partition is always first. Messages (and per-partition errors such as
  // the end of a partition) are appended to `out`, each partition's in offset order; the caller
  // destroys them.
  size_t Take(size_t max, size_t spread, std::vector<rd_kafka_message_t*>* out);
  // Waits up to `timeout_ms` for a partition queue or the consumer queue to receive something
  // (returns at once if one did since the last Wait). False: nothing came. librdkafka signals
  // a queue only after it was read, so call it after a Take that found nothing.
  bool Wait(int timeout_ms);

 private:
  PartitionQueues(rd_kafka_t* consumer, std::string topic, int wake_read, int wake_write);

  rd_kafka_t* consumer_;
  std::string topic_;
  int wake_read_ = -1;
  int wake_write_ = -1;
  rd_kafka_queue_t* consumer_queue_ = nullptr;
  std::map<int32_t, rd_kafka_queue_t*> queues_;
  size_t start_ = 0;  // where the next Take's first pass begins
};

}  // namespace fristvagt::processor
