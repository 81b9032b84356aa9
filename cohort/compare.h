#pragma once
// `fristvagt compare`: the same history replayed under two regime sets (A, the rules in force;
// B, a draft), obligation by obligation. Per rule and municipality: obligations that appear
// in B, disappear from A, move their deadline or change status, and the breaches (not met in
// time) under each, with a few example persons. Obligations are matched by obligation_id,
// which depends on the person, course, rule and instance but not on the regime's parameters,
// so a changed deadline is a change, not an appearance. Person keys are shown only through
// `redact` (the CLI passes the logs' pseudonym).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/obligations.h"

namespace fristvagt::cohort {

enum ChangeKind { kAppeared, kDisappeared, kDeadlineMoved, kStatusChanged, kChangeKinds };

struct CompareRow {
  std::string rule_id;
  std::string municipality_code;
  size_t obligations_a = 0, obligations_b = 0;
  size_t breaches_a = 0, breaches_b = 0;  // settled and not met in time
  size_t changes[kChangeKinds] = {};
  std::vector<std::string> examples[kChangeKinds];  // redacted person keys
  bool Changed() const;
};

struct Comparison {
  std::vector<CompareRow> rows;  // every (rule, municipality) with an obligation in A or B
  size_t obligations_a = 0, obligations_b = 0, unchanged = 0;
};

Comparison CompareObligations(const ObligationSet& a, const ObligationSet& b,
                              const std::function<std::string(std::string_view)>& redact,
                              size_t examples_per_kind = 3);

// The rows that changed, as a table; "no differences" when none did.
std::string RenderComparison(const Comparison& comparison, std::string_view name_a,
                             std::string_view name_b);
// rule_id,municipality,obligations_a,obligations_b,appeared,disappeared,deadline_moved,
// status_changed,breaches_a,breaches_b,examples (examples: ';'-separated kind:key).
std::string RenderComparisonCsv(const Comparison& comparison);

}  // namespace fristvagt::cohort
