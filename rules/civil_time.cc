#include "rules/civil_time.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace fristvagt::rules {

const absl::TimeZone& Copenhagen() {
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

absl::CivilDay LocalDate(absl::Time t) { return absl::ToCivilDay(t, Copenhagen()); }

absl::CivilDay AddDays(absl::CivilDay day, int days) { return day + days; }

absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth target = absl::CivilMonth(day) + months;
  const absl::CivilDay first_of_next = absl::CivilDay(target + 1);
  const int last_day = (first_of_next - 1).day();
  return absl::CivilDay(target.year(), target.month(), std::min(day.day(), last_day));
}

absl::Time StartOfDay(absl::CivilDay day) { return absl::FromCivil(day, Copenhagen()); }

absl::Time BreachMoment(absl::CivilDay deadline, int grace_days) {
  return StartOfDay(deadline + 1 + grace_days);
}

absl::Time LocalMoment(absl::CivilDay day, int hour) {
  return absl::FromCivil(absl::CivilHour(day) + hour, Copenhagen());
}

int DaysBetween(absl::CivilDay from, absl::CivilDay to) { return static_cast<int>(to - from); }

std::string FormatIsoDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string FormatDanishDate(absl::CivilDay day) {
  return absl::StrFormat("%02d.%02d.%04d", day.day(), day.month(), day.year());
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, Copenhagen());
}

}  // namespace fristvagt::rules
