#pragma once
// Turns a transition of an obligation into the Alert message case systems consume: the stable
// alert_id, routing fields and the caseworker's text in Danish or English. Stateless.

#include <string>

#include "absl/time/time.h"
#include "alerts/transitions.h"
#include "proto/alert.pb.h"
#include "proto/state.pb.h"
#include "rules/regime.h"

namespace fristvagt::alerts {

enum class Language { kDanish, kEnglish };

struct AlertInput {
  const Transition& transition;
  const v1::ObligationRecord& record;  // already updated by Diff; alert_seq not yet advanced
  const v1::PersonState& person;       // routing: person key, municipality, caseworker
  const rules::RuleSpec* rule;         // texts; null only if the rule left the catalog
  std::string missing;                 // a check's missing documentation
  absl::Time raised_at;                // the processing clock
};

v1::Alert BuildAlert(const AlertInput& input, Language language);

// rules::FormatRfc3339's text (Copenhagen time, "2024-01-05T07:00:00+01:00"), formatted by
// hand: absl::FormatTime was 3-5 % of replay and timer firing, two calls per alert (issue 15).
// Times it does not format by hand (years outside 1000-9999, offsets that are not whole
// minutes, infinite times) go to rules::FormatRfc3339.
std::string FormatAlertTime(absl::Time t);

// The obligation's current state for the compacted obligations topic.
v1::Obligation BuildObligation(const v1::ObligationRecord& record, const v1::PersonState& person,
                               const rules::RuleSpec* rule, Language language);

// The caseworker's sentence for an alert of `kind` about `rule` with `deadline` (YYYY-MM-DD).
std::string AlertText(v1::AlertKind kind, const rules::RuleSpec* rule, const std::string& rule_id,
                      const std::string& deadline, const std::string& legal_ref,
                      const std::string& missing, Language language);

}  // namespace fristvagt::alerts
