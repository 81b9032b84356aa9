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

INSTANTIATE_TEST_SUITE_P(Periods, CompiledVsReference,
                         ::testing::Values(absl::CivilDay(2019, 1, 1), absl::CivilDay(2021, 7, 1),
                                           absl::CivilDay(2024, 9, 1)));

}  // namespace
}  // namespace fristvagt::rules
