#include "rules/day_number.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "rules/civil_time.h"
#include "rules/holidays.h"

namespace fristvagt::rules {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
DayNumber DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<DayNumber>(era * 146097 + doe - 719468);
}

struct Ymd {
  int64_t y;
  int m;
  int d;
};

Ymd CivilFromDays(DayNumber z64) {
  int64_t z = z64 + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Every UTC offset change of Europe/Copenhagen from 1900 to 2200, read once from tzdata.
struct Offsets {
  std::vector<int64_t> at;      // unix seconds of each transition, ascending
  std::vector<int32_t> after;   // offset in seconds from that transition on
  int32_t before = 0;           // offset before the first transition

  int32_t At(int64_t unix_seconds) const {
    const auto it = std::upper_bound(at.begin(), at.end(), unix_seconds);
    return it == at.begin() ? before : after[it - at.begin() - 1];
  }
  // Whether a transition lies within a day of `unix_seconds`: then use absl exactly.
  bool NearTransition(int64_t unix_seconds) const {
    const auto it = std::lower_bound(at.begin(), at.end(), unix_seconds - 86400);
    return it != at.end() && *it <= unix_seconds + 86400;
  }
};

const Offsets& CopenhagenOffsets() {
  static const Offsets* offsets = [] {
    auto* o = new Offsets;
    const absl::TimeZone& zone = Copenhagen();
    absl::Time t = absl::FromCivil(absl::CivilSecond(1900, 1, 1, 0, 0, 0), absl::UTCTimeZone());
    const absl::Time end = absl::FromCivil(absl::CivilSecond(2200, 1, 1, 0, 0, 0), zone);
    o->before = zone.At(t).offset;
    absl::TimeZone::CivilTransition transition;
    while (t < end && zone.NextTransition(t, &transition)) {
      // The first local time after the change: its lookup names the transition instant.
      const absl::TimeZone::TimeInfo info = zone.At(transition.to);
      const absl::Time when =
          info.kind == absl::TimeZone::TimeInfo::UNIQUE ? info.pre : info.trans;
      if (when <= t) break;
      o->at.push_back(absl::ToUnixSeconds(when));
      o->after.push_back(zone.At(when).offset);
      t = when;
    }
    return o;
  }();
  return *offsets;
}

// Per day from 2000 to 2100, computed once from the above: for the local day, the UTC offset in
// force all day (kNear when a change lies within a day: then absl decides), whether it is a
// working day and its year/month/day; for the UTC day of the same number, the offset in force
// all that UTC day (kNear when it changes during it); and the first day of every month. About
// 5 ms at the first evaluation of a process; saves searches and divisions on every call (the
// evaluator converts dates a few dozen times per evaluation, issue 14).
struct DayTable {
  static constexpr int32_t kNear = INT32_MIN;
  static constexpr int kFirstYear = 2000;
  static constexpr int kEndYear = 2100;
  DayNumber first = 0;
  std::vector<int32_t> offset;
  std::vector<bool> working;
  std::vector<int32_t> utc_offset;
  std::vector<uint32_t> ymd;  // year << 9 | month << 5 | day
  std::vector<DayNumber> month_start;  // (year - kFirstYear) * 12 + month - 1 -> its first day

  bool Has(DayNumber day) const {
    return day >= first && day - first < static_cast<DayNumber>(offset.size());
  }
  // From the table inside it, computed outside.
  Ymd YmdOf(DayNumber day) const {
    if (!Has(day)) return CivilFromDays(day);
    const uint32_t packed = ymd[day - first];
    return {static_cast<int64_t>(packed >> 9), static_cast<int>((packed >> 5) & 15),
            static_cast<int>(packed & 31)};
  }
};

const DayTable& Days() {
  static const DayTable* table = [] {
    auto* t = new DayTable;
    const Offsets& offsets = CopenhagenOffsets();
    t->first = DaysFromCivil(DayTable::kFirstYear, 1, 1);
    const DayNumber last = DaysFromCivil(DayTable::kEndYear, 1, 1);
    for (DayNumber day = t->first; day < last; ++day) {
      const int64_t local = static_cast<int64_t>(day) * 86400;
      const int64_t guess = local - offsets.At(local - 3600);
      t->offset.push_back(offsets.NearTransition(guess) ? DayTable::kNear : offsets.At(guess));
      const Ymd ymd = CivilFromDays(day);
      t->working.push_back(IsWorkingDay(absl::CivilDay(ymd.y, ymd.m, ymd.d)));
      t->ymd.push_back(static_cast<uint32_t>(ymd.y) << 9 | static_cast<uint32_t>(ymd.m) << 5 |
                       static_cast<uint32_t>(ymd.d));
      // The UTC day `day`: constant when no transition lies in [its start, its end].
      const auto next = std::upper_bound(offsets.at.begin(), offsets.at.end(), local);
      const bool changes = next != offsets.at.end() && *next <= local + 86400;
      t->utc_offset.push_back(changes ? DayTable::kNear : offsets.At(local));
    }
    for (int y = DayTable::kFirstYear; y < DayTable::kEndYear; ++y) {
      for (int m = 1; m <= 12; ++m) t->month_start.push_back(DaysFromCivil(y, m, 1));
    }
    return t;
  }();
  return *table;
}

}  // namespace

