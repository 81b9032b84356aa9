// The report from obligation rows, on hand-made rows (fast enough for the sanitizer pass, which
// skips the end-to-end cohort tests): what counts, the scopes, the truth column, the manager's
// page and compare.

#include <string>

#include "cohort/compare.h"
#include "cohort/manager_page.h"
#include "cohort/obligations.h"
#include "cohort/report.h"
#include "gtest/gtest.h"

namespace fristvagt::cohort {
namespace {

ObligationFact Ob(std::string id, std::string person, std::string rule, absl::CivilDay deadline,
                  v1::ObligationStatus status, std::string caseworker = "cw-1") {
  ObligationFact ob;
  ob.obligation_id = std::move(id);
  ob.person_key = std::move(person);
  ob.municipality_code = "851";
  ob.caseworker_id = std::move(caseworker);
  ob.rule_id = std::move(rule);
  ob.legal_ref = "LAB § 20 a";
  ob.deadline = deadline;
  ob.status = status;
  ob.group = v1::UDDANNELSESPARAT;
  ob.causes = {{"e-1", "first_contact", deadline - 7}};
  return ob;
}

ObligationSet Set() {
  ObligationSet set;
  set.persons = 4;
  set.as_of = absl::FromCivil(absl::CivilDay(2019, 6, 1), absl::UTCTimeZone());
  set.obligations = {
      Ob("o1", "p-1", "first_meeting", absl::CivilDay(2019, 4, 10), v1::MET),
      Ob("o2", "p-2", "first_meeting", absl::CivilDay(2019, 4, 20), v1::BREACHED),
      Ob("o3", "p-3", "first_meeting", absl::CivilDay(2019, 5, 20), v1::MET_LATE),
      Ob("o4", "p-4", "first_meeting", absl::CivilDay(2019, 5, 25), v1::WAIVED),    // not owed: not counted
      Ob("o5", "p-4", "first_meeting", absl::CivilDay(2019, 6, 3), v1::OPEN),       // due soon
      Ob("o6", "p-4", "final_visitation", absl::CivilDay(2019, 7, 1), v1::MET),     // met early: not yet
  };
  return set;
}

TEST(ObligationsReportTest, CountsSettledObligationsWithPassedDeadlines) {
  const ComplianceReport report = MeasureObligations(Set(), nullptr);
  ASSERT_EQ(report.rules.size(), 1u);
  const RuleResult& r = report.rules[0];
  EXPECT_EQ(r.rule_id, "first_meeting");
  EXPECT_EQ(r.all.obligations, 3u);
  EXPECT_EQ(r.all.not_met, 2u);
  EXPECT_EQ(r.by_month.at("2019-04").obligations, 2u);
  EXPECT_EQ(r.by_month.at("2019-05").not_met, 1u);
  EXPECT_EQ(r.by_caseworker.at("cw-1").obligations, 3u);
  EXPECT_EQ(r.by_group[1].obligations, 3u);  // UP
  EXPECT_FALSE(report.has_truth);
  const std::string csv = RenderCsv(report);
  EXPECT_NE(csv.find("month,2019-04,first_meeting,2,1,50.00,,0"), std::string::npos) << csv;
  EXPECT_NE(RenderJson(report).find("\"rule_id\":\"first_meeting\""), std::string::npos);
}

TEST(ObligationsReportTest, TruthColumnAndDisagreements) {
  std::vector<TruthRow> truth(2);
  truth[0] = {"p-1", "851", v1::UDDANNELSESPARAT, "first_meeting", "e-1", absl::CivilDay(2019, 4, 10), true};
  truth[1] = {"p-2", "851", v1::UDDANNELSESPARAT, "first_meeting", "e-2", absl::CivilDay(2019, 4, 20), true};
  const ComplianceReport report = MeasureObligations(Set(), &truth);
  EXPECT_EQ(report.rules[0].all.truth_obligations, 2u);
  EXPECT_EQ(report.rules[0].all.truth_met, 2u);
  EXPECT_EQ(report.disagreements, 2u);  // p-2 breached but met in the truth; p-3 not in it
}

TEST(ObligationsReportTest, ManagerPageShowsUrgencyAndDrillDown) {
  const std::string page = RenderManagerPage(MeasureObligations(Set(), nullptr));
  EXPECT_NE(page.find("data-count=\"1\" id=\"overdue-count\""), std::string::npos);  // o2
  EXPECT_NE(page.find("id=\"due-count\" data-count=\"1\""), std::string::npos);      // o5
  EXPECT_NE(page.find("data-overdue=\"1\" data-soon=\"1\" data-late=\"1\""), std::string::npos);
  EXPECT_NE(page.find("first_contact 2019-04-13 (e-1)"), std::string::npos);
  EXPECT_NE(page.find("LAB § 20 a"), std::string::npos);
}

TEST(ObligationsReportTest, CompareMatchesByObligationId) {
  ObligationSet a = Set(), b = Set();
  b.obligations[1].deadline = absl::CivilDay(2019, 4, 27);  // o2 moved ...
  b.obligations[1].status = v1::MET;          // ... and now met
  b.obligations.pop_back();                   // o6 gone
  b.obligations.push_back(Ob("o7", "p-9", "cv_visible", absl::CivilDay(2019, 5, 1), v1::BREACHED));
  const Comparison c = CompareObligations(
      a, b, [](std::string_view k) { return "#" + std::string(k.substr(2)); });
  size_t moved = 0, status = 0, gone = 0, added = 0;
  for (const CompareRow& row : c.rows) {
    moved += row.changes[kDeadlineMoved];
    status += row.changes[kStatusChanged];
    gone += row.changes[kDisappeared];
    added += row.changes[kAppeared];
  }
  EXPECT_EQ(moved, 1u);
  EXPECT_EQ(status, 1u);
  EXPECT_EQ(gone, 1u);
  EXPECT_EQ(added, 1u);
  EXPECT_EQ(c.unchanged, 4u);
  const std::string table = RenderComparison(c, "A", "B");
  EXPECT_NE(table.find("deadline_moved, e.g. #2"), std::string::npos) << table;
  EXPECT_EQ(table.find("p-"), std::string::npos) << table;
}

}  // namespace
}  // namespace fristvagt::cohort
