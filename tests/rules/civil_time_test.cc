#include "rules/civil_time.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace fristvagt::rules {
namespace {

using absl::CivilDay;

// Instants are written in UTC so that no test depends on the code under test to build them.
absl::Time Utc(int y, int mo, int d, int h, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

absl::CivilSecond LocalCivil(absl::Time t) { return absl::ToCivilSecond(t, Copenhagen()); }

// In 2019 Copenhagen switched to summer time on 31 March (02:00 -> 03:00) and back on
// 27 October (03:00 -> 02:00); both switches happen at 01:00 UTC.
constexpr CivilDay kSpringForward(2019, 3, 31);
constexpr CivilDay kFallBack(2019, 10, 27);

TEST(AddMonthsTest, ClampsToTheLastDayOfShorterMonths) {
  EXPECT_EQ(AddMonths(CivilDay(2019, 1, 31), 1), CivilDay(2019, 2, 28));
  EXPECT_EQ(AddMonths(CivilDay(2020, 1, 31), 1), CivilDay(2020, 2, 29));  // Leap year.
  EXPECT_EQ(AddMonths(CivilDay(2019, 3, 31), 1), CivilDay(2019, 4, 30));
  EXPECT_EQ(AddMonths(CivilDay(2019, 1, 30), 1), CivilDay(2019, 2, 28));
  EXPECT_EQ(AddMonths(CivilDay(2019, 5, 31), 1), CivilDay(2019, 6, 30));
}

TEST(AddMonthsTest, CrossesTheYear) {
  EXPECT_EQ(AddMonths(CivilDay(2018, 12, 31), 2), CivilDay(2019, 2, 28));
  EXPECT_EQ(AddMonths(CivilDay(2019, 12, 31), 2), CivilDay(2020, 2, 29));
  EXPECT_EQ(AddMonths(CivilDay(2019, 11, 15), 3), CivilDay(2020, 2, 15));
  EXPECT_EQ(AddMonths(CivilDay(2020, 2, 29), 12), CivilDay(2021, 2, 28));
  EXPECT_EQ(AddMonths(CivilDay(2019, 8, 31), 6), CivilDay(2020, 2, 29));
}

TEST(AddMonthsTest, KeepsTheDayWhenItExists) {
  EXPECT_EQ(AddMonths(CivilDay(2023, 8, 14), 1), CivilDay(2023, 9, 14));
  EXPECT_EQ(AddMonths(CivilDay(2019, 2, 28), 1), CivilDay(2019, 3, 28));  // Not clamped up.
  EXPECT_EQ(AddMonths(CivilDay(2019, 1, 31), 0), CivilDay(2019, 1, 31));
}

TEST(AddMonthsTest, CountsBackwards) {
  EXPECT_EQ(AddMonths(CivilDay(2019, 3, 31), -1), CivilDay(2019, 2, 28));
  EXPECT_EQ(AddMonths(CivilDay(2020, 1, 15), -2), CivilDay(2019, 11, 15));
}

TEST(AddDaysTest, CrossesMonthAndYearEnds) {
  EXPECT_EQ(AddDays(CivilDay(2019, 1, 31), 1), CivilDay(2019, 2, 1));
  EXPECT_EQ(AddDays(CivilDay(2019, 2, 28), 1), CivilDay(2019, 3, 1));
  EXPECT_EQ(AddDays(CivilDay(2020, 2, 28), 1), CivilDay(2020, 2, 29));
  EXPECT_EQ(AddDays(CivilDay(2019, 12, 31), 1), CivilDay(2020, 1, 1));
  EXPECT_EQ(AddDays(CivilDay(2019, 12, 20), 14), CivilDay(2020, 1, 3));
  EXPECT_EQ(AddDays(CivilDay(2020, 1, 1), -1), CivilDay(2019, 12, 31));
  EXPECT_EQ(AddDays(kSpringForward, 1), CivilDay(2019, 4, 1));
}

TEST(LocalDateTest, WinterMidnightIsAtElevenUtc) {
  EXPECT_EQ(LocalDate(Utc(2019, 1, 14, 22, 59, 59)), CivilDay(2019, 1, 14));
  EXPECT_EQ(LocalDate(Utc(2019, 1, 14, 23, 0, 0)), CivilDay(2019, 1, 15));
  // New Year arrives in Copenhagen while it is still the old year in UTC.
  EXPECT_EQ(LocalDate(Utc(2019, 12, 31, 23, 0, 0)), CivilDay(2020, 1, 1));
}

TEST(LocalDateTest, SummerMidnightIsAtTenUtc) {
  EXPECT_EQ(LocalDate(Utc(2019, 7, 14, 21, 59, 59)), CivilDay(2019, 7, 14));
  EXPECT_EQ(LocalDate(Utc(2019, 7, 14, 22, 0, 0)), CivilDay(2019, 7, 15));
}

TEST(LocalDateTest, DaylightSavingDays) {
  EXPECT_EQ(LocalDate(Utc(2019, 3, 30, 23, 0, 0)), kSpringForward);
  EXPECT_EQ(LocalDate(Utc(2019, 3, 31, 21, 59, 59)), kSpringForward);
  EXPECT_EQ(LocalDate(Utc(2019, 3, 31, 22, 0, 0)), CivilDay(2019, 4, 1));
  EXPECT_EQ(LocalDate(Utc(2019, 10, 26, 22, 0, 0)), kFallBack);
  EXPECT_EQ(LocalDate(Utc(2019, 10, 27, 22, 59, 59)), kFallBack);
  EXPECT_EQ(LocalDate(Utc(2019, 10, 27, 23, 0, 0)), CivilDay(2019, 10, 28));
}

TEST(StartOfDayTest, UsesTheOffsetInForceAtMidnight) {
  EXPECT_EQ(StartOfDay(kSpringForward), Utc(2019, 3, 30, 23));  // Still +01:00.
  EXPECT_EQ(StartOfDay(CivilDay(2019, 4, 1)), Utc(2019, 3, 31, 22));
  EXPECT_EQ(StartOfDay(kFallBack), Utc(2019, 10, 26, 22));  // Still +02:00.
  EXPECT_EQ(StartOfDay(CivilDay(2019, 10, 28)), Utc(2019, 10, 27, 23));
}

TEST(BreachMomentTest, DeadlineOnTheSpringForwardNight) {
  const absl::Time breach = BreachMoment(kSpringForward, 0);
  EXPECT_EQ(breach, Utc(2019, 3, 31, 22));
  EXPECT_EQ(FormatRfc3339(breach), "2019-04-01T00:00:00+02:00");
  EXPECT_EQ(LocalCivil(breach), absl::CivilSecond(2019, 4, 1, 0, 0, 0));

  // The day before: the breach falls on the night of the switch, before it happens.
  EXPECT_EQ(FormatRfc3339(BreachMoment(CivilDay(2019, 3, 30), 0)), "2019-03-31T00:00:00+01:00");
  EXPECT_EQ(BreachMoment(CivilDay(2019, 3, 30), 0), Utc(2019, 3, 30, 23));
}

TEST(BreachMomentTest, DeadlineOnTheFallBackNight) {
  const absl::Time breach = BreachMoment(kFallBack, 0);
  EXPECT_EQ(breach, Utc(2019, 10, 27, 23));
  EXPECT_EQ(FormatRfc3339(breach), "2019-10-28T00:00:00+01:00");
  EXPECT_EQ(LocalCivil(breach), absl::CivilSecond(2019, 10, 28, 0, 0, 0));

  EXPECT_EQ(FormatRfc3339(BreachMoment(CivilDay(2019, 10, 26), 0)), "2019-10-27T00:00:00+02:00");
  EXPECT_EQ(BreachMoment(CivilDay(2019, 10, 26), 0), Utc(2019, 10, 26, 22));
}

TEST(BreachMomentTest, GraceDaysAreWholeLocalDays) {
  EXPECT_EQ(FormatRfc3339(BreachMoment(CivilDay(2019, 3, 29), 2)), "2019-04-01T00:00:00+02:00");
  EXPECT_EQ(FormatRfc3339(BreachMoment(CivilDay(2019, 10, 25), 2)), "2019-10-28T00:00:00+01:00");
  EXPECT_EQ(BreachMoment(CivilDay(2019, 12, 31), 1), StartOfDay(CivilDay(2020, 1, 2)));
}

// A 7-day deadline across a switch lasts 7 local days, so 167 or 169 hours, and still ends at
// local midnight (a fixed 7 * 24 h would end at 01:00 or 23:00).
TEST(BreachMomentTest, SevenDayDeadlineAcrossSpringForwardEndsAtLocalMidnight) {
  const CivilDay start(2019, 3, 28);
  const absl::Time breach = BreachMoment(AddDays(start, 7), 0);
  EXPECT_EQ(FormatRfc3339(breach), "2019-04-05T00:00:00+02:00");
  EXPECT_EQ(breach - StartOfDay(AddDays(start, 1)), absl::Hours(7 * 24 - 1));
}

TEST(BreachMomentTest, SevenDayDeadlineAcrossFallBackEndsAtLocalMidnight) {
  const CivilDay start(2019, 10, 24);
  const absl::Time breach = BreachMoment(AddDays(start, 7), 0);
  EXPECT_EQ(FormatRfc3339(breach), "2019-11-01T00:00:00+01:00");
  EXPECT_EQ(breach - StartOfDay(AddDays(start, 1)), absl::Hours(7 * 24 + 1));
}

TEST(LocalMomentTest, SevenInTheMorningOnDaylightSavingDays) {
  EXPECT_EQ(LocalMoment(kSpringForward, 7), Utc(2019, 3, 31, 5));
  EXPECT_EQ(FormatRfc3339(LocalMoment(kSpringForward, 7)), "2019-03-31T07:00:00+02:00");
  EXPECT_EQ(LocalMoment(kFallBack, 7), Utc(2019, 10, 27, 6));
  EXPECT_EQ(FormatRfc3339(LocalMoment(kFallBack, 7)), "2019-10-27T07:00:00+01:00");
  EXPECT_EQ(LocalMoment(CivilDay(2019, 3, 30), 7), Utc(2019, 3, 30, 6));
  EXPECT_EQ(LocalMoment(CivilDay(2019, 10, 26), 7), Utc(2019, 10, 26, 5));
}

TEST(LocalMomentTest, SkippedHourMapsForward) {
  // 02:00 does not exist on the spring-forward night; the moment is the switch itself.
  EXPECT_EQ(FormatRfc3339(LocalMoment(kSpringForward, 2)), "2019-03-31T03:00:00+02:00");
}

TEST(FormatTest, Rfc3339CarriesTheLocalOffset) {
  EXPECT_EQ(FormatRfc3339(Utc(2019, 1, 14, 23)), "2019-01-15T00:00:00+01:00");
  EXPECT_EQ(FormatRfc3339(Utc(2019, 7, 14, 22)), "2019-07-15T00:00:00+02:00");
  EXPECT_EQ(FormatRfc3339(Utc(2019, 3, 12, 8, 30, 15)), "2019-03-12T09:30:15+01:00");
}

TEST(FormatTest, DanishAndIsoDates) {
  EXPECT_EQ(FormatDanishDate(CivilDay(2023, 8, 14)), "14.08.2023");
  EXPECT_EQ(FormatDanishDate(CivilDay(2020, 1, 5)), "05.01.2020");
  EXPECT_EQ(FormatIsoDate(CivilDay(2023, 8, 14)), "2023-08-14");
  EXPECT_EQ(FormatIsoDate(CivilDay(2020, 1, 5)), "2020-01-05");
}

TEST(DaysBetweenTest, CountsCalendarDays) {
  EXPECT_EQ(DaysBetween(CivilDay(2019, 1, 1), CivilDay(2020, 1, 1)), 365);
  EXPECT_EQ(DaysBetween(CivilDay(2020, 1, 1), CivilDay(2021, 1, 1)), 366);
  EXPECT_EQ(DaysBetween(CivilDay(2020, 1, 1), CivilDay(2019, 1, 1)), -365);
  EXPECT_EQ(DaysBetween(CivilDay(2019, 3, 30), CivilDay(2019, 4, 1)), 2);     // A 23-hour day.
  EXPECT_EQ(DaysBetween(CivilDay(2019, 10, 26), CivilDay(2019, 10, 28)), 2);  // A 25-hour day.
  EXPECT_EQ(DaysBetween(CivilDay(2023, 8, 14), CivilDay(2023, 8, 14)), 0);
}

}  // namespace
}  // namespace fristvagt::rules
