#include "alerts/alert_factory.h"

#include "gtest/gtest.h"
#include "rules/regime_loader.h"
#include "tests/testing/binary.h"

namespace fristvagt::alerts {
namespace {

const rules::RuleSpec& ShippedRule(const std::string& regime_id, const std::string& rule_id) {
  static const rules::Catalog* catalog = [] {
    std::vector<rules::RuleFileError> errors;
    auto loaded =
        rules::LoadCatalog((testing::SourceDir() / "rules" / "regimes").string(), &errors);
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return new rules::Catalog(std::move(loaded).value());
  }();
  for (const rules::Regime& regime : catalog->regimes) {
    if (regime.id != regime_id) continue;
    if (const rules::RuleSpec* rule = rules::Catalog::FindRule(regime, rule_id)) return *rule;
  }
  ADD_FAILURE() << "no rule " << rule_id << " in " << regime_id;
  static const rules::RuleSpec empty;
  return empty;
}

TEST(AlertTextTest, BreachInDanishNamesRequirementDateAndLaw) {
  const rules::RuleSpec& rule = ShippedRule("lab2022", "info_transfer");
  EXPECT_EQ(
      AlertText(v1::BREACH, &rule, rule.id, "2023-08-14", rule.legal_ref, "", Language::kDanish),
      "Oplysninger om uddannelsespålægget er ikke givet til uddannelsesinstitutionen før "
      "uddannelsesstart 14.08.2023 (LAB § 30, stk. 7).");
}

TEST(AlertTextTest, EnglishUsesIsoDatesAndEnglishText) {
  const rules::RuleSpec& rule = ShippedRule("lab2022", "info_transfer");
  EXPECT_EQ(
      AlertText(v1::BREACH, &rule, rule.id, "2023-08-14", rule.legal_ref, "", Language::kEnglish),
      "Missing information transfer to the education institution before the education "
      "start on 2023-08-14 (LAB § 30, stk. 7).");
}

TEST(AlertTextTest, ReminderResolvedAndRetractedArePhrasedForTheCaseworker) {
  const rules::RuleSpec& rule = ShippedRule("lab2016", "first_meeting");
  EXPECT_EQ(
      AlertText(v1::REMINDER, &rule, rule.id, "2019-03-11", rule.legal_ref, "", Language::kDanish),
      "Påmindelse: Første jobsamtale skal holdes senest 11.03.2019 (LAB § 20 a).");
  EXPECT_EQ(
      AlertText(v1::RESOLVED, &rule, rule.id, "2019-03-11", rule.legal_ref, "", Language::kDanish),
      "Nu opfyldt, men for sent: Første jobsamtale skal holdes senest 11.03.2019 "
      "(LAB § 20 a).");
  EXPECT_EQ(AlertText(v1::RETRACTED, &rule, rule.id, "2019-03-11", rule.legal_ref, "",
                      Language::kEnglish),
            "Earlier alert withdrawn: The first job meeting was not held by 2019-03-11 "
            "(LAB § 20 a).");
}

TEST(AlertTextTest, MissingDocumentationIsNamed) {
  const rules::RuleSpec& rule = ShippedRule("lab2016", "first_meeting");
  const std::string text = AlertText(v1::MISSING, &rule, rule.id, "2019-03-11", rule.legal_ref,
                                     "justification_documented", Language::kDanish);
  EXPECT_NE(text.find("(mangler: justification_documented)"), std::string::npos) << text;
}

TEST(BuildAlertTest, IdIsStablePerTransitionAndDiffersBySequence) {
  v1::ObligationRecord record;
  record.set_obligation_id("ob-1");
  record.set_rule_id("first_meeting");
  record.set_deadline("2019-03-11");
  v1::PersonState person;
  person.set_person_key("p-1");
  const Transition breach{v1::BREACH, absl::FromUnixSeconds(1552345200)};
  const AlertInput input{breach, record, person, nullptr, "", absl::FromUnixSeconds(1552345200)};
  const v1::Alert first = BuildAlert(input, Language::kDanish);
  EXPECT_EQ(first.alert_id(), BuildAlert(input, Language::kDanish).alert_id());
  EXPECT_EQ(first.alert_id(), BuildAlert(input, Language::kEnglish).alert_id());
  record.set_alert_seq(3);
  EXPECT_NE(first.alert_id(), BuildAlert(input, Language::kDanish).alert_id());
  EXPECT_EQ(first.due_at(), "2019-03-12T00:00:00+01:00");
}

}  // namespace
}  // namespace fristvagt::alerts
