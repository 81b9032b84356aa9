#pragma once
// A regime compiled at load (issue 14): what the evaluator needs of each rule, resolved once
// so that evaluating a person compares integers instead of names. Payload names become payload
// cases, field names typed accessors (field_access.h), condition values typed values, named predicates
// function pointers with the parameters they read already looked up, dates day numbers. The
// text form (regime.h) stays the source of truth for documentation and check-rules; this is
// derived from it by CompileCatalog and never edited by hand.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "proto/case_event.pb.h"
#include "rules/day_number.h"
#include "rules/field_access.h"
#include "rules/regime.h"

namespace fristvagt::rules {

// Payload cases of CaseEvent are field numbers 100..134: one bit each.
inline constexpr int kFirstPayloadCase = 100;
inline uint64_t PayloadBit(int payload_case) {
  return payload_case < kFirstPayloadCase ? 0 : uint64_t{1} << (payload_case - kFirstPayloadCase);
}

struct CompiledCondition {
  FieldCondition::Op op = FieldCondition::Op::kEquals;
  const FieldAccessor* field = nullptr;
  // Typed values: bools, enum numbers and integers as int64; strings as text.
  std::vector<int64_t> ints;
  std::vector<std::string> texts;
  // kSameAsTrigger: the field of the same name in each payload type (the "trigger" may be a
  // recurring rule's anchor of another type), indexed by payload case - kFirstPayloadCase.
  // Only fields of the same protobuf type are kept (the text form compared such pairs equal
  // only when both rendered alike; differently typed fields never matched).
  std::array<const FieldAccessor*, 64> same_field{};
  // kEqualsInstance on an enum field: the enum's value names by number, read at load.
  std::vector<std::pair<int64_t, std::string>> enum_names;
};

struct CompiledMatcher {
  int payload_case = 0;
  EventMatcher::When when = EventMatcher::When::kOnOrAfterTriggerDate;
  std::vector<CompiledCondition> where;
};

struct PredicateContext;
using PredicateFn = bool (*)(const PredicateContext&);

// Parameters of the named predicates, looked up once (rule params, else regime params, else
// the predicate's default). Which predicate reads which: conditions.cc, ParamTable.
struct ResolvedParams {
  int job_directed_effort_from = 0;  // YYYYMMDD, 0 = none
  int valid_test_max_age_months = 24;
  int months_after_start = 6;
  int max_unexplained_postponements = 1;
  std::optional<int> limit_months_after_education_start;
};

struct CompiledRule {
  CompiledMatcher trigger;
  TriggerSpec::Select select = TriggerSpec::Select::kEvery;
  std::vector<CompiledMatcher> met_by;
  std::vector<CompiledMatcher> waived_by;
  uint64_t met_by_payloads = 0;
  std::vector<CompiledMatcher> exists;  // RuleSpec::exists
  uint64_t exists_payloads = 0;         // every one must be in the course
  std::vector<PredicateFn> conditions;
  // require, then require_if in field-name order (as the text form's std::map iterates).
  std::vector<const FieldAccessor*> require;
  std::vector<std::pair<const FieldAccessor*, PredicateFn>> require_if;
  std::vector<std::pair<const FieldAccessor*, CompiledMatcher>> require_if_exists;  // after those
  // The trigger payload's *_id fields, compared when a later registration corrects a check.
  std::vector<const FieldAccessor*> identity_fields;
  PredicateFn reminder_if = nullptr;
  bool paalaeg_steps = false;
  uint32_t groups = 0;  // bit per VisitationGroup value; 0 = all
  const FieldAccessor* due_field = nullptr;  // a Timestamp of the trigger payload
  std::optional<DayNumber> effective_from;
  std::optional<DayNumber> repealed_on;  // a later regime repeals the rule from this day
  int check_grace = 1;
  int breach_grace = 0;
  int reminder_hour = 7;
  std::vector<int> reminder_leads;
  ResolvedParams params;
};

struct CompiledRegime {
  DayNumber valid_from = 0;
  std::optional<DayNumber> valid_to;
  std::vector<CompiledRule> rules;  // parallel to Regime::rules
};

// One fact as the compiled evaluator sees it: payload case and local day decoded once.
struct CFact {
  const v1::CaseEvent* event = nullptr;
  const google::protobuf::Message* payload = nullptr;
  int kind = 0;  // CaseEvent::PayloadCase
  absl::Time occurred;
  absl::Time recorded;
  DayNumber day = 0;
  const CFact* next_of_kind = nullptr;  // the course's next fact of the same kind (CourseView)
  const std::string& id() const { return event->event_id(); }
};

// A half-open period of local days [from, to); `to` is nullopt while it lasts.
struct DayNumberPeriod {
  DayNumber from = 0;
  std::optional<DayNumber> to;
};

// One course (forløb): a contiguous range of the person's sorted facts, with what every rule
// asks of it computed once.
struct CourseView {
  const CFact* begin = nullptr;
  const CFact* end = nullptr;
  const CFact* start = nullptr;  // the first_contact
  uint64_t payloads = 0;         // PayloadBit of every fact's kind
  std::vector<DayNumberPeriod> barsel;
  // The index by payload case: the course's first fact of each kind, and from each fact its
  // next of the same kind (CFact::next_of_kind), so a rule walks only the facts it can match.
  std::array<const CFact*, 64> first_of_kind{};

  // In occurred order; nullptr when the course has none.
  const CFact* FirstOf(int kind) const {
    const int index = kind - kFirstPayloadCase;
    return index >= 0 && index < 64 ? first_of_kind[index] : nullptr;
  }
  // Links every fact of [begin, end) into its kind's chain.
  void IndexByKind();
  v1::VisitationGroup GroupAt(absl::Time t) const;
  const CFact* EducationStartAt(absl::Time t) const;
  bool InScope() const;
};

struct PredicateContext {
  const CourseView& course;
  const CFact& trigger;
  const CompiledRule& rule;
  absl::Time now;
  DayNumber deadline;  // the obligation's deadline, before pauses
};

// Compiles every regime of a validated catalog (LoadCatalog calls it); repeals are resolved
// across the catalog. A regime loaded alone (LoadRegimeFile) is compiled without repeals.
void CompileCatalog(Catalog& catalog);
std::shared_ptr<const CompiledRegime> CompileRegime(const Regime& regime,
                                                    const Catalog* catalog);

// The compiled predicate of a name from ConditionNames(); nullptr for an unknown one.
PredicateFn FindPredicate(std::string_view name);

}  // namespace fristvagt::rules
