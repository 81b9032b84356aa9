// alerts::Diff writes the record's deadline by hand (issue 15); it must read exactly as
// rules::FormatIsoDate, which the alerts and obligation records have always carried.

#include "alerts/transitions.h"

#include "gtest/gtest.h"
#include "rules/civil_time.h"
#include "rules/evaluator.h"
#include "rules/regime.h"

namespace fristvagt::alerts {
namespace {

TEST(TransitionsTest, DeadlineReadsAsFormatIsoDate) {
  rules::Regime regime;
  rules::RuleSpec rule;
  rules::ObligationView view;
  view.regime = &regime;
  view.rule = &rule;
  view.status = v1::WAIVED;
  v1::ObligationRecord record;
  for (const absl::CivilDay day :
       {absl::CivilDay(2024, 1, 1), absl::CivilDay(2024, 12, 31), absl::CivilDay(1999, 2, 28),
        absl::CivilDay(9, 3, 4), absl::CivilDay(0, 1, 1), absl::CivilDay(9999, 12, 31),
        absl::CivilDay(10000, 1, 1), absl::CivilDay(-1, 6, 15), absl::CivilDay(2000, 2, 29)}) {
    view.deadline = day;
    Diff(&view, absl::UnixEpoch(), &record);
    EXPECT_EQ(record.deadline(), rules::FormatIsoDate(day)) << day;
  }
}

}  // namespace
}  // namespace fristvagt::alerts
