// The key test of the cohort: 25 municipalities x 200 persons through the real binary
// (simulate -> replay -> report). For every kontrolpunkt, the share fristvagt measures from
// its alerts must match the simulator's ground truth within 2 percentage points. A miss means
// the simulator's events do not do what rules/regimes/lab2016.toml requires (or the engine
// does not): fix that, never the report.

#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/cohort/pipeline.h"

namespace fristvagt {
namespace {

TEST(CohortEndToEndTest, MeasuredRatesMatchTheGroundTruth) {
  testing::CohortPipeline run;
  // Six months: every person's first-contact deadlines fall due and educations start, at half
  // the replay time of a year (replay dominates this test).
  ASSERT_EQ(run.Simulate(5000, 25, 1, 6), 0) << run.Read("simulate.err");
  ASSERT_EQ(run.Replay(), 0);
  ASSERT_EQ(run.Report(), 0);

  const std::map<std::string, testing::CsvShare> all = run.Csv("all");
  // Every kontrolpunkt the simulator models is measured, over enough obligations to mean
  // something.
  for (const char* rule : {"first_meeting",
                           "final_visitation",
                           "visitation_justified",
                           "paalaeg_at_first_meeting",
                           "test_need_assessment",
                           "test_completed",
                           "course_after_test",
                           "guidance_225_hours",
                           "coordinating_caseworker",
                           "paalaeg_followed_up",
                           "offer_justified",
                           "sanction_decision",
                           "education_goal_in_plan",
                           "cv_visible",
                           "jobseeker_registered",
                           "duty_assessment",
                           "info_transfer",
                           "first_offer",
                           "offer_gap",
                           "meetings_up_first_3_months",
                           "meetings_ap_every_2_months"}) {
    ASSERT_TRUE(all.count(rule)) << rule << " missing from the report:\n" << run.Read("report.txt");
    EXPECT_GE(all.at(rule).obligations, 100) << rule;
  }
  for (const auto& [rule, share] : all) {
    EXPECT_NEAR(share.measured, share.truth, 2.0)
        << rule << ": fristvagt measured " << share.measured << " %, the simulator decided "
        << share.truth << " % of " << share.obligations << " obligations";
  }
  // And per municipality, where the charts draw them.
  const std::map<std::string, testing::CsvShare> municipalities = run.Csv("municipality");
  EXPECT_EQ(municipalities.size() / all.size(), 25u);

  const std::string table = run.Read("report.txt");
  EXPECT_TRUE(absl::StrContains(table, "fokusrevision")) << table;
  EXPECT_TRUE(absl::StrContains(table, "851 Aalborg")) << table;
  // The noise reached replay: malformed lines were rejected, the rest applied.
  EXPECT_FALSE(run.Read("rejects.jsonl").empty());
}

TEST(CohortEndToEndTest, ReportFromAlertsNeedsTruthAndAStateDirMustHoldState) {
  testing::CohortPipeline run;
  EXPECT_EQ(testing::RunBinary("report --alerts /dev/null 2>/dev/null"), 2);
  std::filesystem::create_directories(run.Path("empty"));
  EXPECT_EQ(testing::RunBinary("report --state-dir " + run.Path("empty").string() + " 2>/dev/null"), 1);
  EXPECT_EQ(testing::RunBinary("report --state-dir " + run.Path("empty").string() +
                               " --alerts /dev/null 2>/dev/null"),
            2);
  EXPECT_EQ(testing::RunBinary("simulate --persons 10 --to-kafka localhost:9092 2>/dev/null"), 2);
  EXPECT_EQ(testing::RunBinary("simulate --persons 0 2>/dev/null"), 2);
}

}  // namespace
}  // namespace fristvagt
