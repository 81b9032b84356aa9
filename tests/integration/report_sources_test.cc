// The report's three sources agree on a real deployment: `fristvagt run` on an embedded broker
// processes a synthetic cohort and is stopped; the kontrolpunkter measured from its compacted
// obligations topic (report --bootstrap) equal those measured from its state dir (report
// --state-dir) of the stopped instance, per rule, municipality, caseworker and month.

#include <csignal>
#include <string>
#include <vector>

#include "cohort/manager_page.h"
#include "cohort/obligations.h"
#include "cohort/obligations_topic.h"
#include "cohort/report.h"
#include "gtest/gtest.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

void ExpectSame(const std::map<std::string, cohort::Share>& a,
                const std::map<std::string, cohort::Share>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [key, share] : a) {
    ASSERT_TRUE(b.count(key)) << what << " " << key;
    EXPECT_EQ(share.obligations, b.at(key).obligations) << what << " " << key;
    EXPECT_EQ(share.not_met, b.at(key).not_met) << what << " " << key;
  }
}

TEST(ReportSourcesTest, ObligationsTopicAndStateDirGiveTheSameFigures) {
  testing::TempDir dir;
  absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(dir.path(), 3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 150, .seed = 5});
  ASSERT_TRUE(
      testing::Produce(broker->bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());
  testing::RunSettings settings;
  settings.state_dir = dir.path() / "state";
  std::unique_ptr<testing::ChildProcess> run =
      testing::StartProcessor(dir.path(), "run", broker->bootstrap, settings);
  size_t last = 0;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        if (!testing::InputApplied(broker->bootstrap)) return false;
        absl::StatusOr<std::map<int32_t, int64_t>> ends =
            testing::EndOffsets(broker->bootstrap, "fristvagt.obligations");
        size_t records = 0;
        if (ends.ok()) {
          for (const auto& [p, end] : *ends) records += end;
        }
        const bool stable = records > 0 && records == last;
        last = records;
        return stable;
      },
      absl::Seconds(90), absl::Milliseconds(700)))
      << run->ReadLog();
  run->Signal(SIGTERM);
  ASSERT_TRUE(run->Wait(absl::Seconds(30)).has_value()) << run->ReadLog();

  absl::StatusOr<cohort::ObligationSet> topic =
      cohort::ReadObligationsTopic(broker->bootstrap, "fristvagt.obligations");
  ASSERT_TRUE(topic.ok()) << topic.status();
  absl::StatusOr<cohort::ObligationSet> state = cohort::ReadStateDir(settings.state_dir.string());
  ASSERT_TRUE(state.ok()) << state.status();
  const cohort::ComplianceReport from_topic = cohort::MeasureObligations(*topic, nullptr);
  const cohort::ComplianceReport from_state = cohort::MeasureObligations(*state, nullptr);
  ASSERT_EQ(from_topic.rules.size(), from_state.rules.size());
  ASSERT_GE(from_state.rules.size(), 4u);
  for (size_t i = 0; i < from_state.rules.size(); ++i) {
    const cohort::RuleResult& t = from_topic.rules[i];
    const cohort::RuleResult& s = from_state.rules[i];
    ASSERT_EQ(t.rule_id, s.rule_id);
    EXPECT_EQ(t.all.obligations, s.all.obligations) << s.rule_id;
    EXPECT_EQ(t.all.not_met, s.all.not_met) << s.rule_id;
    ExpectSame(t.by_municipality, s.by_municipality, s.rule_id + " municipality");
    ExpectSame(t.by_caseworker, s.by_caseworker, s.rule_id + " caseworker");
    ExpectSame(t.by_month, s.by_month, s.rule_id + " month");
  }
  const std::string page = cohort::RenderManagerPage(from_state);
  EXPECT_NE(page.find("Kræver opmærksomhed nu"), std::string::npos);
  EXPECT_NE(page.find("data-caseworker="), std::string::npos) << "no caseworkers on the page";
}

}  // namespace
}  // namespace fristvagt