DayNumber ToDayNumber(absl::CivilDay day) {
  return DaysFromCivil(day.year(), day.month(), day.day());
}

absl::CivilDay ToCivilDay(DayNumber day) {
  const Ymd ymd = Days().YmdOf(day);
  return absl::CivilDay(ymd.y, ymd.m, ymd.d);
}

DayNumber LocalDayNumber(absl::Time t) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds towards the infinite past
  const DayTable& days = Days();
  const int64_t utc_day = FloorDiv(seconds, 86400);
  if (utc_day >= days.first && utc_day < days.first + static_cast<int64_t>(days.utc_offset.size())) {
    const int32_t offset = days.utc_offset[utc_day - days.first];
    if (offset != DayTable::kNear) {
      return static_cast<DayNumber>(FloorDiv(seconds + offset, 86400));
    }
  }
  const Offsets& offsets = CopenhagenOffsets();
  return static_cast<DayNumber>(FloorDiv(seconds + offsets.At(seconds), 86400));
}

absl::Time LocalMomentOf(DayNumber day, int hour) {
  const DayTable& days = Days();
  if (days.Has(day) && days.offset[day - days.first] != DayTable::kNear) {
    return absl::FromUnixSeconds(static_cast<int64_t>(day) * 86400 + hour * 3600 -
                                 days.offset[day - days.first]);
  }
  const Offsets& offsets = CopenhagenOffsets();
  const int64_t local = static_cast<int64_t>(day) * 86400 + hour * 3600;
  // The offset in force an hour before (no Copenhagen offset exceeds +2 h).
  const int64_t guess = local - offsets.At(local - 3600);
  if (offsets.NearTransition(guess)) return LocalMoment(ToCivilDay(day), hour);
  return absl::FromUnixSeconds(local - offsets.At(guess));
}

DayNumber AddMonthsTo(DayNumber day, int months) {
  const DayTable& days = Days();
  const Ymd ymd = days.YmdOf(day);
  const int64_t index = ymd.y * 12 + (ymd.m - 1) + months;
  const int64_t y = FloorDiv(index, 12);
  const int m = static_cast<int>(index - y * 12) + 1;
  const int d = std::min(ymd.d, DaysInMonth(y, m));
  const int64_t month = index - int64_t{DayTable::kFirstYear} * 12;
  if (month >= 0 && month < static_cast<int64_t>(days.month_start.size())) {
    return days.month_start[month] + d - 1;
  }
  return DaysFromCivil(y, m, d);
}

DayNumber PreviousWorkingDayNumber(DayNumber day) {
  const DayTable& days = Days();
  while (days.Has(day) && days.Has(day - 1)) {
    if (days.working[day - days.first]) return day;
    --day;
  }
  for (;; --day) {
    const int dow = static_cast<int>(((day % 7) + 7 + 3) % 7);  // 0 = Monday; 1970-01-01 Thu
    if (dow >= 5) continue;
    const Ymd ymd = CivilFromDays(day);
    const int m = ymd.m;
    const int d = ymd.d;
    if ((m == 1 && d == 1) || (m == 6 && d == 5) ||
        (m == 12 && (d == 24 || d == 25 || d == 26 || d == 31))) {
      continue;
    }
    // Easter-based holidays lie between March 19 and June 14.
    if ((m >= 3 && m <= 6) && IsDanishHoliday(ToCivilDay(day))) continue;
    return day;
  }
}

}  // namespace fristvagt::rules
