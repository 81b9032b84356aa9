#include "rules/holidays.h"

namespace fristvagt::rules {

absl::CivilDay EasterSunday(int year) {
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, month, day);
}

bool IsDanishHoliday(absl::CivilDay day) {
  const int month = day.month();
  const int dom = day.day();
  if ((month == 1 && dom == 1) || (month == 6 && dom == 5) ||
      (month == 12 && (dom == 24 || dom == 25 || dom == 26 || dom == 31))) {
    return true;
  }
  const absl::CivilDay easter = EasterSunday(static_cast<int>(day.year()));
  const int offset = static_cast<int>(day - easter);
  switch (offset) {
    case -3:  // Skærtorsdag
    case -2:  // Langfredag
    case 0:   // Påskedag
    case 1:   // 2. påskedag
    case 39:  // Kristi himmelfartsdag
    case 49:  // Pinsedag
    case 50:  // 2. pinsedag
      return true;
    case 26:  // Store bededag, abolished by lov nr. 140 af 28/02/2023 from 2024
      return day.year() <= 2023;
    default:
      return false;
  }
}

bool IsWorkingDay(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  return weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday &&
         !IsDanishHoliday(day);
}

absl::CivilDay PreviousWorkingDay(absl::CivilDay day) {
  while (!IsWorkingDay(day)) day -= 1;
  return day;
}

}  // namespace fristvagt::rules
