// `report`'s counting rules on hand-made alerts: what counts as not met in time, how the
// ground truth supplies the denominators, and the traffic lights of the caseworker sheets.

#include "cohort/report.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/testing/binary.h"

namespace fristvagt::cohort {
namespace {

std::string Alert(const std::string& obligation, const std::string& person, const std::string& rule,
                  const std::string& kind, const std::string& deadline,
                  const std::string& raised = "2019-06-01T00:00:00+02:00") {
  return absl::StrFormat(
      R"({"alert_id":"a-%s-%s","obligation_id":"%s","person_key":"%s","municipality_code":"851",)"
      R"("caseworker_id":"cw-1","rule_id":"%s","regime":"lab2016","kind":"%s","deadline":"%s",)"
      R"("raised_at":"%s"})",
      obligation, kind, obligation, person, rule, kind, deadline, raised);
}

TruthRow Row(const std::string& person, const std::string& rule, const std::string& deadline,
             bool met, v1::VisitationGroup group = v1::UDDANNELSESPARAT,
             const std::string& municipality = "851") {
  TruthRow row;
  row.person_key = person;
  row.municipality_code = municipality;
  row.group = group;
  row.rule_id = rule;
  row.instance = person + "-1";
  EXPECT_TRUE(absl::ParseCivilTime(deadline, &row.deadline));
  row.met_in_time = met;
  return row;
}

absl::StatusOr<AlertLog> ReadLines(const std::vector<std::string>& lines) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "alerts.jsonl").string();
  std::ofstream out(path);
  for (const std::string& line : lines) out << line << '\n';
  out.close();
  return ReadAlerts(path);
}

TEST(ReportTest, OnlyAStandingBreachCountsAsNotMetInTime) {
  absl::StatusOr<AlertLog> log = ReadLines({
      Alert("o1", "p-1", "first_meeting", "REMINDER", "2019-03-11"),
      Alert("o1", "p-1", "first_meeting", "BREACH", "2019-03-11"),
      Alert("o1", "p-1", "first_meeting", "RETRACTED", "2019-03-11"),  // registered late: met
      Alert("o2", "p-2", "first_meeting", "BREACH", "2019-03-12"),
      Alert("o2", "p-2", "first_meeting", "RESOLVED", "2019-03-12"),  // met, but late
      Alert("o3", "p-3", "first_meeting", "REMINDER", "2019-03-13"),  // met after a reminder
      Alert("o4", "p-4", "offer_justified", "MISSING", "2019-03-14"),
  });
  ASSERT_TRUE(log.ok()) << log.status();
  const std::vector<TruthRow> truth = {
      Row("p-1", "first_meeting", "2019-03-11", true),
      Row("p-2", "first_meeting", "2019-03-12", false, v1::AKTIVITETSPARAT),
      Row("p-3", "first_meeting", "2019-03-13", true),
      Row("p-5", "first_meeting", "2019-03-15", true, v1::UDDANNELSESPARAT, "101"),
  };
  const ComplianceReport report = Measure(*log, truth);
  ASSERT_EQ(report.rules.size(), 1u);
  const RuleResult& r = report.rules[0];
  EXPECT_EQ(r.rule_id, "first_meeting");
  EXPECT_EQ(r.all.obligations, 4u);
  EXPECT_EQ(r.all.not_met, 1u);
  EXPECT_DOUBLE_EQ(r.all.MeasuredPct(), 75.0);
  EXPECT_DOUBLE_EQ(r.all.TruthPct(), 75.0);
  EXPECT_EQ(r.by_group[2].not_met, 1u);  // p-2 is AP
  EXPECT_EQ(r.by_group[1].not_met, 0u);
  EXPECT_EQ(r.by_municipality.at("101").obligations, 1u);
  EXPECT_EQ(report.disagreements, 0u);
  // A rule the truth does not cover has no denominator: reported apart.
  EXPECT_EQ(report.alert_only.at("offer_justified"), 1u);
}

TEST(ReportTest, CountsDisagreementsWithTheTruth) {
  absl::StatusOr<AlertLog> log = ReadLines({
      Alert("o1", "p-1", "first_meeting", "BREACH", "2019-03-11"),
  });
  ASSERT_TRUE(log.ok());
  const ComplianceReport report = Measure(*log, {Row("p-1", "first_meeting", "2019-03-11", true),
                                                 Row("p-2", "first_meeting", "2019-03-11", false)});
  EXPECT_EQ(report.disagreements, 2u);  // p-1 breached though met; p-2 not met, no breach
  EXPECT_DOUBLE_EQ(report.rules[0].all.MeasuredPct(), 50.0);
}

TEST(ReportTest, TrafficLightsFollowTheOpenAlerts) {
  absl::StatusOr<AlertLog> log = ReadLines({
      Alert("o1", "p-1", "first_meeting", "BREACH", "2019-03-11", "2019-03-12T00:00:00+01:00"),
      Alert("o2", "p-2", "first_meeting", "REMINDER", "2019-03-20", "2019-03-18T07:00:00+01:00"),
      Alert("o3", "p-3", "first_meeting", "REMINDER", "2019-03-01", "2019-02-27T07:00:00+01:00"),
  });
  ASSERT_TRUE(log.ok());
  const ComplianceReport report = Measure(*log, {Row("p-1", "first_meeting", "2019-03-11", false),
                                                 Row("p-2", "first_meeting", "2019-03-20", true),
                                                 Row("p-3", "first_meeting", "2019-03-01", true)});
  ASSERT_EQ(report.sheets.size(), 1u);
  const CaseworkerSheet& sheet = report.sheets[0];
  EXPECT_EQ(sheet.caseworker_id, "cw-1");
  ASSERT_EQ(sheet.cases.size(), 3u);
  EXPECT_EQ(sheet.cases[0].person_key, "p-1");  // red first
  EXPECT_EQ(sheet.cases[0].worst, Light::kRed);
  EXPECT_EQ(sheet.cases[1].worst, Light::kYellow);  // deadline after the report's date
  EXPECT_EQ(sheet.cases[2].worst, Light::kGreen);   // its deadline passed without a breach
  const std::string html = RenderHtml(report);
  EXPECT_NE(html.find("<svg class=\"chart\""), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "the page must not load anything";
  EXPECT_NE(RenderTables(report).find("first_meeting"), std::string::npos);
  EXPECT_NE(RenderCsv(report).find("all,,first_meeting,3,1,66.67,66.67"), std::string::npos);
}

TEST(ReportTest, RejectsALineThatIsNotAnAlert) { EXPECT_FALSE(ReadLines({"{not json"}).ok()); }

}  // namespace
}  // namespace fristvagt::cohort
