#pragma once
// The one loop every caller of the Engine shares — replay, the Kafka processor, the engine
// tests and the benchmarks: move the processing clock, fire the timers due up to it, apply the
// event at it. The processing clock (docs/rules.md §1) follows the events' recorded_at and
// never goes back; live, the Kafka processor caps it at the wall clock, so an event recorded
// "in the future" does not fire tomorrow's timers today.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "processor/engine/engine.h"
#include "proto/case_event.pb.h"

namespace fristvagt::processor {

class ClockDriver {
 public:
  // `clock`: where a restarted run left off (replay's stored clock, a partition's progress).
  explicit ClockDriver(Engine* engine, absl::Time clock = absl::InfinitePast())
      : engine_(engine), clock_(clock) {}

  // Moves the clock to `to` when that is later, firing every timer due up to it first.
  // On failure the clock stays where it was (nothing after the failure counts as done).
  absl::Status AdvanceTo(absl::Time to);
  // Moves the clock to the event's recorded_at (no further than `ceiling`), then applies the
  // event at the clock.
  absl::Status Apply(const v1::CaseEvent& event, const std::string& source_position,
                     absl::Time ceiling = absl::InfiniteFuture());

  absl::Time clock() const { return clock_; }
  // Timers fired by this driver since it was made (the Kafka processor marks a partition
  // dirty when a clock move fired any).
  uint64_t timers_fired() const { return fired_; }

 private:
  Engine* engine_;
  absl::Time clock_;
  uint64_t fired_ = 0;
};

}  // namespace fristvagt::processor
