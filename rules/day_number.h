#pragma once
// Local dates as day numbers (days since 1970-01-01) and the Copenhagen offsets behind them,
// for the evaluator's hot path (issue 14). Same answers as civil_time.h, which goes through
// absl's civil-time normalisation and a time-zone lookup on every call: here the zone's
// transitions are read once, and a moment is turned into its local day, or a local day and
// hour into a moment, with integer arithmetic. Within a day of a daylight-saving change the
// exact absl computation is used, so the results are equal by construction.

#include <cstdint>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace fristvagt::rules {

using DayNumber = int32_t;

DayNumber ToDayNumber(absl::CivilDay day);
absl::CivilDay ToCivilDay(DayNumber day);

// Local date in Europe/Copenhagen of `t`.
DayNumber LocalDayNumber(absl::Time t);
// `hour`:00 local time on `day` (hour 0: local midnight), as LocalMoment / StartOfDay.
absl::Time LocalMomentOf(DayNumber day, int hour);
inline absl::Time StartOfDayNumber(DayNumber day) { return LocalMomentOf(day, 0); }
// The first instant after the deadline day, plus whole grace days (BreachMoment).
inline absl::Time BreachMomentOf(DayNumber deadline, int grace_days) {
  return StartOfDayNumber(deadline + 1 + grace_days);
}
// Same day-of-month `months` later, clamped to that month's last day (AddMonths).
DayNumber AddMonthsTo(DayNumber day, int months);
// `day` itself when it is a Danish working day, else the nearest earlier one
// (PreviousWorkingDay in holidays.h).
DayNumber PreviousWorkingDayNumber(DayNumber day);

}  // namespace fristvagt::rules
