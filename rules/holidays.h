#pragma once
// Danish working days for reminder placement (issue: a reminder that would fall on a weekend or
// a public holiday moves to the previous working day; breaches never move). Computed, not
// listed, so every year works: the Easter-based holidays come from the Gregorian computus.

#include "absl/time/civil_time.h"

namespace fristvagt::rules {

// Easter Sunday of `year` (Gregorian; anonymous computus).
absl::CivilDay EasterSunday(int year);

// Danish public holidays (helligdage): New Year's Day, Maundy Thursday, Good Friday, Easter
// Sunday and Monday, Great Prayer Day (until 2023; abolished from 2024), Ascension Day,
// Whit Sunday and Monday, Christmas Day and Boxing Day; plus Constitution Day (5 June),
// Christmas Eve and New Year's Eve, when job centres are closed.
bool IsDanishHoliday(absl::CivilDay day);

bool IsWorkingDay(absl::CivilDay day);

// `day` itself when it is a working day, else the nearest earlier working day.
absl::CivilDay PreviousWorkingDay(absl::CivilDay day);

}  // namespace fristvagt::rules
