#pragma once
// The named predicates a regime file may list under `conditions`, `require_if` and
// `reminder_if`: the legal questions about a course that the data format cannot say by itself
// (docs/rules.md lists each with the parameters it reads). The loader resolves each name to
// its function once (FindPredicate) and rejects unknown names and parameters nothing reads.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rules/compiled.h"
#include "rules/regime.h"

namespace fristvagt::rules {

// Every predicate name; the loader rejects any other.
const std::set<std::string>& ConditionNames();

// The parameters (the rule's `params`, else the regime's `[params]`) the named predicate
// reads; the loader rejects a parameter that nothing reads, so a misspelt name cannot
// silently fall back to a default.
const std::vector<std::string_view>& ParamsReadBy(std::string_view predicate);
// Parameters read by the evaluator's built-in handling of a rule kind (a window's cap).
std::vector<std::string_view> ParamsReadByKind(RuleKind kind);
// Every parameter any predicate or kind reads (what a regime's `[params]` may set).
const std::set<std::string_view>& AllParamNames();

// The predicates for docs/rules.md ("What stays in C++"), by name.
struct PredicateDoc {
  std::string_view name;
  std::string_view doc;
  std::vector<std::string_view> params;
};
std::vector<PredicateDoc> PredicateDocs();

// The parameters of `rule` in `regime` as the predicates read them.
ResolvedParams ResolveParams(const Regime& regime, const RuleSpec& rule);

}  // namespace fristvagt::rules
