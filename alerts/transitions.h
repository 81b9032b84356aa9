#pragma once
// Which alerts a fresh evaluation of an obligation calls for, given what was already said
// about it (rules.md §5). The processor feeds it the stored record and the new view; this
// file decides nothing about deadlines, only about what changed.

#include <vector>

#include "absl/time/time.h"
#include "proto/state.pb.h"
#include "rules/evaluator.h"

namespace fristvagt::alerts {

struct Transition {
  v1::AlertKind kind = v1::ALERT_KIND_UNSPECIFIED;
  absl::Time due_at;  // the reminder or breach moment; `now` for RESOLVED and RETRACTED
};

// The transitions from `record` (what has been raised so far) to `view` at `now`, and the
// record updated to match. `view` null means the obligation no longer exists (its trigger was
// voided or it no longer applies): an outstanding breach is retracted.
std::vector<Transition> Diff(const rules::ObligationView* view, absl::Time now,
                             v1::ObligationRecord* record);

}  // namespace fristvagt::alerts
