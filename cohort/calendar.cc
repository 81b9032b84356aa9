#include "cohort/calendar.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace fristvagt::cohort {

const absl::TimeZone& LocalZone() {
  static const absl::TimeZone* zone = [] {
    auto* tz = new absl::TimeZone;
    if (!absl::LoadTimeZone("Europe/Copenhagen", tz)) {
      std::fprintf(stderr, "fristvagt: cannot load Europe/Copenhagen: install tzdata\n");
      std::abort();
    }
    return tz;
  }();
  return *zone;
}

absl::Time At(absl::CivilDay day, int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute),
                         LocalZone());
}

absl::Time StartOf(absl::CivilDay day) { return absl::FromCivil(day, LocalZone()); }

absl::CivilDay DayOf(absl::Time t) { return absl::ToCivilDay(t, LocalZone()); }

absl::CivilDay PlusMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth month = absl::CivilMonth(day) + months;
  const int last = (absl::CivilDay(month + 1) - 1).day();
  return absl::CivilDay(month.year(), month.month(), std::min(day.day(), last));
}

bool IsWorkday(absl::CivilDay day) {
  const absl::Weekday w = absl::GetWeekday(day);
  return w != absl::Weekday::saturday && w != absl::Weekday::sunday;
}

}  // namespace fristvagt::cohort
