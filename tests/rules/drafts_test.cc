// The lab2027 draft (rules/regimes/lab2027.toml) switched on: obligations of the rules the
// announced act repeals are waived on 2027-01-01, with reminders until then; switched off,
// the same person's obligations stay open under lab2026.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rules/civil_time.h"
#include "rules/evaluator.h"
#include "rules/regime_loader.h"
#include "tests/testing/binary.h"

namespace fristvagt::rules {
namespace {

Catalog Shipped(const std::vector<std::string>& drafts) {
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> catalog =
      LoadCatalog((fristvagt::testing::SourceDir() / "rules/regimes").string(), &errors, drafts);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  return catalog.ok() ? *std::move(catalog) : Catalog{};
}

absl::Time At(int y, int m, int d) { return LocalMoment(absl::CivilDay(y, m, d), 10); }

void Stamp(google::protobuf::Timestamp* ts, absl::Time t) {
  ts->set_seconds(absl::ToUnixSeconds(t));
}

std::vector<v1::CaseEvent> Person() {
  std::vector<v1::CaseEvent> events(2);
  events[0].set_event_id("fc-1");
  Stamp(events[0].mutable_occurred_at(), At(2026, 12, 14));
  Stamp(events[0].mutable_recorded_at(), At(2026, 12, 14));
  events[0].mutable_first_contact()->set_age_years(22);
  events[1].set_event_id("ord-1");
  Stamp(events[1].mutable_occurred_at(), At(2026, 12, 15));
  Stamp(events[1].mutable_recorded_at(), At(2026, 12, 15));
  Stamp(events[1].mutable_education_order_issued()->mutable_wishes_deadline(), At(2027, 2, 1));
  return events;
}

v1::ObligationStatus StatusOf(const Catalog& catalog, const std::string& rule_id,
                              absl::Time now, std::string* regime = nullptr) {
  const std::vector<v1::CaseEvent> events = Person();
  std::vector<const v1::CaseEvent*> facts;
  for (const auto& e : events) facts.push_back(&e);
  for (const ObligationView& v : Evaluate("p-1", facts, catalog, now)) {
    if (v.rule_id != rule_id) continue;
    if (regime != nullptr) *regime = v.regime->id;
    return v.status;
  }
  return v1::OBLIGATION_STATUS_UNSPECIFIED;
}

TEST(DraftsTest, RepealedRulesAreWaivedOnTheFirstDay) {
  const Catalog on = Shipped({"lab2027"});
  for (const char* rule : {"paalaeg_step_deadline", "test_need_assessment", "test_completed",
                           "first_offer"}) {
    std::string regime;
    EXPECT_EQ(StatusOf(on, rule, At(2026, 12, 31), &regime), v1::OPEN) << rule;
    EXPECT_EQ(regime, "lab2026") << rule;
    EXPECT_EQ(StatusOf(on, rule, At(2027, 1, 1)), v1::WAIVED) << rule;
  }
  // A rule the act keeps is not touched.
  EXPECT_EQ(StatusOf(on, "final_visitation", At(2027, 1, 2)), v1::OPEN);
}

TEST(DraftsTest, OffByDefault) {
  const Catalog off = Shipped({});
  EXPECT_EQ(StatusOf(off, "paalaeg_step_deadline", At(2027, 1, 2)), v1::OPEN);
  EXPECT_EQ(StatusOf(off, "test_need_assessment", At(2027, 1, 2)), v1::OPEN);
  ASSERT_EQ(off.drafts.size(), 1u);
  EXPECT_EQ(off.drafts[0].id, "lab2027");
}

}  // namespace
}  // namespace fristvagt::rules
