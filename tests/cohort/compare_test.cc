// `compare` (cohort/compare.h) reports exactly the change made to a regime: a simulated cohort
// replayed under the shipped regimes and under a copy where lab2016's first meeting is due
// after 14 days instead of 7 differs only in first_meeting: every such obligation moves its
// deadline, none appears or disappears, breaches only fall, and no other rule changes.

#include <filesystem>
#include <fstream>
#include <set>
#include <vector>
#include <sstream>
#include <string>

#include "cohort/compare.h"
#include "cohort/obligations.h"
#include "gtest/gtest.h"
#include "tests/cohort/pipeline.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;

TEST(CompareTest, ReportsExactlyTheChangeMadeToARegime) {
  testing::CohortPipeline run;
  ASSERT_EQ(run.Simulate(600, 6, 7, 4), 0) << run.Read("simulate.err");
  const fs::path shipped = fs::path(FRISTVAGT_TEST_SOURCE_DIR) / "rules/regimes";
  const fs::path draft = run.Path("draft");
  fs::copy(shipped, draft);
  std::ifstream in(draft / "lab2016.toml");
  std::stringstream text;
  text << in.rdbuf();
  in.close();
  const std::string original = text.str();
  std::string edited = original;
  const size_t rule = edited.find("id = \"first_meeting\"");
  ASSERT_NE(rule, std::string::npos);
  const size_t due = edited.find("due = { days = 7 }", rule);
  ASSERT_NE(due, std::string::npos);
  ASSERT_LT(due, edited.find("[[rule]]", rule));
  edited.replace(due, 18, "due = { days = 14 }");
  std::ofstream(draft / "lab2016.toml") << edited;

  ASSERT_EQ(run.ReplayToStateDir("state-a", shipped.string()), 0);
  ASSERT_EQ(run.ReplayToStateDir("state-b", draft.string()), 0);
  absl::StatusOr<cohort::ObligationSet> a = cohort::ReadStateDir(run.Path("state-a").string());
  absl::StatusOr<cohort::ObligationSet> b = cohort::ReadStateDir(run.Path("state-b").string());
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  const cohort::Comparison c = cohort::CompareObligations(
      *a, *b, [](std::string_view key) { return "h-" + std::to_string(key.size()); });

  size_t first_meetings = 0, moved = 0, fewer_breaches = 0;
  for (const cohort::CompareRow& row : c.rows) {
    if (row.rule_id != "first_meeting") {
      EXPECT_FALSE(row.Changed()) << row.rule_id << " in " << row.municipality_code;
      continue;
    }
    first_meetings += row.obligations_a;
    moved += row.changes[cohort::kDeadlineMoved];
    fewer_breaches += row.breaches_a - row.breaches_b;
    EXPECT_EQ(row.changes[cohort::kAppeared], 0u);
    EXPECT_EQ(row.changes[cohort::kDisappeared], 0u);
    EXPECT_EQ(row.obligations_a, row.obligations_b);
    EXPECT_LE(row.breaches_b, row.breaches_a);
    EXPECT_FALSE(row.examples[cohort::kDeadlineMoved].empty());
  }
  EXPECT_GE(first_meetings, 300u);
  EXPECT_EQ(moved, first_meetings);  // every one: the cohort is all lab2016
  EXPECT_GT(fewer_breaches, 0u);
  EXPECT_EQ(c.obligations_a, c.obligations_b);

  const std::string table = cohort::RenderComparison(c, "shipped", "draft");
  EXPECT_NE(table.find("first_meeting"), std::string::npos) << table;
  EXPECT_EQ(table.find("p-"), std::string::npos) << "person keys in clear:\n" << table;

  // The command: the same comparison, person keys pseudonymised as in the logs.
  std::string out;
  ASSERT_EQ(testing::RunBinaryCapture("compare --events " + run.Path("events.jsonl").string() +
                                          " --rules " + shipped.string() + " --rules " +
                                          draft.string() + " --until 2019-05-01T00:00:00+02:00",
                                      &out),
            0)
      << out;
  EXPECT_NE(out.find("first_meeting"), std::string::npos) << out;
  EXPECT_NE(out.find("deadline_moved, e.g. p#"), std::string::npos) << out;
  for (const cohort::CompareRow& row : c.rows) {
    if (row.rule_id != "first_meeting") {
      EXPECT_EQ(out.find(row.rule_id + " "), std::string::npos) << row.rule_id << "\n" << out;
    }
  }
  ASSERT_EQ(testing::RunBinaryCapture("compare --events " + run.Path("events.jsonl").string() +
                                          " --rules " + shipped.string() + " --rules " +
                                          shipped.string(),
                                      &out),
            0)
      << out;
  EXPECT_NE(out.find("no differences"), std::string::npos) << out;

  // The same regimes on both sides: no differences.
  const cohort::Comparison same = cohort::CompareObligations(*a, *a, [](std::string_view) { return ""; });
  EXPECT_NE(cohort::RenderComparison(same, "a", "a").find("no differences"), std::string::npos);
}

}  // namespace
}  // namespace fristvagt

namespace fristvagt {
namespace {

// `compare --rules A --draft lab2027`: the proposed 2027 law against the law in force, on a
// cohort across 2027-01-01. Only rules the draft repeals (or whose obligations hang on a
// repealed pålæg, such as the course after a test) change; contact rules stay the same.
TEST(CompareTest, DraftRegimeAgainstTheLawInForce) {
  testing::CohortPipeline run;
  ASSERT_EQ(testing::RunBinary("simulate --persons 200 --municipalities 3 --seed 4 "
                               "--start 2026-10-01 --months 4 --out " +
                               run.Path("events.jsonl").string() + " 2>/dev/null"),
            0);
  const std::string rules = (std::filesystem::path(FRISTVAGT_TEST_SOURCE_DIR) / "rules/regimes").string();
  ASSERT_EQ(testing::RunBinary("compare --events " + run.Path("events.jsonl").string() +
                               " --rules " + rules + " --draft lab2027 --until "
                               "2027-02-01T00:00:00+01:00 --csv " + run.Path("diff.csv").string() +
                               " >" + run.Path("diff.txt").string() + " 2>&1"),
            0)
      << run.Read("diff.txt");
  const std::string csv = run.Read("diff.csv");
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  std::set<std::string> changed;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) f.push_back(cell);
    ASSERT_GE(f.size(), 10u) << line;
    if (f[4] != "0" || f[5] != "0" || f[6] != "0" || f[7] != "0" || f[8] != f[9]) {
      changed.insert(f[0]);
    }
  }
  EXPECT_TRUE(changed.count("first_offer") || changed.count("paalaeg_at_first_meeting"))
      << run.Read("diff.txt");
  for (const char* same : {"first_meeting", "final_visitation", "cv_visible"}) {
    EXPECT_FALSE(changed.count(same)) << same << "\n" << run.Read("diff.txt");
  }
}

}  // namespace
}  // namespace fristvagt
