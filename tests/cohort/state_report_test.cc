// The report from obligation records (cohort/obligations.h): a simulated cohort replayed into
// a state dir, measured without the ground truth, gives the ground truth's figures for every
// kontrolpunkt the simulator models, per rule, municipality and month.

#include <cstdio>
#include <filesystem>
#include <set>
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

  // The same through the command line: `report --state-dir --truth` prints the same figures
  // in its measured and truth columns, for every scope the truth covers.
  const std::string state = run.Path("state").string();
  ASSERT_EQ(testing::RunBinary("report --state-dir " + state + " --truth " +
                               run.Path("truth.csv").string() + " --csv " +
                               run.Path("report.csv").string() + " >" +
                               run.Path("report.txt").string()),
            0);
  size_t rows = 0;
  for (const char* scope : {"all", "group", "municipality", "month"}) {
    for (const auto& [key, share] : run.Csv(scope)) {
      if (share.truth < 0) continue;  // a rule the simulator does not model
      ++rows;
      EXPECT_EQ(share.obligations, share.truth_obligations) << scope << " " << key;
      EXPECT_DOUBLE_EQ(share.measured, share.truth) << scope << " " << key;
    }
  }
  EXPECT_GE(rows, 200u);
  EXPECT_NE(run.Read("report.txt").find("fristvagt and the truth disagree: 0"), std::string::npos)
      << run.Read("report.txt");
}

// A replay of events without any simulator file gives the full report: every kontrolpunkt the
// events touch, per municipality, caseworker and month, and the manager's page.
TEST(StateReportTest, ReplayWithoutSimulatorFilesGivesAFullReport) {
  testing::CohortPipeline run;
  ASSERT_EQ(run.Simulate(300, 5, 9, 4), 0) << run.Read("simulate.err");
  std::filesystem::remove(run.Path("truth.csv"));
  ASSERT_EQ(run.ReplayToStateDir("state"), 0);
  ASSERT_EQ(testing::RunBinary("report --state-dir " + run.Path("state").string() + " --csv " +
                               run.Path("report.csv").string() + " --page " +
                               run.Path("page.html").string() + " >" +
                               run.Path("report.txt").string() + " 2>&1"),
            0)
      << run.Read("report.txt");
  const auto all = run.Csv("all");
  EXPECT_GE(all.size(), 20u);
  for (const char* rule : {"first_meeting", "test_completed", "info_transfer", "cv_visible"}) {
    ASSERT_TRUE(all.count(rule)) << rule;
    EXPECT_EQ(all.at(rule).truth, -1) << "no truth column without --truth";
  }
  std::set<std::string> municipalities;
  for (const auto& [key, share] : run.Csv("municipality")) {
    municipalities.insert(key.substr(0, key.find('/')));
  }
  EXPECT_EQ(municipalities.size(), 5u);
  EXPECT_GE(run.Csv("caseworker").size(), all.size() * 5);
  EXPECT_GE(run.Csv("month").size(), all.size());
  EXPECT_NE(run.Read("page.html").find("Kræver opmærksomhed nu"), std::string::npos);
  EXPECT_EQ(run.Read("report.txt").find("disagree"), std::string::npos);
}

}  // namespace
}  // namespace fristvagt
