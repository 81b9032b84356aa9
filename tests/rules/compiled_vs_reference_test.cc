// rules::Evaluate (compiled regimes) against rules::reference::Evaluate (the text interpreter
// it replaced) on simulated cohorts of every regime's period: the same obligations, field by
// field, after every event of every person. The scenario suite checks the compiled evaluator
// against expected alerts; this checks it against its predecessor on far more histories.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cohort/calendar.h"
#include "cohort/person.h"
#include "cohort/simulator.h"
#include "gtest/gtest.h"
#include "rules/civil_time.h"
#include "rules/course.h"
#include "rules/evaluator.h"
#include "rules/reference/evaluator.h"
#include "rules/regime_loader.h"
#include "tests/testing/binary.h"

namespace fristvagt::rules {
namespace {

std::string Describe(const ObligationView& v) {
  std::string s = absl::StrCat(v.obligation_id.str(), " ", std::string(v.rule_id), " ", v.instance.str(), " ",
                               v.regime->id, " ", FormatIsoDate(v.deadline), " ",
                               absl::FormatTime(v.opened_at), " ", absl::FormatTime(v.due_at), " ",
                               v.status, " ", v.missing, " ", v.reports_missing);
  for (absl::Time r : v.reminders) absl::StrAppend(&s, " r", absl::FormatTime(r));
  for (const std::string* id : v.cause_event_ids) absl::StrAppend(&s, " c", *id);
  return s;
}

std::vector<std::string> DescribeAll(const std::vector<ObligationView>& views) {
  std::vector<std::string> out;
  for (const ObligationView& v : views) out.push_back(Describe(v));
  return out;
}

class CompiledVsReference : public ::testing::TestWithParam<absl::CivilDay> {};

TEST_P(CompiledVsReference, SameObligationsAfterEveryEvent) {
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> catalog =
      LoadCatalog((fristvagt::testing::SourceDir() / "rules/regimes").string(), &errors);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  cohort::SimulateOptions options;
  options.persons = 60;
  options.start = GetParam();
  options.months = 24;
  const auto municipalities = cohort::BuildMunicipalities(options);
  int evaluations = 0;
  for (int i = 0; i < options.persons; ++i) {
    cohort::PersonSpec spec;
    spec.seed = options.seed;
    spec.index = i;
    spec.person_key = cohort::PersonKey(options.seed, i);
    spec.municipality = &municipalities[i % municipalities.size()];
    spec.intake_from = options.start;
    spec.intake_to = cohort::PlusMonths(options.start, options.months - 3);
    spec.period_end = cohort::PeriodEnd(options);
    cohort::PersonHistory history = cohort::SimulatePerson(spec);
    std::vector<v1::CaseEvent> events;
    for (const cohort::SimLine& line : history.lines) {
      if (line.malformation == cohort::Malformation::kNone) events.push_back(line.event);
    }
    std::sort(events.begin(), events.end(), [](const v1::CaseEvent& a, const v1::CaseEvent& b) {
      return ToAbslTime(a.recorded_at()) < ToAbslTime(b.recorded_at());
    });
    std::vector<const v1::CaseEvent*> facts;
    std::set<std::string> seen;
    for (const v1::CaseEvent& e : events) {
      if (e.has_registration_voided() || e.has_caseworker_changed() || e.has_person_erased() ||
          !seen.insert(e.event_id()).second) {
        continue;
      }
      facts.push_back(&e);
      const absl::Time now = ToAbslTime(e.recorded_at());
      for (absl::Time at : {now, now + absl::Hours(24 * 400)}) {
        ASSERT_EQ(DescribeAll(Evaluate(spec.person_key, facts, *catalog, at)),
                  DescribeAll(reference::Evaluate(spec.person_key, facts, *catalog, at)))
            << spec.person_key << " at " << at;
        ++evaluations;
      }
    }
  }
  EXPECT_GT(evaluations, 500);
}

// A long history with long event ids (a case system may send UUIDs with prefixes): more id
// bytes than the evaluator's stack buffer for finishing ids holds (FinishIds), so its heap path
// is compared with the reference too.
TEST(CompiledVsReferenceLongHistory, MoreIdBytesThanTheStackBufferGetTheSameIds) {
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> catalog =
      LoadCatalog((fristvagt::testing::SourceDir() / "rules/regimes").string(), &errors);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  std::vector<v1::CaseEvent> events(2 + 180);
  absl::Time at = absl::FromCivil(absl::CivilSecond(2019, 3, 4, 9, 30, 0), Copenhagen());
  for (size_t i = 0; i < events.size(); ++i, at += absl::Hours(24 * 10)) {
    v1::CaseEvent& e = events[i];
    e.set_person_key("p-long");
    e.set_municipality_code("851");
    e.set_caseworker_id("cw-1");
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
    e.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(at));
    if (i == 0) {
      e.set_event_id("fc-1");
      e.mutable_first_contact()->set_benefit(v1::UDDANNELSESHJAELP);
      e.mutable_first_contact()->set_age_years(22);
    } else if (i == 1) {
      e.set_event_id("vd-1");
      e.mutable_visitation_decided()->set_group(v1::AKTIVITETSPARAT);
      e.mutable_visitation_decided()->set_is_final(true);
    } else {
      e.set_event_id(absl::StrCat("meeting-", std::string(120, 'x'), "-", i));
      e.mutable_meeting_held()->set_channel(v1::IN_PERSON);
    }
  }
  std::vector<const v1::CaseEvent*> facts;
  for (const v1::CaseEvent& e : events) facts.push_back(&e);
  const std::vector<ObligationView> compiled = Evaluate("p-long", facts, *catalog, at);
  size_t id_bytes = 0;
  for (const ObligationView& v : compiled) {
    id_bytes += v.rule_id.size() + v.instance.str().size() + 2;
  }
  EXPECT_GT(id_bytes, 4096u) << compiled.size() << " obligations";
  EXPECT_EQ(DescribeAll(compiled),
            DescribeAll(reference::Evaluate("p-long", facts, *catalog, at)));
}

INSTANTIATE_TEST_SUITE_P(Periods, CompiledVsReference,
                         ::testing::Values(absl::CivilDay(2019, 1, 1), absl::CivilDay(2021, 7, 1),
                                           absl::CivilDay(2024, 9, 1)));

}  // namespace
}  // namespace fristvagt::rules
