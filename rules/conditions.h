#pragma once
// The named predicates a regime file may list under `conditions` and `require_if`. Each
// answers one legal question about a course at a trigger; the list of names is shared with
// the loader (KnownConditionNames) so check-rules rejects unknown ones.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "rules/course.h"
#include "rules/regime.h"

namespace fristvagt::rules {

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

// The parameters (the rule's `params`, else the regime's `[params]`) the named predicate
// reads; the loader rejects a parameter that nothing reads, so a misspelt name cannot
// silently fall back to a default.
const std::vector<std::string_view>& ParamsReadBy(std::string_view predicate);
// Parameters read by the evaluator's built-in handling of a rule kind (a window's cap).
std::vector<std::string_view> ParamsReadByKind(RuleKind kind);
// Every parameter any predicate or kind reads (what a regime's `[params]` may set).
const std::set<std::string_view>& AllParamNames();

// Evaluates the named predicate; an unknown name is false (check-rules prevents it).
bool NamedConditionHolds(std::string_view name, const ConditionContext& ctx);

}  // namespace fristvagt::rules
