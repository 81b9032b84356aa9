#pragma once
// The evaluator before compile-at-load (issue 14), kept as the oracle of
// tests/rules/compiled_vs_reference_test.cc and the baseline of bench/rules_bench.
// The named predicates a regime file may list under `conditions` and `require_if`. Each
// answers one legal question about a course at a trigger; the list of names is shared with
// the loader (KnownConditionNames) so check-rules rejects unknown ones.

#include <set>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "rules/course.h"
#include "rules/regime.h"

namespace fristvagt::rules::reference {

struct ConditionContext {
  const Course& course;
  const Fact& trigger;
  const Regime& regime;
  const RuleSpec& rule;
  absl::Time now;
  absl::CivilDay deadline;  // the obligation's deadline, before pauses
};

// A parameter from the rule, else the regime, else `fallback`.
int Param(const ConditionContext& ctx, const std::string& name, int fallback);

// Every name NamedConditionHolds knows; the loader rejects any other.
const std::set<std::string>& ConditionNames();

// Evaluates the named predicate; an unknown name is false (check-rules prevents it).
bool NamedConditionHolds(std::string_view name, const ConditionContext& ctx);

}  // namespace fristvagt::rules::reference
