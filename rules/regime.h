#pragma once
// The law as data: one Regime per file under rules/regimes/, loaded by regime_loader.h and
// evaluated by evaluator.h. These structs are the in-memory form of the TOML schema documented
// in rules/README.md; they hold no logic so that a reviewer can read the law in the files.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"

namespace fristvagt::rules {

struct CompiledRegime;  // rules/compiled.h

enum class RuleKind { kDeadline, kCount, kRecurring, kCheck, kWindow };

// §3: an education start (or benefit end for EDUCATION) waives contact clocks (meetings,
// offers, tests, CV) but not the clocks about the education itself.
// A course-level rule (visitation, pålæg, sanction) survives an education start and ends only
// with the benefit.
enum class Category { kContact, kCase, kEducation };

enum class SeverityLevel { kLegal, kIntent };

// One condition on a payload field. Values are kept as text (enum names, "true", numbers) and
// compared through protobuf reflection, so any payload field can be named without new code.
struct FieldCondition {
  enum class Op {
    kEquals,          // field = value                 (TOML: field = "X" / true / 3)
    kIn,              // field is one of values        (field = ["A", "B"])
    kNot,             // field differs from value      (field = { not = "X" })
    kContains,        // repeated field holds value    (field = { contains = "X" })
    kAtLeast,         // numeric field >= value        (field = { min = 1 })
    kEqualsInstance,  // field equals the obligation's instance key (field = "$instance")
    kSameAsTrigger,   // field equals the trigger event's same field (same = ["institution_id"])
  };
  std::string field;
  Op op = Op::kEquals;
  std::vector<std::string> values;
  int line = 0;
};

// Which events count, and where they must lie in time relative to the trigger.
struct EventMatcher {
  enum class When {
    kOnOrAfterTriggerDate,  // default: occurred on or after the trigger's local date
    kAnyTime,               // anywhere in the course (a pålæg given before the first meeting)
    kAfterTrigger,          // strictly after the trigger moment
    kBeforeTrigger,         // before the trigger moment
    kSinceLastNoShow,       // between the latest no_show before the trigger and the trigger
    kSincePreviousTrigger,  // after the previous event of the trigger's kind (an earlier
                            // admission's assessment does not count for a new admission)
    // Only in a rule's `exists` (the facts a rule needs before it applies):
    kAtOrBeforeTrigger,   // at or before the trigger moment (a pålæg of the admitted person)
    kOnOrBeforeDeadline,  // dated on or before the obligation's deadline (before pauses)
  };
  std::string event;  // payload name from events.md, e.g. "meeting_held"
  std::vector<FieldCondition> where;
  When when = When::kOnOrAfterTriggerDate;
  int line = 0;
};

// How the trigger events of a rule are chosen within a course.
struct TriggerSpec {
  enum class Select { kFirst, kEvery, kEveryButFirst };
  EventMatcher matcher;  // `when` is unused for triggers
  Select select = Select::kEvery;
};

// When the requirement's deadline falls, relative to the trigger.
struct DueSpec {
  int days = 0;
  int months = 0;
  std::string field;       // a timestamp field of the trigger's payload (start_at, period_end)
  int min_days_after = 0;  // with `field`: at least this many days after the trigger date
};

struct RuleSpec {
  std::string id;
  RuleKind kind = RuleKind::kDeadline;
  Category category = Category::kContact;
  SeverityLevel severity = SeverityLevel::kLegal;
  std::string legal_ref;                         // Danish text, e.g. "LAB § 31"
  std::optional<absl::CivilDay> effective_from;  // later than the regime's start
  TriggerSpec trigger;
  DueSpec due;
  std::vector<EventMatcher> met_by;     // any one meets it (count: each one counts)
  std::vector<EventMatcher> waived_by;  // any one, dated on or before the deadline, waives it
  std::vector<std::string> groups;      // visitation groups in force it applies to; empty = all
  std::vector<EventMatcher> exists;     // each needs a matching fact in the course, else no
                                        // obligation (the law as data, not a named predicate)
  std::vector<std::string> conditions;  // named predicates (rules/conditions.h), all must hold
  std::vector<std::string> require;     // check: trigger fields that must be true
  std::map<std::string, std::string> require_if;  // check: field -> named predicate
  // check: field -> a fact that must exist for it to be required (the `exists` form; required
  // after the predicate ones)
  std::map<std::string, EventMatcher> require_if_exists;
  std::string instances;           // named instance expander, e.g. "paalaeg_steps"; empty = one
  int min_count = 0;               // count: events needed in the window
  bool pausable = false;           // BARSEL absence moves the deadline (meeting and offer clocks)
  bool resolvable = true;          // false: a period that has passed cannot be made good later
  bool reminder_at_start = false;  // window: a REMINDER when the window opens
  std::string reminder_if;  // named predicate that must hold for the lead reminders (empty: always)
  std::vector<int> reminder_leads_days;  // empty = the regime default
  std::optional<int> reminder_hour;
  std::optional<int> check_grace_days;
  std::optional<int> breach_grace_days;
  std::map<std::string, int> params;  // rule parameters read by named predicates
  std::string text_da;  // the requirement in a caseworker's words; {deadline} = the date
  std::string text_en;
  std::string breach_da;  // what is missing once the deadline has passed
  std::string breach_en;
  std::string source_file;
  int line = 0;
};

struct RegimeDefaults {
  std::vector<int> reminder_leads_days = {2};
  int reminder_hour = 7;
  int check_grace_days = 1;
  int breach_grace_days = 0;
};

struct Regime {
  std::string id;  // lab2016, lab2020, ...
  std::string title;
  std::string law;  // the act it implements, Danish reference
  absl::CivilDay valid_from;
  std::optional<absl::CivilDay> valid_to;  // inclusive; none = open-ended
  RegimeDefaults defaults;
  std::map<std::string, int> params;  // regime-wide parameters (valid_test_max_age_months)
  std::vector<std::string> repeals;   // rules whose open obligations end at valid_from
  // A draft (`status = "draft"`): an announced act not yet published. Loaded and checked,
  // but in force only when a deployment names it (LoadCatalog's `drafts`, [rules] drafts).
  bool draft = false;
  std::vector<std::string> sources;  // where the draft's content comes from
  std::vector<RuleSpec> rules;
  std::string source_file;
  // Derived at load from the fields above (rules/compiled.h); null in a hand-built regime,
  // which the evaluator then interprets from the text form.
  std::shared_ptr<const CompiledRegime> compiled;
};

// All regimes, sorted by valid_from, contiguous and non-overlapping (check-rules enforces it).
struct Catalog {
  std::vector<Regime> regimes;
  // Drafts not switched on: validated and documented (docs/rules.md, "Drafts"), never
  // evaluated.
  std::vector<Regime> drafts;

  // The regime in force on `day`, or nullptr before the first one.
  const Regime* RegimeOn(absl::CivilDay day) const;
  // The rule `rule_id` of `regime`, or nullptr when that regime does not have it.
  static const RuleSpec* FindRule(const Regime& regime, const std::string& rule_id);
  // The rule `rule_id` of the regime with id `regime_id` (as stored in obligation records).
  const RuleSpec* FindRule(const std::string& regime_id, const std::string& rule_id) const;
};

}  // namespace fristvagt::rules
