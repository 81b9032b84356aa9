#include "processor/engine/clock_driver.h"

#include <algorithm>

#include "rules/course.h"

namespace fristvagt::processor {

absl::Status ClockDriver::AdvanceTo(absl::Time to) {
  if (to <= clock_) return absl::OkStatus();
  const uint64_t before = engine_->counters().timers_fired;
  if (absl::Status s = engine_->FireTimersUpTo(to); !s.ok()) return s;
  fired_ += engine_->counters().timers_fired - before;
  clock_ = to;
  return absl::OkStatus();
}

absl::Status ClockDriver::Apply(const v1::CaseEvent& event, const std::string& source_position,
                                absl::Time ceiling) {
  if (absl::Status s = AdvanceTo(std::min(ceiling, rules::ToAbslTime(event.recorded_at())));
      !s.ok()) {
    return s;
  }
  return engine_->ApplyEvent(event, clock_, source_position);
}

}  // namespace fristvagt::processor
