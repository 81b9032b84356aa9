#pragma once
// The pure heart of fristvagt: a person's facts + the catalog + the clock → every obligation
// of every course with its status at that moment (architecture.md, "Design we expect" 1).
// No I/O, no wall clock; the same inputs always give the same output, which is what makes
// replay, crash recovery and live processing agree.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "proto/alert.pb.h"
#include "proto/case_event.pb.h"
#include "rules/regime.h"
#include "rules/stable_id.h"

namespace fristvagt::rules {

// An obligation's stable id (StableId(person, course, rule, instance)) as its two hash lanes;
// the 32 hex digits are built only where the id leaves the evaluator.
struct ObligationId {
  uint64_t a = 0;
  uint64_t b = 0;
  std::string str() const { return StableIdText(a, b); }
  operator std::string() const { return str(); }  // NOLINT: callers store it as text
  bool operator==(const ObligationId&) const = default;
};

// An obligation's instance key: the trigger event id, plus ":STEP" for a pålæg step, plus
// ":<event id>" for a step deadline moved after its breach, plus ":limit" for a window's cap.
// Views into the facts and the catalog; text built only where it leaves the evaluator.
struct InstanceKey {
  const std::string* trigger = nullptr;
  std::string_view step;
  const std::string* change = nullptr;
  bool limit = false;

  std::string str() const;
  operator std::string() const { return str(); }  // NOLINT: callers store it as text
  // The bytes of str() without building it: their count, and writing them at `out` (returns
  // the end); the evaluator hashes them into the obligation id.
  size_t size() const;
  char* WriteTo(char* out) const;
};

struct ObligationView {
  ObligationId obligation_id;
  std::string_view rule_id;  // the catalog's rule id (== rule->id)
  InstanceKey instance;
  const Regime* regime = nullptr;
  const RuleSpec* rule = nullptr;
  absl::CivilDay deadline;  // the last day it could be met (a check: the trigger's date)
  absl::Time opened_at;     // the trigger's moment
  absl::Time due_at;        // the breach / missing moment; for a window, its close
  absl::InlinedVector<absl::Time, 3> reminders;  // in order, each before due_at
  v1::ObligationStatus status = v1::OPEN;
  // Trigger first, then what met or waived it: the event ids, owned by the facts.
  absl::InlinedVector<const std::string*, 3> cause_event_ids;
  std::string missing;           // a check: the documentation that is missing, comma separated
  bool reports_missing = false;  // a breach is reported as MISSING (checks, window limits)
};

// A set of rules, each named by its regime id and rule id, that an evaluation is limited to.
//
// Why this is exact for a fired timer: without new facts, an obligation's view changes only at
// the moments NextMoment gives it (its reminders and its due moment), and the engine arms a
// timer at each. So when the timers of some obligations fire, only the rules of those
// obligations can yield anything new. Two things depend on the clock outside those moments: a
// fact (trigger or course start) dated after `now`, and an open BARSEL absence, which moves the
// deadlines of pausable rules day by day; with either, Evaluate ignores the selection and
// evaluates everything (tests/processor/engine/partial_evaluation_test.cc compares both ways, person
// records after every commit included, over every scenario and a simulated cohort).
class RuleSelection {
 public:
  void Add(std::string_view regime_id, std::string_view rule_id);
  void CoverAll() { all_ = true; }
  bool Covers(std::string_view regime_id, std::string_view rule_id) const;
  bool Covers(const Regime& regime, const RuleSpec& rule) const {
    return Covers(regime.id, rule.id);
  }
  bool Covers(const Regime& regime) const;

 private:
  bool all_ = false;
  std::vector<std::pair<std::string, std::string>> rules_;  // a handful: a linear search
};

// Every obligation of the person's facts at `now`. `facts` are the active (not voided, not
// duplicated) events; their order does not matter. With `only`, just the obligations of those
// rules; where that would not be exact (see RuleSelection) it evaluates every rule and widens
// `*only` to cover all, so the caller treats the result as complete.
std::vector<ObligationView> Evaluate(const std::string& person_key,
                                     const std::vector<const v1::CaseEvent*>& facts,
                                     const Catalog& catalog, absl::Time now,
                                     RuleSelection* only = nullptr);

// The next moment after `now` at which `obligation` needs attention again (a reminder or its
// due moment), or absl::InfiniteFuture() when it needs none.
absl::Time NextMoment(const ObligationView& obligation, absl::Time now);

}  // namespace fristvagt::rules
