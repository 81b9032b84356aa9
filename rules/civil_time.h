#pragma once
// Legal time arithmetic (docs/time.md). Every date is a local date in
// Europe/Copenhagen; deadlines end at local midnight, so daylight-saving nights never shift
// them. Pure functions: nothing here reads the wall clock.

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace fristvagt::rules {

// Europe/Copenhagen from the system's tzdata. Aborts with a message when tzdata is missing:
// silently falling back to UTC would move every deadline by one or two hours.
const absl::TimeZone& Copenhagen();

absl::CivilDay LocalDate(absl::Time t);
absl::CivilDay AddDays(absl::CivilDay day, int days);
// Same day-of-month `months` later, clamped to that month's last day (Jan 31 + 1 = Feb 28/29).
absl::CivilDay AddMonths(absl::CivilDay day, int months);
// Local midnight at the start of `day`.
absl::Time StartOfDay(absl::CivilDay day);
// The first instant after the deadline day, plus whole grace days.
absl::Time BreachMoment(absl::CivilDay deadline, int grace_days);
// `hour`:00 local time on `day`.
absl::Time LocalMoment(absl::CivilDay day, int hour);
// Days from `from` to `to` (negative when `to` is earlier).
int DaysBetween(absl::CivilDay from, absl::CivilDay to);

std::string FormatIsoDate(absl::CivilDay day);     // 2023-08-14
std::string FormatDanishDate(absl::CivilDay day);  // 14.08.2023
// RFC 3339 with the local offset, e.g. 2019-03-12T00:00:00+01:00.
std::string FormatRfc3339(absl::Time t);

}  // namespace fristvagt::rules
