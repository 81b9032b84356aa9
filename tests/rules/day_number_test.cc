// The evaluator's day numbers (rules/day_number.h) against civil_time.h, which goes through
// absl: every day and several hours of each from 1990 to 2060, daylight-saving days included,
// and moments around every change.

#include "rules/day_number.h"

#include "gtest/gtest.h"
#include "rules/civil_time.h"
#include "rules/holidays.h"

namespace fristvagt::rules {
namespace {

TEST(DayNumberTest, SameAsCivilTimeEveryDay) {
  for (absl::CivilDay day(1990, 1, 1); day < absl::CivilDay(2060, 1, 1); ++day) {
    const DayNumber n = ToDayNumber(day);
    ASSERT_EQ(ToCivilDay(n), day);
    for (int hour : {0, 1, 2, 3, 7, 12, 23}) {
      ASSERT_EQ(LocalMomentOf(n, hour), LocalMoment(day, hour)) << day << " " << hour;
    }
    ASSERT_EQ(StartOfDayNumber(n), StartOfDay(day)) << day;
    ASSERT_EQ(PreviousWorkingDayNumber(n), ToDayNumber(PreviousWorkingDay(day))) << day;
    for (int months : {-24, -1, 1, 3, 6, 12}) {
      ASSERT_EQ(AddMonthsTo(n, months), ToDayNumber(AddMonths(day, months))) << day << months;
    }
  }
}

TEST(DayNumberTest, LocalDayOfMomentsAroundEveryChange) {
  for (absl::Time t = absl::FromCivil(absl::CivilSecond(1995, 1, 1, 0, 0, 0), Copenhagen());
       t < absl::FromCivil(absl::CivilSecond(2040, 1, 1, 0, 0, 0), Copenhagen());
       t += absl::Minutes(97)) {
    ASSERT_EQ(ToCivilDay(LocalDayNumber(t)), LocalDate(t)) << t;
  }
  // The second before, of and after every change, where a per-day table could be off by one.
  absl::TimeZone::CivilTransition change;
  for (absl::Time t = absl::FromCivil(absl::CivilSecond(1995, 1, 1, 0, 0, 0), Copenhagen());
       t < absl::FromCivil(absl::CivilSecond(2110, 1, 1, 0, 0, 0), Copenhagen()) &&
       Copenhagen().NextTransition(t, &change);) {
    // The instant of the change: the first local time after it names it.
    const absl::TimeZone::TimeInfo info = Copenhagen().At(change.to);
    const absl::Time at = info.kind == absl::TimeZone::TimeInfo::UNIQUE ? info.pre : info.trans;
    for (absl::Duration d : {absl::Seconds(-3601), absl::Seconds(-1), absl::ZeroDuration(),
                             absl::Seconds(1), absl::Seconds(3601)}) {
      ASSERT_EQ(ToCivilDay(LocalDayNumber(at + d)), LocalDate(at + d)) << at + d;
    }
    ASSERT_GT(at, t);
    t = at;
  }
  const absl::Time before = absl::FromUnixSeconds(-1) + absl::Milliseconds(500);
  EXPECT_EQ(ToCivilDay(LocalDayNumber(before)), LocalDate(before));
}

}  // namespace
}  // namespace fristvagt::rules
