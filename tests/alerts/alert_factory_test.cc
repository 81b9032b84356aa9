#include "alerts/alert_factory.h"

#include <random>

#include "gtest/gtest.h"
#include "rules/civil_time.h"
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


// FormatAlertTime is rules::FormatRfc3339 formatted by hand: the same text for every hour of
// seven years (both daylight-saving switches each year, a second either side of each), random
// instants with sub-seconds from 1850 to 2200 (before 1894 Copenhagen's offset is not whole
// minutes: the fallback) and the edges it hands to rules::FormatRfc3339.
TEST(FormatAlertTimeTest, SameTextAsRulesFormatRfc3339) {
  const absl::Time start = absl::FromUnixSeconds(1577836800);  // 2020-01-01T00:00:00Z
  for (int hour = 0; hour < 7 * 366 * 24; ++hour) {
    for (int second : {-1, 0, 1}) {
      const absl::Time t = start + absl::Hours(hour) + absl::Seconds(second);
      ASSERT_EQ(FormatAlertTime(t), rules::FormatRfc3339(t)) << absl::ToUnixSeconds(t);
    }
  }
  std::mt19937_64 rng(15);
  const int64_t from = -3786825600;  // 1850
  const int64_t to = 7258118400;     // 2200
  for (int i = 0; i < 100000; ++i) {
    const absl::Time t = absl::FromUnixMicros(
        (from + static_cast<int64_t>(rng() % static_cast<uint64_t>(to - from))) * 1000000 +
        static_cast<int64_t>(rng() % 1000000));
    ASSERT_EQ(FormatAlertTime(t), rules::FormatRfc3339(t)) << absl::ToUnixMicros(t);
  }
  for (absl::Time t : {absl::InfiniteFuture(), absl::InfinitePast(), absl::FromUnixSeconds(0),
                       absl::FromCivil(absl::CivilSecond(999, 12, 31, 23, 59, 59), absl::UTCTimeZone()),
                       absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone()),
                       absl::FromCivil(absl::CivilSecond(-5, 6, 1, 0, 0, 0), absl::UTCTimeZone())}) {
    EXPECT_EQ(FormatAlertTime(t), rules::FormatRfc3339(t));
  }
  EXPECT_EQ(FormatAlertTime(absl::FromUnixSeconds(1704434400)), "2024-01-05T07:00:00+01:00");
  EXPECT_EQ(FormatAlertTime(absl::FromUnixSeconds(1719813600)), "2024-07-01T08:00:00+02:00");
}

}  // namespace
}  // namespace fristvagt::alerts
