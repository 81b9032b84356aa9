#pragma once

// Watches the consumer's group membership from the processing loop. A member that holds no
// partitions for a long time is either legitimately idle (more instances than partitions) or
// stuck in a join that never completes (a coordinator that lost track of it). The watch tells
// the two apart from what the coordinator reports, says so in the log either way, and asks
// for a rejoin only when the member is not part of a stable group.

#include <librdkafka/rdkafka.h>

#include <string>

#include "absl/time/time.h"

namespace fristvagt::processor {

class GroupJoinWatch {
 public:
  GroupJoinWatch(std::string group, absl::Duration patience)
      : group_(std::move(group)), patience_(patience) {}

  // The consumer (re)subscribed or received an assignment or revocation at `now`.
  void Reset(absl::Time now) { since_ = now; }

  // Called once per loop turn. Returns true when the caller should leave and rejoin the
  // group: no partitions for longer than the patience, and the coordinator does not list this
  // member in a stable group.
  bool ShouldRejoin(rd_kafka_t* consumer, bool has_partitions, absl::Time now);

 private:
  std::string group_;
  absl::Duration patience_;
  absl::Time since_ = absl::InfinitePast();
};

}  // namespace fristvagt::processor
