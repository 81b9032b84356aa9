#pragma once
// The date arithmetic of docs/time.md (local dates in Europe/Copenhagen, month
// clamping, deadlines ending at local midnight), written here independently of rules/ on
// purpose: the simulator's ground truth is the oracle that fristvagt's engine is measured
// against, so it must not share the engine's code.

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace fristvagt::cohort {

// Europe/Copenhagen from the system's tzdata; aborts with a message when it is missing.
const absl::TimeZone& LocalZone();

// `hour`:`minute` local time on `day`.
absl::Time At(absl::CivilDay day, int hour, int minute);
// Local midnight at the start of `day`.
absl::Time StartOf(absl::CivilDay day);
absl::CivilDay DayOf(absl::Time t);
// Same day-of-month `months` later, clamped to that month's last day.
absl::CivilDay PlusMonths(absl::CivilDay day, int months);
bool IsWorkday(absl::CivilDay day);

}  // namespace fristvagt::cohort
