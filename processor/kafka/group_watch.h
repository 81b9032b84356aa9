#pragma once

// Watches the consumer's group membership from the processing loop. A member that holds no
// partitions for a long time is either legitimately idle (more instances than partitions) or
// stuck in a join that never completes — a coordinator that dropped the member while its
// JoinGroup was pending, which librdkafka then waits for until max.poll.interval.ms (seen in CI
// with the embedded broker when session.timeout.ms was below its 3 s initial rebalance delay).
// The consumer's own statistics tell the two apart: librdkafka reports the group join state,
// "steady" once the member has its (possibly empty) assignment. The watch says which it is in
// the log, so an operator sees a stuck member instead of a silent one. It does not act:
// leaving and rejoining does not help while the JoinGroup request is outstanding.

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace fristvagt::processor {

class GroupJoinWatch {
 public:
  GroupJoinWatch(std::string group, absl::Duration patience)
      : group_(std::move(group)), patience_(patience) {}

  // The consumer (re)subscribed or received an assignment or revocation at `now`.
  void Reset(absl::Time now) { since_ = now; }

  // The latest statistics JSON of the consumer (statistics.interval.ms; stats callback).
  void OnStatistics(std::string_view json);

  // Called once per loop turn. True (and a warning logged) when the member has held no
  // partitions for longer than the patience and its join state is not "steady"; an idle
  // steady member is logged at info level.
  bool LooksStuck(rd_kafka_t* consumer, bool has_partitions, absl::Time now);

  const std::string& join_state() const { return join_state_; }

  // The cgrp.join_state of a statistics JSON, or "" when it has none.
  static std::string JoinStateOf(std::string_view statistics_json);

 private:
  std::string group_;
  absl::Duration patience_;
  absl::Time since_ = absl::InfinitePast();
  std::string join_state_;  // "" until the first statistics arrive
};

}  // namespace fristvagt::processor
