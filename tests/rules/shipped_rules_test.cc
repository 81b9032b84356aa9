// The shipped regime files: they load without problems, every rule id of rules.md §4 is in
// them, and docs/rules.md is exactly what `fristvagt rules-doc` renders from them (so the
// document a lawyer reviews cannot drift from the rules the processor enforces).

#include <fstream>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "rules/regime_loader.h"
#include "rules/rules_doc.h"
#include "tests/testing/binary.h"

namespace fristvagt::rules {
namespace {

Catalog LoadShipped() {
  std::vector<RuleFileError> errors;
  auto catalog = LoadCatalog((testing::SourceDir() / "rules" / "regimes").string(), &errors);
  for (const auto& e : errors) ADD_FAILURE() << e.ToString();
  return catalog.ok() ? *catalog : Catalog{};
}

TEST(ShippedRulesTest, DocsRulesMdIsGeneratedFromTheRegimeFiles) {
  std::ifstream in(testing::SourceDir() / "docs" / "rules.md");
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), RenderRulesMarkdown(LoadShipped()))
      << "docs/rules.md is stale: run `fristvagt rules-doc > docs/rules.md`";
}

TEST(ShippedRulesTest, EveryRuleOfTheSpecIsInSomeRegime) {
  const std::set<std::string> spec = {"first_meeting",
                                      "final_visitation",
                                      "visitation_justified",
                                      "aktivitetsparat_at_first_meeting",
                                      "paalaeg_at_first_meeting",
                                      "test_need_assessment",
                                      "test_completed",
                                      "course_after_test",
                                      "guidance_225_hours",
                                      "coordinating_caseworker",
                                      "meetings_up_first_3_months",
                                      "meetings_ap_every_2_months",
                                      "meetings_first_6_months",
                                      "paalaeg_followed_up",
                                      "paalaeg_step_deadline",
                                      "paalaeg_deadline_postponed",
                                      "first_offer",
                                      "offer_gap",
                                      "offer_justified",
                                      "cv_visible",
                                      "jobseeker_registered",
                                      "education_goal_in_plan",
                                      "institution_identified",
                                      "duty_assessment",
                                      "info_transfer",
                                      "info_transfer_content",
                                      "mentor_period_end",
                                      "mentor_on_education_start",
                                      "dropout_risk_reaction",
                                      "sanction_decision",
                                      "contact_before_sanction"};
  std::set<std::string> shipped;
  for (const Regime& regime : LoadShipped().regimes) {
    for (const RuleSpec& rule : regime.rules) shipped.insert(rule.id);
  }
  for (const std::string& id : spec) EXPECT_TRUE(shipped.count(id)) << id;
}

TEST(ShippedRulesTest, RegimesCoverEveryDayFromTheFirstOnwardWithoutGaps) {
  const Catalog catalog = LoadShipped();
  ASSERT_EQ(catalog.regimes.size(), 5u);
  EXPECT_EQ(catalog.RegimeOn(absl::CivilDay(2019, 12, 31))->id, "lab2016");
  EXPECT_EQ(catalog.RegimeOn(absl::CivilDay(2020, 1, 1))->id, "lab2020");
  EXPECT_EQ(catalog.RegimeOn(absl::CivilDay(2021, 12, 31))->id, "lab2020");
  EXPECT_EQ(catalog.RegimeOn(absl::CivilDay(2022, 1, 1))->id, "lab2022");
  EXPECT_EQ(catalog.RegimeOn(absl::CivilDay(2025, 7, 1))->id, "lab2025");
  EXPECT_EQ(catalog.RegimeOn(absl::CivilDay(2030, 1, 1))->id, "lab2026");
}

}  // namespace
}  // namespace fristvagt::rules
