#pragma once
// The evaluator as it was before compile-at-load (issue 14): regime rules interpreted from
// their text form on every evaluation (payload names compared as strings, fields found by
// name through protobuf reflection, predicates looked up in a map). Kept on purpose, for two
// callers only: tests/rules/compiled_vs_reference_test.cc compares rules::Evaluate with it
// over every scenario and a simulated cohort, and bench/rules_bench measures against it in
// the same run. Production code must not call it.

#include <string>
#include <vector>

#include "rules/evaluator.h"

namespace fristvagt::rules::reference {

std::vector<ObligationView> Evaluate(const std::string& person_key,
                                     const std::vector<const v1::CaseEvent*>& facts,
                                     const Catalog& catalog, absl::Time now,
                                     RuleSelection* only = nullptr);

}  // namespace fristvagt::rules::reference
