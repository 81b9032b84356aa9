#include "processor/kafka/partition_queues.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "processor/base/logging.h"

namespace fristvagt::processor {

namespace {

// What librdkafka writes to the pipe; only its arrival matters.
constexpr char kWakeByte = 'w';

void StopWakeUps(rd_kafka_queue_t* queue) { rd_kafka_queue_io_event_enable(queue, -1, nullptr, 0); }

}  // namespace

absl::StatusOr<std::unique_ptr<PartitionQueues>> PartitionQueues::Create(rd_kafka_t* consumer,
                                                                         std::string topic) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot create the input queues' wake-up pipe: ", std::strerror(errno)));
  }
  return std::unique_ptr<PartitionQueues>(
      new PartitionQueues(consumer, std::move(topic), fds[0], fds[1]));
}

PartitionQueues::PartitionQueues(rd_kafka_t* consumer, std::string topic, int wake_read,
                                 int wake_write)
    : consumer_(consumer), topic_(std::move(topic)), wake_read_(wake_read), wake_write_(wake_write) {}

PartitionQueues::~PartitionQueues() {
  DetachAll();  // no queue may write to the pipe once it is closed
  close(wake_read_);
  close(wake_write_);
}

absl::Status PartitionQueues::Attach(int32_t partition) {
  if (consumer_queue_ == nullptr) {
    // Rebalances, errors and statistics arrive here: they must end a Wait too.
    consumer_queue_ = rd_kafka_queue_get_consumer(consumer_);
    if (consumer_queue_ != nullptr) {
      rd_kafka_queue_io_event_enable(consumer_queue_, wake_write_, &kWakeByte, 1);
    }
  }
  if (queues_.count(partition) > 0) return absl::OkStatus();
  rd_kafka_queue_t* queue = rd_kafka_queue_get_partition(consumer_, topic_.c_str(), partition);
  if (queue == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot get the fetch queue of ", topic_, " partition ", partition));
  }
  // Off the consumer queue for good: librdkafka does not forward it again when the partition's
  // fetch (re)starts, because the application set the forwarding.
  rd_kafka_queue_forward(queue, nullptr);
  rd_kafka_queue_io_event_enable(queue, wake_write_, &kWakeByte, 1);
  queues_[partition] = queue;
  return absl::OkStatus();
}

void PartitionQueues::Detach(int32_t partition) {
  auto it = queues_.find(partition);
  if (it == queues_.end()) return;
  StopWakeUps(it->second);
  rd_kafka_queue_destroy(it->second);
  queues_.erase(it);
}

void PartitionQueues::DetachAll() {
  while (!queues_.empty()) Detach(queues_.begin()->first);
  if (consumer_queue_ != nullptr) {
    StopWakeUps(consumer_queue_);
    rd_kafka_queue_destroy(consumer_queue_);
    consumer_queue_ = nullptr;
  }
}

size_t PartitionQueues::Take(size_t max, size_t spread,
                             std::vector<rd_kafka_message_t*>* out) {
  if (queues_.empty() || max == 0) return 0;
  std::vector<rd_kafka_queue_t*> active;
  active.reserve(queues_.size());
  for (const auto& [partition, queue] : queues_) active.push_back(queue);
  std::rotate(active.begin(), active.begin() + static_cast<std::ptrdiff_t>(start_ % active.size()),
              active.end());
  start_ = (start_ + 1) % active.size();
  spread = std::max<size_t>(1, spread);
  size_t taken = 0;
  while (taken < max && !active.empty()) {
    // The first `spread` queues of the rotation share what is left; one that runs dry leaves
    // the window and the next queue moves into it.
    const size_t share =
        std::max<size_t>(1, (max - taken) / std::min(spread, active.size()));
    for (size_t i = 0; i < std::min(spread, active.size()) && taken < max;) {
      const size_t want = std::min(share, max - taken);
      const size_t before = out->size();
      out->resize(before + want);
      const ssize_t got = rd_kafka_consume_batch_queue(active[i], 0, out->data() + before, want);
      if (got < 0) {  // librdkafka refused the call itself: say so, and take nothing from it
        Logger("kafka")->warn("reading an input partition's queue: {}",
                              rd_kafka_err2str(rd_kafka_last_error()));
      }
      const size_t n = got > 0 ? static_cast<size_t>(got) : 0;
      out->resize(before + n);
      taken += n;
      // Fewer than asked: the queue is empty for now (or held only librdkafka's own ops).
      if (n < want) {
        active.erase(active.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
  return taken;
}

bool PartitionQueues::Wait(int timeout_ms) {
  pollfd fd{wake_read_, POLLIN, 0};
  const int ready = poll(&fd, 1, std::max(0, timeout_ms));
  if (ready <= 0) return false;  // timed out (or EINTR: the caller's loop comes round again)
  char drain[64];
  while (read(wake_read_, drain, sizeof drain) > 0) {
  }
  return true;
}

}  // namespace fristvagt::processor
