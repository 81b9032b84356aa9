// The report from obligation records (cohort/obligations.h): a simulated cohort replayed into
// a state dir, measured without the ground truth, gives the ground truth's figures for every
// kontrolpunkt the simulator models, per rule, municipality and month.

#include <cstdio>
#include <string>

#include "cohort/obligations.h"
#include "cohort/report.h"
#include "cohort/truth.h"
#include "gtest/gtest.h"
#include "tests/cohort/pipeline.h"

namespace fristvagt {
namespace {

TEST(StateReportTest, StateDirGivesTheGroundTruthsFigures) {
  testing::CohortPipeline run;
  ASSERT_EQ(run.Simulate(1500, 10, 3, 6), 0) << run.Read("simulate.err");
  ASSERT_EQ(run.ReplayToStateDir("state"), 0);
  absl::StatusOr<cohort::ObligationSet> set = cohort::ReadStateDir(run.Path("state").string());
  ASSERT_TRUE(set.ok()) << set.status();
  absl::StatusOr<std::vector<cohort::TruthRow>> truth =
      cohort::ReadTruthFile(run.Path("truth.csv").string());
  ASSERT_TRUE(truth.ok()) << truth.status();
  const cohort::ComplianceReport report = cohort::MeasureObligations(*std::move(set), &*truth);
  EXPECT_GT(report.as_of, absl::InfinitePast());
  size_t compared = 0;
  for (const cohort::RuleResult& r : report.rules) {
    if (r.all.truth_obligations == 0) continue;  // a rule the simulator does not model
    ++compared;
    std::printf("%-28s state %5zu %6.1f %%  truth %5zu %6.1f %%\n", r.rule_id.c_str(),
                r.all.obligations, r.all.MeasuredPct(), r.all.truth_obligations, r.all.TruthPct());
    EXPECT_EQ(r.all.obligations, r.all.truth_obligations) << r.rule_id;
    EXPECT_EQ(r.all.obligations - r.all.not_met, r.all.truth_met) << r.rule_id;
    for (int g = 0; g < 3; ++g) {
      EXPECT_EQ(r.by_group[g].obligations - r.by_group[g].not_met, r.by_group[g].truth_met)
          << r.rule_id << " group " << g;
    }
    for (const auto& [code, share] : r.by_municipality) {
      EXPECT_EQ(share.obligations, share.truth_obligations) << r.rule_id << " " << code;
      EXPECT_EQ(share.obligations - share.not_met, share.truth_met) << r.rule_id << " " << code;
    }
    for (const auto& [month, share] : r.by_month) {
      EXPECT_EQ(share.obligations, share.truth_obligations) << r.rule_id << " " << month;
      EXPECT_EQ(share.obligations - share.not_met, share.truth_met) << r.rule_id << " " << month;
    }
  }
  EXPECT_GE(compared, 20u);
  EXPECT_EQ(report.disagreements, 0u);
}

}  // namespace
}  // namespace fristvagt
