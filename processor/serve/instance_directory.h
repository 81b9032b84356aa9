#pragma once
// The owner directory across instances (issue 6): each instance announces `{query address,
// owned input partitions}` on a compacted topic (`[topics] instances`, key: the instance id)
// whenever its assignment changes, and reads every announcement from the beginning, so that an
// instance asked about a person it does not hold can name the instance that does (HTTP 421).
// It also learns the input topic's partition count, which maps a person key to its partition.
// Runs on a background thread of its own, with its own Kafka clients: the processor's producer
// may be transactional, and announcements are not part of any batch.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "processor/base/clock.h"
#include "processor/kafka/kafka_client.h"
#include "processor/serve/partition_directory.h"

namespace fristvagt::processor {

struct InstanceDirectoryOptions {
  std::string bootstrap;
  std::map<std::string, std::string> kafka;  // [kafka] properties
  std::string group_id;                      // the processor's; the reader uses "<id>-instances"
  std::string input_topic;
  std::string instances_topic;
  std::string instance_id;  // the key of this instance's announcements
  std::string address;      // where this instance's query API answers
  const Clock* clock = &WallClock::Get();  // pacing and the announcements' time
};

// The announcement as the topic holds it: "address=...\npartitions=0,2\nannounced_micros=...\n".
std::string EncodeAnnouncement(const InstanceAnnouncement& announcement);
absl::StatusOr<InstanceAnnouncement> DecodeAnnouncement(std::string_view value);

class InstanceDirectory {
 public:
  static absl::StatusOr<std::unique_ptr<InstanceDirectory>> Start(InstanceDirectoryOptions options,
                                                                  PartitionDirectory* directory);
  // Announces that this instance holds nothing (a tombstone), then stops.
  ~InstanceDirectory();
  // Stops without that tombstone (after an error stop: run_commands.cc says why).
  void StopWithoutTombstone();

 private:
  InstanceDirectory(InstanceDirectoryOptions options, PartitionDirectory* directory)
      : options_(std::move(options)), directory_(directory) {}
  absl::Status CreateClients();
  void Loop();
  void RefreshMetadata();
  bool Announce(bool tombstone);
  void Read(const rd_kafka_message_t* message);

  InstanceDirectoryOptions options_;
  PartitionDirectory* directory_;
  rd_kafka_resp_err_t delivery_ = RD_KAFKA_RESP_ERR_NO_ERROR;  // of the last announcement
  KafkaHandle producer_;
  KafkaHandle reader_;
  int32_t instances_partitions_ = 0;  // assigned to the reader so far
  int32_t input_partitions_ = 0;      // as last read from the broker; 0: not yet
  bool announced_once_ = false;
  bool warned_unavailable_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<bool> tombstone_at_stop_{true};
  std::thread thread_;
};

}  // namespace fristvagt::processor
