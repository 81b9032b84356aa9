#include "rules/holidays.h"

#include "gtest/gtest.h"

namespace fristvagt::rules {
namespace {

using absl::CivilDay;

TEST(HolidaysTest, EasterSundayMatchesKnownYears) {
  EXPECT_EQ(EasterSunday(2019), CivilDay(2019, 4, 21));
  EXPECT_EQ(EasterSunday(2024), CivilDay(2024, 3, 31));
  EXPECT_EQ(EasterSunday(2025), CivilDay(2025, 4, 20));
  EXPECT_EQ(EasterSunday(2026), CivilDay(2026, 4, 5));
  EXPECT_EQ(EasterSunday(2038), CivilDay(2038, 4, 25));  // the latest possible date
}

TEST(HolidaysTest, EasterBasedHolidays2025) {
  EXPECT_TRUE(IsDanishHoliday(CivilDay(2025, 4, 17)));  // skærtorsdag
  EXPECT_TRUE(IsDanishHoliday(CivilDay(2025, 4, 18)));  // langfredag
  EXPECT_TRUE(IsDanishHoliday(CivilDay(2025, 4, 21)));  // 2. påskedag
  EXPECT_TRUE(IsDanishHoliday(CivilDay(2025, 5, 29)));  // kristi himmelfart
  EXPECT_TRUE(IsDanishHoliday(CivilDay(2025, 6, 9)));   // 2. pinsedag
  EXPECT_FALSE(IsDanishHoliday(CivilDay(2025, 4, 16)));
}

TEST(HolidaysTest, GreatPrayerDayEndsAfter2023) {
  EXPECT_TRUE(IsDanishHoliday(CivilDay(2023, 5, 5)));
  EXPECT_FALSE(IsDanishHoliday(CivilDay(2024, 4, 26)));
}

TEST(HolidaysTest, PreviousWorkingDaySkipsWeekendsEasterAndChristmas) {
  EXPECT_EQ(PreviousWorkingDay(CivilDay(2025, 4, 21)), CivilDay(2025, 4, 16));  // Easter
  EXPECT_EQ(PreviousWorkingDay(CivilDay(2024, 12, 26)), CivilDay(2024, 12, 23));
  EXPECT_EQ(PreviousWorkingDay(CivilDay(2023, 11, 26)), CivilDay(2023, 11, 24));  // Sunday
  EXPECT_EQ(PreviousWorkingDay(CivilDay(2023, 11, 27)), CivilDay(2023, 11, 27));
  EXPECT_EQ(PreviousWorkingDay(CivilDay(2026, 1, 1)), CivilDay(2025, 12, 30));
}

}  // namespace
}  // namespace fristvagt::rules
