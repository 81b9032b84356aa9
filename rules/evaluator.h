#pragma once
// The pure heart of fristvagt: a person's facts + the catalog + the clock → every obligation
// of every course with its status at that moment (architecture.md, "Design we expect" 1).
// No I/O, no wall clock; the same inputs always give the same output, which is what makes
// replay, crash recovery and live processing agree.

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "proto/alert.pb.h"
#include "proto/case_event.pb.h"
#include "rules/regime.h"

namespace fristvagt::rules {

struct ObligationView {
  std::string obligation_id;  // StableId(person, course, rule, instance)
  std::string rule_id;
  std::string instance;  // trigger event id, plus a step or chain suffix where a rule has several
  const Regime* regime = nullptr;
  const RuleSpec* rule = nullptr;
  absl::CivilDay deadline;            // the last day it could be met (a check: the trigger's date)
  absl::Time opened_at;               // the trigger's moment
  absl::Time due_at;                  // the breach / missing moment; for a window, its close
  std::vector<absl::Time> reminders;  // in order, each before due_at
  v1::ObligationStatus status = v1::OPEN;
  std::vector<std::string> cause_event_ids;  // trigger first, then what met or waived it
  std::string missing;           // a check: the documentation that is missing, comma separated
  bool reports_missing = false;  // a breach is reported as MISSING (checks, window limits)
};

// Every obligation of the person's facts at `now`. `facts` are the active (not voided, not
// duplicated) events; their order does not matter.
std::vector<ObligationView> Evaluate(const std::string& person_key,
                                     const std::vector<const v1::CaseEvent*>& facts,
                                     const Catalog& catalog, absl::Time now);

// The next moment after `now` at which `obligation` needs attention again (a reminder or its
// due moment), or absl::InfiniteFuture() when it needs none.
absl::Time NextMoment(const ObligationView& obligation, absl::Time now);

}  // namespace fristvagt::rules
