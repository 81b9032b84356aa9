// The morning digest: when it is due (working days, the hour, once a day) and what it lists
// (open obligations due within N working days, outstanding breaches; one per caseworker).

#include "alerts/digest.h"

#include "gtest/gtest.h"
#include "rules/civil_time.h"

namespace fristvagt::alerts {
namespace {

using absl::CivilDay;

absl::Time At(CivilDay day, int hour) { return rules::LocalMoment(day, hour); }

TEST(DigestDueTest, DueFromTheHourOnWorkingDaysOnceADay) {
  const CivilDay monday(2026, 11, 23);
  EXPECT_FALSE(DigestDue(At(monday, 6), 7, std::nullopt).has_value());
  EXPECT_EQ(DigestDue(At(monday, 7), 7, std::nullopt), monday);
  EXPECT_EQ(DigestDue(At(monday, 15), 7, CivilDay(2026, 11, 20)), monday);
  EXPECT_FALSE(DigestDue(At(monday, 15), 7, monday).has_value()) << "sent already today";
}

TEST(DigestDueTest, NoDigestOnWeekendsOrHolidays) {
  EXPECT_FALSE(DigestDue(At(CivilDay(2026, 11, 28), 9), 7, std::nullopt).has_value());  // Sat
  EXPECT_FALSE(DigestDue(At(CivilDay(2026, 11, 29), 9), 7, std::nullopt).has_value());  // Sun
  EXPECT_FALSE(DigestDue(At(CivilDay(2026, 12, 25), 9), 7, std::nullopt).has_value());  // Xmas
  EXPECT_FALSE(DigestDue(At(CivilDay(2027, 3, 29), 9), 7, std::nullopt).has_value());  // Easter Mon
}

TEST(DigestUntilTest, CountsWorkingDaysOnly) {
  // Friday + 1 working day = Monday; + 5 from Monday 23 Nov = Monday 30 Nov.
  EXPECT_EQ(DigestUntil(CivilDay(2026, 11, 27), 1), CivilDay(2026, 11, 30));
  EXPECT_EQ(DigestUntil(CivilDay(2026, 11, 23), 5), CivilDay(2026, 11, 30));
  // Over Christmas: 23 Dec 2026 (Wed) + 1 = 28 Dec (24, 25, 26-27 weekend are not working days).
  EXPECT_EQ(DigestUntil(CivilDay(2026, 12, 23), 1), CivilDay(2026, 12, 28));
}

v1::ObligationRecord Record(const std::string& id, const std::string& deadline,
                            v1::ObligationStatus status, bool breach_outstanding = false) {
  v1::ObligationRecord record;
  record.set_obligation_id(id);
  record.set_rule_id("first_meeting");
  record.set_regime("lab2025");
  record.set_deadline(deadline);
  record.set_status(status);
  record.set_breach_outstanding(breach_outstanding);
  return record;
}

v1::PersonState Person(const std::string& key, const std::string& caseworker) {
  v1::PersonState person;
  person.set_person_key(key);
  person.set_municipality_code("101");
  person.set_caseworker_id(caseworker);
  return person;
}

TEST(DigestBuilderTest, OneDigestPerCaseworkerWithWhatFallsDueAndOutstandingBreaches) {
  const rules::Catalog catalog;
  DigestBuilder builder(CivilDay(2026, 11, 23), 5, catalog, Language::kDanish);
  v1::PersonState a = Person("p-a", "cw-1");
  *a.add_obligations() = Record("in-window", "2026-11-30", v1::OPEN);
  *a.add_obligations() = Record("too-late", "2026-12-01", v1::OPEN);
  *a.add_obligations() = Record("met", "2026-11-24", v1::MET);
  *a.add_obligations() = Record("breached", "2026-11-10", v1::BREACHED, true);
  *a.add_obligations() = Record("breach-dealt-with", "2026-11-09", v1::BREACHED, false);
  v1::PersonState b = Person("p-b", "cw-1");
  *b.add_obligations() = Record("early", "2026-11-24", v1::OPEN);
  v1::PersonState c = Person("p-c", "cw-2");
  *c.add_obligations() = Record("nothing-due", "2027-01-15", v1::OPEN);
  builder.Add(a);
  builder.Add(b);
  builder.Add(c);

  const absl::Time now = At(CivilDay(2026, 11, 23), 7);
  const std::vector<v1::Alert> digests = builder.Build(now, "partitions 0");
  ASSERT_EQ(digests.size(), 1u) << "cw-2 has nothing due: no digest";
  const v1::Alert& d = digests[0];
  EXPECT_EQ(d.kind(), v1::DIGEST);
  EXPECT_EQ(d.caseworker_id(), "cw-1");
  EXPECT_EQ(d.municipality_code(), "101");
  EXPECT_TRUE(d.person_key().empty());
  EXPECT_EQ(d.digest_until(), "2026-11-30");
  ASSERT_EQ(d.digest_items_size(), 3);
  EXPECT_EQ(d.digest_items(0).obligation_id(), "breached");  // by deadline
  EXPECT_EQ(d.digest_items(1).obligation_id(), "early");
  EXPECT_EQ(d.digest_items(2).obligation_id(), "in-window");
  EXPECT_EQ(d.digest_items(1).person_key(), "p-b");
  EXPECT_NE(d.message().find("30.11.2026"), std::string::npos) << d.message();

  // The same digest built again has the same id; another part or day has another.
  EXPECT_EQ(builder.Build(now, "partitions 0")[0].alert_id(), d.alert_id());
  EXPECT_NE(builder.Build(now, "partitions 1")[0].alert_id(), d.alert_id());
  DigestBuilder tomorrow(CivilDay(2026, 11, 24), 5, catalog, Language::kDanish);
  tomorrow.Add(a);
  EXPECT_NE(tomorrow.Build(now, "partitions 0")[0].alert_id(), d.alert_id());
}

}  // namespace
}  // namespace fristvagt::alerts
