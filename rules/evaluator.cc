#include "rules/evaluator.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "rules/compiled.h"
#include "rules/day_number.h"
#include "rules/reference/evaluator.h"

// The evaluator over compiled regimes (rules/compiled.h). Its behaviour is that of the text
// interpreter it replaced, kept as rules/reference/evaluator.cc: tests/rules/
// compiled_vs_reference_test.cc and bench/rules_bench compare the two on every scenario and a
// simulated cohort. Nothing here looks a name up: payloads are cases, fields typed accessors,
// predicates function pointers, dates day numbers.

namespace fristvagt::rules {

namespace {

using google::protobuf::Message;
using K = v1::CaseEvent::PayloadCase;

constexpr std::string_view kLimitSuffix = ":limit";  // InstanceKey of a window's cap

// Copies `bytes` to `out`; returns the end.
char* Write(char* out, std::string_view bytes) {
  std::memcpy(out, bytes.data(), bytes.size());
  return out + bytes.size();
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// The set member of the payload oneof, through the generated accessors.
const Message* PayloadMessage(const v1::CaseEvent& e) {
  switch (e.payload_case()) {
#define FRISTVAGT_PAYLOAD(Case, accessor) \
  case K::Case:                           \
    return &e.accessor();
    FRISTVAGT_PAYLOAD(kFirstContact, first_contact)
    FRISTVAGT_PAYLOAD(kMeetingHeld, meeting_held)
    FRISTVAGT_PAYLOAD(kVisitationDecided, visitation_decided)
    FRISTVAGT_PAYLOAD(kEducationOrderIssued, education_order_issued)
    FRISTVAGT_PAYLOAD(kEducationOrderDeadlineChanged, education_order_deadline_changed)
    FRISTVAGT_PAYLOAD(kEducationOrderStepCompleted, education_order_step_completed)
    FRISTVAGT_PAYLOAD(kJobDirectedEffortStarted, job_directed_effort_started)
    FRISTVAGT_PAYLOAD(kJobDirectedEffortEnded, job_directed_effort_ended)
    FRISTVAGT_PAYLOAD(kTestNeedAssessed, test_need_assessed)
    FRISTVAGT_PAYLOAD(kTestCompleted, test_completed)
    FRISTVAGT_PAYLOAD(kCourseOffered, course_offered)
    FRISTVAGT_PAYLOAD(kCoordinatingCaseworkerOffered, coordinating_caseworker_offered)
    FRISTVAGT_PAYLOAD(kOfferStarted, offer_started)
    FRISTVAGT_PAYLOAD(kOfferEnded, offer_ended)
    FRISTVAGT_PAYLOAD(kNoShow, no_show)
    FRISTVAGT_PAYLOAD(kContactAttempted, contact_attempted)
    FRISTVAGT_PAYLOAD(kSanctionDecided, sanction_decided)
    FRISTVAGT_PAYLOAD(kCvPublished, cv_published)
    FRISTVAGT_PAYLOAD(kJobseekerRegistered, jobseeker_registered)
    FRISTVAGT_PAYLOAD(kPlanUpdated, plan_updated)
    FRISTVAGT_PAYLOAD(kEducationAdmitted, education_admitted)
    FRISTVAGT_PAYLOAD(kDutyAssessed, duty_assessed)
    FRISTVAGT_PAYLOAD(kInstitutionInformed, institution_informed)
    FRISTVAGT_PAYLOAD(kEducationStarted, education_started)
    FRISTVAGT_PAYLOAD(kMentorGranted, mentor_granted)
    FRISTVAGT_PAYLOAD(kMentorEnded, mentor_ended)
    FRISTVAGT_PAYLOAD(kDropoutRiskReported, dropout_risk_reported)
    FRISTVAGT_PAYLOAD(kDropoutRiskHandled, dropout_risk_handled)
    FRISTVAGT_PAYLOAD(kEducationDropped, education_dropped)
    FRISTVAGT_PAYLOAD(kAbsenceStarted, absence_started)
    FRISTVAGT_PAYLOAD(kAbsenceEnded, absence_ended)
    FRISTVAGT_PAYLOAD(kBenefitEnded, benefit_ended)
    FRISTVAGT_PAYLOAD(kCaseworkerChanged, caseworker_changed)
    FRISTVAGT_PAYLOAD(kRegistrationVoided, registration_voided)
    FRISTVAGT_PAYLOAD(kPersonErased, person_erased)
#undef FRISTVAGT_PAYLOAD
    default:
      return nullptr;
  }
}

// ---------------------------------------------------------------------------------------------
// Typed field access through the accessors resolved at load (field_access.h): generated
// protobuf getters behind function pointers, no Reflection and no FieldDescriptor.

int64_t IntOf(const Message& m, const FieldAccessor& f, int index) {
  return f.get_int != nullptr ? f.get_int(m, index) : 0;  // a Timestamp read as a number: 0
}

bool IsText(const FieldAccessor& f) { return f.type == FieldType::kText; }

// The value as the text interpreter rendered it equals condition value `i`.
bool ValueEquals(const Message& m, const FieldAccessor& f, int index, const CompiledCondition& c,
                 size_t i) {
  if (IsText(f)) return i < c.texts.size() && f.get_text(m, index) == c.texts[i];
  return i < c.ints.size() && IntOf(m, f, index) == c.ints[i];
}

size_t ValueCount(const CompiledCondition& c) { return c.ints.size() + c.texts.size(); }

// The enum value's name (or the text, or the number) equals `key`: "$instance" conditions.
bool ValueEqualsKey(const Message& m, const CompiledCondition& c, std::string_view key) {
  const FieldAccessor& f = *c.field;
  if (f.is_enum) {
    const int64_t number = IntOf(m, f, 0);
    for (const auto& [value, name] : c.enum_names) {
      if (value == number) return name == key;
    }
    return key.empty();
  }
  if (IsText(f)) return f.get_text(m, 0) == key;
  return absl::StrCat(IntOf(m, f, 0)) == key;
}

// Field `f` of `a` equals field `g` of `b` (same protobuf type: the compiler keeps no other).
bool SameValue(const Message& a, const FieldAccessor& f, const Message& b, const FieldAccessor& g) {
  if (f.type != g.type) return false;
  if (IsText(f)) return f.get_text(a, 0) == g.get_text(b, 0);
  // The text form rendered a message field as "" on both sides: equal.
  if (f.type == FieldType::kTimestamp) return true;
  return IntOf(a, f, 0) == IntOf(b, g, 0);
}

// Documentation is present: a bool true, a string non-empty (and not "false"/"0"), a message
// set, an integer non-zero, an enum always (as the text form's "present" was).
bool FieldIsPresent(const Message& m, const FieldAccessor* f) {
  if (f == nullptr || f->repeated) return false;
  switch (f->type) {
    case FieldType::kTimestamp:
      return f->get_time(m) != nullptr;
    case FieldType::kText: {
      const std::string& text = f->get_text(m, 0);
      return !text.empty() && text != "false" && text != "0";
    }
    case FieldType::kInt:
      return f->is_enum || IntOf(m, *f, 0) != 0;
  }
  return false;
}

bool ConditionHolds(const CompiledCondition& c, const CFact& candidate, const CFact* trigger,
                    std::string_view instance) {
  const Message& payload = *candidate.payload;
  const FieldAccessor& f = *c.field;
  if (f.repeated) {
    const int size = f.size(payload);
    for (int i = 0; i < size; ++i) {
      if (ValueCount(c) > 0 && ValueEquals(payload, f, i, c, 0)) return true;
    }
    return false;
  }
  using Op = FieldCondition::Op;
  switch (c.op) {
    case Op::kEquals:
    case Op::kContains:
      return ValueCount(c) > 0 && ValueEquals(payload, f, 0, c, 0);
    case Op::kIn:
      for (size_t i = 0; i < ValueCount(c); ++i) {
        if (ValueEquals(payload, f, 0, c, i)) return true;
      }
      return false;
    case Op::kNot:
      return ValueCount(c) == 0 || !ValueEquals(payload, f, 0, c, 0);
    case Op::kAtLeast:
      return !c.ints.empty() && IntOf(payload, f, 0) >= c.ints[0];
    case Op::kEqualsInstance:
      return ValueEqualsKey(payload, c, instance);
    case Op::kSameAsTrigger: {
      if (trigger == nullptr) return true;
      const int index = trigger->kind - kFirstPayloadCase;
      const FieldAccessor* g = index >= 0 && index < 64 ? c.same_field[index] : nullptr;
      if (g == nullptr) return false;
      return SameValue(payload, f, *trigger->payload, *g);
    }
  }
  return false;
}

bool MatchesPayload(const CompiledMatcher& m, const CFact& candidate, const CFact* trigger,
                    std::string_view instance) {
  if (candidate.kind != m.payload_case) return false;
  for (const CompiledCondition& c : m.where) {
    if (!ConditionHolds(c, candidate, trigger, instance)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Facts and courses.

// What a course end waives, per rule category (rules.md §3): the earliest waiving fact.
struct CourseEnds {
  const CFact* waiver[3] = {nullptr, nullptr, nullptr};  // indexed by Category
  // The first benefit_ended of any reason, and the first not for EDUCATION: a trigger after
  // it opens nothing (education rules survive an EDUCATION end).
  absl::Time any_end = absl::InfiniteFuture();
  absl::Time non_education_end = absl::InfiniteFuture();
};

struct Course : CourseView {
  CourseEnds ends;
  StableIdHasher id_prefix;  // person key and course id hashed
};

struct EvalContext {
  std::string_view person_key;
  const Catalog& catalog;
  absl::Time now;
  DayNumber today;
};

// Everything one evaluation of one rule instance needs.
struct InstanceContext {
  const EvalContext& eval;
  const Course& course;
  const Regime& regime;
  const RuleSpec& spec;
  const CompiledRule& rule;
  const CFact& trigger;
  InstanceKey instance;
  std::string_view match_key = {};  // what "$instance" conditions compare with (a pålæg step)
  absl::Time opened_at = absl::InfinitePast();
  absl::Time OpenedAt() const {
    return opened_at == absl::InfinitePast() ? trigger.occurred : opened_at;
  }
};

void BuildCourse(std::string_view person_key, Course& c) {
  c.IndexByKind();
  for (const CFact* f = c.begin; f != c.end; ++f) {
    c.payloads |= PayloadBit(f->kind);
    if (f->kind == K::kAbsenceStarted && f->event->absence_started().kind() == v1::BARSEL) {
      if (c.barsel.empty() || c.barsel.back().to.has_value()) c.barsel.push_back({f->day, {}});
    } else if (f->kind == K::kAbsenceEnded && f->event->absence_ended().kind() == v1::BARSEL &&
               !c.barsel.empty() && !c.barsel.back().to.has_value()) {
      c.barsel.back().to = f->day;
    }
    bool waives[3] = {false, false, false};
    if (f->kind == K::kBenefitEnded) {
      const bool education = f->event->benefit_ended().reason() == v1::EDUCATION;
      waives[static_cast<int>(Category::kContact)] = true;
      waives[static_cast<int>(Category::kCase)] = true;
      waives[static_cast<int>(Category::kEducation)] = !education;
      c.ends.any_end = std::min(c.ends.any_end, f->occurred);
      if (!education) c.ends.non_education_end = std::min(c.ends.non_education_end, f->occurred);
    } else if (f->kind == K::kEducationStarted) {
      waives[static_cast<int>(Category::kContact)] = true;
    }
    for (int cat = 0; cat < 3; ++cat) {
      if (waives[cat] && (c.ends.waiver[cat] == nullptr || f->day < c.ends.waiver[cat]->day)) {
        c.ends.waiver[cat] = f;
      }
    }
  }
  c.id_prefix.Add(person_key);
  c.id_prefix.EndPart();
  c.id_prefix.Add(c.start->id());
  c.id_prefix.EndPart();
}

// ---------------------------------------------------------------------------------------------
// One rule instance.

const CFact* PreviousOfKind(const Course& course, const CFact& trigger) {
  const CFact* previous = nullptr;
  for (const CFact* f = course.FirstOf(trigger.kind); f != nullptr; f = f->next_of_kind) {
    if (f->occurred >= trigger.occurred || f->event == trigger.event) break;
    previous = f;
  }
  return previous;
}

const CFact* LastNoShowBefore(const Course& course, absl::Time t) {
  const CFact* last = nullptr;
  for (const CFact* f = course.FirstOf(K::kNoShow); f != nullptr; f = f->next_of_kind) {
    if (f->occurred > t) break;
    last = f;
  }
  return last;
}

bool TimingHolds(EventMatcher::When when, const CFact& candidate, const InstanceContext& ctx) {
  const CFact& trigger = ctx.trigger;
  if (candidate.event == trigger.event) return false;
  switch (when) {
    case EventMatcher::When::kOnOrAfterTriggerDate:
      return candidate.day >= trigger.day;
    case EventMatcher::When::kAnyTime:
      return true;
    case EventMatcher::When::kAfterTrigger:
      return candidate.occurred > trigger.occurred;
    case EventMatcher::When::kBeforeTrigger:
      return candidate.occurred < trigger.occurred;
    case EventMatcher::When::kSincePreviousTrigger: {
      const CFact* previous = PreviousOfKind(ctx.course, trigger);
      return previous == nullptr || candidate.occurred > previous->occurred;
    }
    case EventMatcher::When::kSinceLastNoShow: {
      const CFact* no_show = LastNoShowBefore(ctx.course, trigger.occurred);
      return no_show != nullptr && candidate.occurred >= no_show->occurred &&
             candidate.occurred <= trigger.occurred;
    }
    case EventMatcher::When::kAtOrBeforeTrigger:
    case EventMatcher::When::kOnOrBeforeDeadline:
      return false;  // `exists` only (the loader refuses them elsewhere): ExistsHold
  }
  return false;
}

// A rule's `exists`: every matcher has a matching fact in the course, found along the chain of
// its payload case (empty when the course lacks it).
bool FactExists(const CompiledMatcher& m, const InstanceContext& ctx, DayNumber deadline) {
  for (const CFact* f = ctx.course.FirstOf(m.payload_case); f != nullptr; f = f->next_of_kind) {
    if (!MatchesPayload(m, *f, &ctx.trigger, ctx.match_key)) continue;
    if (m.when == EventMatcher::When::kAtOrBeforeTrigger) {
      if (f->occurred <= ctx.trigger.occurred) return true;
    } else if (m.when == EventMatcher::When::kOnOrBeforeDeadline) {
      if (f->day <= deadline) return true;
    } else if (TimingHolds(m.when, *f, ctx)) {
      return true;
    }
  }
  return false;
}

bool ExistsHold(const InstanceContext& ctx, DayNumber deadline) {
  const CompiledRule& rule = ctx.rule;
  if ((ctx.course.payloads & rule.exists_payloads) != rule.exists_payloads) return false;
  for (const CompiledMatcher& m : rule.exists) {
    if (!FactExists(m, ctx, deadline)) return false;
  }
  return true;
}

// The first fact (in occurred order) that any matcher accepts: the earliest of each matcher's
// first along its payload's chain (facts are one array, so earlier means a lower address).
const CFact* FirstMatch(const std::vector<CompiledMatcher>& matchers, const InstanceContext& ctx) {
  const CFact* first = nullptr;
  for (const CompiledMatcher& m : matchers) {
    for (const CFact* f = ctx.course.FirstOf(m.payload_case);
         f != nullptr && (first == nullptr || f < first); f = f->next_of_kind) {
      if (MatchesPayload(m, *f, &ctx.trigger, ctx.match_key) && TimingHolds(m.when, *f, ctx)) {
        first = f;
        break;
      }
    }
  }
  return first;
}

// BARSEL moves the deadline later by the absence days inside the open window, repeated until
// the window stops growing into further absence.
bool OpenBarselOn(const CourseView& course, DayNumber today) {
  for (const DayNumberPeriod& period : course.barsel) {
    if (period.from <= today && (!period.to.has_value() || *period.to > today)) return true;
  }
  return false;
}

DayNumber ApplyPauses(const Course& course, DayNumber from, DayNumber deadline, DayNumber today) {
  if (course.barsel.empty()) return deadline;
  DayNumber moved = deadline;
  for (int round = 0; round < 64; ++round) {
    int paused = 0;
    for (const DayNumberPeriod& p : course.barsel) {
      const DayNumber end = p.to.value_or(std::max(today + 1, p.from + 1));
      const DayNumber lo = std::max(p.from, from);
      const DayNumber hi = std::min(end, moved + 1);
      if (hi > lo) paused += hi - lo;
    }
    const DayNumber next = deadline + paused;
    if (next == moved) break;
    moved = next;
  }
  return moved;
}

std::optional<DayNumber> BaseDeadline(const InstanceContext& ctx) {
  const DayNumber from = ctx.trigger.day;
  if (ctx.spec.kind == RuleKind::kCheck) return from;
  if (!ctx.spec.due.field.empty()) {
    const FieldAccessor* f = ctx.rule.due_field;
    // The accessor belongs to the trigger's payload case (the compiler looked it up there).
    if (f == nullptr || ctx.trigger.kind != ctx.rule.trigger.payload_case) return std::nullopt;
    const google::protobuf::Timestamp* ts = f->get_time(*ctx.trigger.payload);
    if (ts == nullptr) return std::nullopt;
    return std::max(LocalDayNumber(TimeOf(*ts)), from + ctx.spec.due.min_days_after);
  }
  return AddMonthsTo(from, ctx.spec.due.months) + ctx.spec.due.days;
}

void ReminderMoments(const InstanceContext& ctx, DayNumber deadline, absl::Time due_at,
                     ObligationView& ob) {
  if (ctx.spec.kind == RuleKind::kCheck) return;
  // While a BARSEL absence is open the person is out of the contact flow and a pausable
  // deadline moves every day: no reminders until the absence ends and the deadline is fixed
  // (issue 14: reminders every other day during the absence, naming deadlines that moved on).
  if (ctx.spec.pausable && ctx.eval.today >= ctx.trigger.day &&
      OpenBarselOn(ctx.course, ctx.eval.today)) {
    return;
  }
  auto& moments = ob.reminders;
  if (ctx.spec.reminder_at_start) moments.push_back(ctx.OpenedAt());
  if (ctx.rule.reminder_if != nullptr) {
    const PredicateContext pc{ctx.course, ctx.trigger, ctx.rule, ctx.eval.now, deadline};
    if (!ctx.rule.reminder_if(pc)) return;
  }
  for (int lead : ctx.rule.reminder_leads) {
    // A reminder on a weekend or public holiday moves to the previous working day, so the
    // caseworker still has it before the deadline; breaches never move.
    const absl::Time at =
        LocalMomentOf(PreviousWorkingDayNumber(deadline - lead), ctx.rule.reminder_hour);
    if (at >= ctx.OpenedAt() && at < due_at) moments.push_back(at);
  }
  std::sort(moments.begin(), moments.end());
  moments.erase(std::unique(moments.begin(), moments.end()), moments.end());
}

// A later registration corrects the trigger only if it is about the same thing: every *_id
// field (offer_id, institution_id) is equal, except the ones the check requires.
bool SameIdentity(const CFact& a, const CFact& b, const CompiledRule& rule,
                  const FieldAccessor* const* required, size_t required_count) {
  for (const FieldAccessor* f : rule.identity_fields) {
    if (std::find(required, required + required_count, f) != required + required_count) continue;
    if (f == nullptr) continue;
    if (!SameValue(*a.payload, *f, *b.payload, *f)) return false;
  }
  return true;
}

// A check's documentation: the trigger's own fields, or a later registration of the same kind
// that carries them.
const CFact* EvaluateRequirements(const InstanceContext& ctx, std::string* missing) {
  const FieldAccessor* required[16];
  size_t count = 0;
  for (const FieldAccessor* f : ctx.rule.require) {
    if (count < 16) required[count++] = f;
  }
  for (const auto& [field, predicate] : ctx.rule.require_if) {
    const PredicateContext pc{ctx.course, ctx.trigger, ctx.rule, ctx.eval.now, ctx.trigger.day};
    if (count < 16 && predicate != nullptr && predicate(pc)) required[count++] = field;
  }
  for (const auto& [field, fact] : ctx.rule.require_if_exists) {
    if (count < 16 && FactExists(fact, ctx, ctx.trigger.day)) required[count++] = field;
  }
  bool complete = true;
  for (size_t i = 0; i < count; ++i) {
    if (FieldIsPresent(*ctx.trigger.payload, required[i])) continue;
    complete = false;
    if (!missing->empty()) missing->append(", ");
    missing->append(required[i] == nullptr ? std::string_view() : required[i]->name);
  }
  if (count == 0) return nullptr;
  if (complete) return &ctx.trigger;
  for (const CFact* f = ctx.course.FirstOf(ctx.trigger.kind); f != nullptr; f = f->next_of_kind) {
    if (f->occurred <= ctx.trigger.occurred) continue;
    if (!SameIdentity(*f, ctx.trigger, ctx.rule, required, count)) continue;
    bool all = true;
    for (size_t i = 0; i < count && all; ++i) all = FieldIsPresent(*f->payload, required[i]);
    if (all) return f;
  }
  return nullptr;
}

// The fact that meets a count rule: the min_count-th match inside the window.
const CFact* CountMet(const InstanceContext& ctx, DayNumber deadline) {
  int seen = 0;
  for (const CFact* f = ctx.course.begin; f != ctx.course.end; ++f) {
    if (f->day < ctx.trigger.day || f->day > deadline) continue;
    for (const CompiledMatcher& m : ctx.rule.met_by) {
      if (MatchesPayload(m, *f, &ctx.trigger, ctx.match_key)) {
        if (++seen >= ctx.spec.min_count) return f;
        break;
      }
    }
  }
  return nullptr;
}

v1::ObligationStatus StatusAt(const InstanceContext& ctx, DayNumber deadline, absl::Time due_at,
                              const CFact* met, std::optional<DayNumber> waived_on) {
  const bool is_window = ctx.spec.kind == RuleKind::kWindow;
  const absl::Time now = ctx.eval.now;
  // A check counts as met in time when documented within its grace days.
  const DayNumber on_time =
      ctx.spec.kind == RuleKind::kCheck ? deadline + ctx.rule.check_grace : deadline;
  if (met != nullptr && met->day <= on_time && (!waived_on.has_value() || met->day <= *waived_on)) {
    return v1::MET;
  }
  if (waived_on.has_value() && *waived_on <= deadline) return v1::WAIVED;
  if (is_window) return now >= due_at ? v1::MET : v1::OPEN;
  if (met != nullptr && met->day > on_time) {
    return ctx.spec.resolvable ? v1::MET_LATE : v1::BREACHED;
  }
  return now >= due_at ? v1::BREACHED : v1::OPEN;
}

// Until FinishIds, an obligation's id holds its course's prefix (person key and course id
// hashed); rule id and instance key are added for all obligations at once at the end.
ObligationId PendingId(const InstanceContext& ctx) {
  return {ctx.course.id_prefix.a(), ctx.course.id_prefix.b()};
}

// Completes every id: StableId(person, course, rule, instance), the prefix resumed from the
// pending id. Four at a time (StableIdHasher::AddInterleaved): the hash was a quarter of an
// evaluation done one by one. (Grouping them by length first measured no better.)
void FinishIds(std::vector<ObligationView>& out) {
  const size_t n = out.size();
  constexpr char kEndPart = 0x1f;  // StableIdHasher::EndPart
  // The bytes each id still needs: rule id, end of part, instance key, end of part; in one
  // buffer, on the stack unless it is unusually large.
  size_t total = 0;
  for (const ObligationView& ob : out) total += ob.rule_id.size() + ob.instance.size() + 2;
  char stack_buffer[4096];
  std::unique_ptr<char[]> heap_buffer;
  char* text = stack_buffer;
  if (total > sizeof stack_buffer) {
    heap_buffer = std::make_unique<char[]>(total);
    text = heap_buffer.get();
  }
  absl::InlinedVector<std::string_view, 64> spans;
  char* at = text;
  for (const ObligationView& ob : out) {
    char* const start = at;
    at = Write(at, ob.rule_id);
    *at++ = kEndPart;
    at = ob.instance.WriteTo(at);
    *at++ = kEndPart;
    spans.emplace_back(start, static_cast<size_t>(at - start));
  }
  absl::InlinedVector<StableIdHasher, 64> hashers;
  for (const ObligationView& ob : out) {
    hashers.push_back(StableIdHasher::Resume(ob.obligation_id.a, ob.obligation_id.b));
  }
  StableIdHasher::AddInterleaved(hashers.data(), spans.data(), n);
  for (size_t i = 0; i < n; ++i) out[i].obligation_id = {hashers[i].a(), hashers[i].b()};
}

bool EvaluateInstance(const InstanceContext& ctx, std::optional<DayNumber> deadline_override,
                      ObligationView& ob, DayNumber* deadline_out) {
  const std::optional<DayNumber> base =
      deadline_override.has_value() ? deadline_override : BaseDeadline(ctx);
  if (!base.has_value()) return false;
  const PredicateContext pc{ctx.course, ctx.trigger, ctx.rule, ctx.eval.now, *base};
  for (PredicateFn predicate : ctx.rule.conditions) {
    if (predicate == nullptr || !predicate(pc)) return false;
  }
  if (!ctx.rule.exists.empty() && !ExistsHold(ctx, *base)) return false;
  const RuleKind kind = ctx.spec.kind;
  DayNumber deadline = *base;
  if (ctx.spec.pausable) deadline = ApplyPauses(ctx.course, ctx.trigger.day, *base, ctx.eval.today);
  const absl::Time due_at = kind == RuleKind::kCheck    ? BreachMomentOf(deadline, ctx.rule.check_grace)
                            : kind == RuleKind::kWindow ? BreachMomentOf(deadline, 0)
                                                        : BreachMomentOf(deadline, ctx.rule.breach_grace);
  // The visitation group that matters is the one in force when the requirement falls due.
  if (ctx.rule.groups != 0) {
    const absl::Time at = kind == RuleKind::kCheck
                              ? ctx.trigger.occurred
                              : std::min(ctx.eval.now, due_at - absl::Nanoseconds(1));
    const v1::VisitationGroup group = ctx.course.GroupAt(at);
    if ((ctx.rule.groups & (1u << group)) == 0) return false;
  }
  ob.rule_id = ctx.spec.id;
  ob.instance = ctx.instance;
  ob.regime = &ctx.regime;
  ob.rule = &ctx.spec;
  ob.obligation_id = PendingId(ctx);
  ob.opened_at = ctx.OpenedAt();
  ob.deadline = ToCivilDay(deadline);
  ob.due_at = due_at;
  ob.reports_missing = kind == RuleKind::kCheck;
  ReminderMoments(ctx, deadline, due_at, ob);
  ob.cause_event_ids.push_back(&ctx.trigger.id());

  const CFact* met = nullptr;
  if (kind == RuleKind::kCount) {
    met = CountMet(ctx, deadline);
  } else if (kind == RuleKind::kCheck && !ctx.spec.require.empty()) {
    met = EvaluateRequirements(ctx, &ob.missing);
  } else if ((ctx.course.payloads & ctx.rule.met_by_payloads) != 0) {
    met = FirstMatch(ctx.rule.met_by, ctx);
  }
  const CFact* waiver = FirstMatch(ctx.rule.waived_by, ctx);
  std::optional<DayNumber> waived_on;
  if (waiver != nullptr) waived_on = waiver->day;
  if (const CFact* end = ctx.course.ends.waiver[static_cast<int>(ctx.spec.category)];
      end != nullptr && (!waived_on.has_value() || end->day < *waived_on)) {
    waived_on = end->day;
    waiver = end;
  }
  // A repeal waives what is still open on its first day, not before: reminders until then.
  if (const std::optional<DayNumber>& repeal = ctx.rule.repealed_on;
      repeal.has_value() && ctx.eval.now >= StartOfDayNumber(*repeal) &&
      (!waived_on.has_value() || *repeal < *waived_on)) {
    waived_on = repeal;
    waiver = nullptr;
  }
  ob.status = StatusAt(ctx, deadline, due_at, met, waived_on);
  if ((ob.status == v1::MET || ob.status == v1::MET_LATE) && met != nullptr &&
      met != &ctx.trigger) {
    ob.cause_event_ids.push_back(&met->id());
  }
  if (ob.status == v1::WAIVED && waiver != nullptr) ob.cause_event_ids.push_back(&waiver->id());
  if (deadline_out != nullptr) *deadline_out = deadline;
  return true;
}

bool InRegime(const CompiledRegime& regime, DayNumber day) {
  return day >= regime.valid_from && (!regime.valid_to.has_value() || day <= *regime.valid_to);
}

// A recurring rule is a chain: from the anchor (the trigger, then each meeting that met the
// previous link) the next matching event is due within the interval.
void EvaluateRecurring(const InstanceContext& ctx, const CompiledRegime& compiled,
                       std::vector<ObligationView>* out) {
  const CFact* anchor = &ctx.trigger;
  for (int link = 0; link < 1000; ++link) {
    // Each link belongs to the regime in force on its anchor's date (rules.md §2).
    if (!InRegime(compiled, anchor->day)) return;
    InstanceContext link_ctx{ctx.eval,   ctx.course, ctx.regime, ctx.spec,
                             ctx.rule,   *anchor,    InstanceKey{&anchor->id(), {}, nullptr, false}};
    ObligationView ob;
    const bool has = EvaluateInstance(link_ctx, std::nullopt, ob, nullptr);
    // The next link: the first fact after the anchor that a met_by matcher accepts.
    const CFact* next = nullptr;
    for (const CompiledMatcher& m : ctx.rule.met_by) {
      for (const CFact* f = ctx.course.FirstOf(m.payload_case);
           f != nullptr && (next == nullptr || f < next); f = f->next_of_kind) {
        if (f->occurred > anchor->occurred && MatchesPayload(m, *f, anchor, "")) {
          next = f;
          break;
        }
      }
    }
    if (has) out->push_back(std::move(ob));
    if (next == nullptr) return;
    anchor = next;
  }
}

// A pålæg has one deadline per step (trin 1 wishes, trin 2 application). A move recorded
// before the breach moves the deadline; a move recorded after it leaves the breach standing
// and opens a new obligation with the new deadline (rules.md §4, paalaeg_deadline_postponed).
void EvaluatePaalaegSteps(InstanceContext ctx, std::vector<ObligationView>* out) {
  const auto& order = ctx.trigger.event->education_order_issued();
  struct Step {
    std::string_view name;
    v1::EducationOrderStep value;
    const google::protobuf::Timestamp* first_deadline;
  };
  const Step steps[] = {
      {"WISHES", v1::WISHES, order.has_wishes_deadline() ? &order.wishes_deadline() : nullptr},
      {"APPLICATION", v1::APPLICATION,
       order.has_application_deadline() ? &order.application_deadline() : nullptr}};
  // A move belongs to the pålæg in force when it was made: the latest one before it.
  const CFact* next_order = nullptr;
  for (const CFact* f = ctx.course.FirstOf(K::kEducationOrderIssued); f != nullptr;
       f = f->next_of_kind) {
    if (f->occurred > ctx.trigger.occurred) {
      next_order = f;
      break;
    }
  }
  for (const Step& step : steps) {
    if (step.first_deadline == nullptr) continue;
    absl::InlinedVector<const CFact*, 4> changes;
    for (const CFact* f = ctx.course.FirstOf(K::kEducationOrderDeadlineChanged); f != nullptr;
         f = f->next_of_kind) {
      if (f->occurred >= ctx.trigger.occurred &&
          (next_order == nullptr || f->occurred < next_order->occurred) &&
          f->event->education_order_deadline_changed().step() == step.value) {
        changes.push_back(f);
      }
    }
    std::stable_sort(changes.begin(), changes.end(),
                     [](const CFact* a, const CFact* b) { return a->recorded < b->recorded; });
    ctx.match_key = step.name;
    ctx.instance = {&ctx.trigger.id(), step.name, nullptr, false};
    // opened_at is not reset per step, as in the text interpreter: an APPLICATION step after
    // a WISHES move recorded past its breach inherits that moment (docs/rules.md, known issues).
    DayNumber deadline = LocalDayNumber(TimeOf(*step.first_deadline));
    for (const CFact* change : changes) {
      const DayNumber moved_to =
          LocalDayNumber(TimeOf(change->event->education_order_deadline_changed().new_deadline()));
      if (change->recorded < BreachMomentOf(deadline, ctx.rule.breach_grace)) {
        deadline = moved_to;
        continue;
      }
      ObligationView ob;
      if (EvaluateInstance(ctx, deadline, ob, nullptr)) out->push_back(std::move(ob));
      ctx.instance = {&ctx.trigger.id(), step.name, &change->id(), false};
      ctx.opened_at = change->recorded;
      deadline = moved_to;
    }
    ObligationView ob;
    if (EvaluateInstance(ctx, deadline, ob, nullptr)) out->push_back(std::move(ob));
  }
}

// A window rule may cap how far its period reaches past the education start (mentor support:
// 6 + 6 months, limit_months_after_education_start). A grant beyond the cap is a MISSING on its
// own instance; it stands until the grant is voided or corrected.
void EvaluateWindowLimit(const InstanceContext& ctx, const ObligationView& window,
                         DayNumber window_deadline, std::vector<ObligationView>* out) {
  const std::optional<int>& limit = ctx.rule.params.limit_months_after_education_start;
  if (!limit.has_value()) return;
  const CFact* start = ctx.course.EducationStartAt(StartOfDayNumber(window_deadline + 1));
  if (start == nullptr || window_deadline <= AddMonthsTo(start->day, *limit)) return;
  ObligationView ob = window;
  ob.instance.limit = true;
  // ob.obligation_id: the window's pending id, the same course prefix (FinishIds).
  ob.due_at = BreachMomentOf(ctx.trigger.day, ctx.rule.check_grace);
  ob.reminders.clear();
  ob.reports_missing = true;
  ob.status = ctx.eval.now >= ob.due_at ? v1::BREACHED : v1::OPEN;
  ob.cause_event_ids = {&ctx.trigger.id(), &start->id()};
  out->push_back(std::move(ob));
}

// A trigger that falls after the course ended (for this rule's category) opens nothing.
bool TriggerAfterCourseEnd(const Course& course, const RuleSpec& rule, const CFact& trigger) {
  const absl::Time end = rule.category != Category::kEducation ? course.ends.any_end
                                                               : course.ends.non_education_end;
  return end < trigger.occurred;
}

void EvaluateTrigger(const EvalContext& eval, const Course& course, const Regime& regime,
                     const CompiledRegime& compiled, const RuleSpec& spec,
                     const CompiledRule& rule, const CFact& trigger,
                     std::vector<ObligationView>* out) {
  if (trigger.occurred > eval.now) return;
  if (!InRegime(compiled, trigger.day)) return;
  if (rule.effective_from.has_value() && trigger.day < *rule.effective_from) return;
  if (TriggerAfterCourseEnd(course, spec, trigger)) return;
  InstanceContext ctx{eval, course, regime, spec, rule, trigger,
                      InstanceKey{&trigger.id(), {}, nullptr, false}};
  if (rule.paalaeg_steps) {
    EvaluatePaalaegSteps(ctx, out);
  } else if (spec.kind == RuleKind::kRecurring) {
    EvaluateRecurring(ctx, compiled, out);
  } else {
    ObligationView ob;
    DayNumber deadline = 0;
    if (!EvaluateInstance(ctx, std::nullopt, ob, &deadline)) return;
    if (spec.kind == RuleKind::kWindow) EvaluateWindowLimit(ctx, ob, deadline, out);
    out->push_back(std::move(ob));
  }
}

void EvaluateRule(const EvalContext& eval, const Course& course, const Regime& regime,
                  const CompiledRegime& compiled, const RuleSpec& spec, const CompiledRule& rule,
                  std::vector<ObligationView>* out) {
  // The index: a rule whose trigger payload the course lacks cannot open anything.
  if ((course.payloads & PayloadBit(rule.trigger.payload_case)) == 0) return;
  bool first_seen = false;
  for (const CFact* f = course.FirstOf(rule.trigger.payload_case); f != nullptr;
       f = f->next_of_kind) {
    if (f->kind == K::kFirstContact && f != course.start) continue;
    if (f->day < course.start->day && f->kind != K::kFirstContact) continue;
    if (!MatchesPayload(rule.trigger, *f, nullptr, "")) continue;
    const bool is_first = !first_seen;
    first_seen = true;
    if (rule.select == TriggerSpec::Select::kEveryButFirst && is_first) continue;
    EvaluateTrigger(eval, course, regime, compiled, spec, rule, *f, out);
    if (rule.select == TriggerSpec::Select::kFirst) break;
  }
}

bool Compiled(const Catalog& catalog) {
  for (const Regime& regime : catalog.regimes) {
    if (regime.compiled == nullptr || regime.compiled->rules.size() != regime.rules.size()) {
      return false;
    }
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void CourseView::IndexByKind() {
  first_of_kind.fill(nullptr);
  for (const CFact* f = end; f != begin;) {
    --f;
    const int index = f->kind - kFirstPayloadCase;
    if (index < 0 || index >= 64) continue;  // no payload: Evaluate does not get this far
    // The facts are Evaluate's own vector, not const objects; the view is const for the rules.
    const_cast<CFact*>(f)->next_of_kind = first_of_kind[index];
    first_of_kind[index] = f;
  }
}

v1::VisitationGroup CourseView::GroupAt(absl::Time t) const {
  v1::VisitationGroup group = v1::UDDANNELSESPARAT;
  for (const CFact* f = FirstOf(K::kVisitationDecided); f != nullptr; f = f->next_of_kind) {
    if (f->occurred > t) break;
    group = f->event->visitation_decided().group();
  }
  return group;
}

const CFact* CourseView::EducationStartAt(absl::Time t) const {
  const CFact* latest = nullptr;
  for (const CFact* f = FirstOf(K::kEducationStarted); f != nullptr; f = f->next_of_kind) {
    if (f->occurred > t) break;
    latest = f;
  }
  return latest;
}

bool CourseView::InScope() const {
  const v1::FirstContact& contact = start->event->first_contact();
  if (contact.has_vocational_education()) return false;
  return contact.age_years() == 0 || contact.age_years() < 30;
}

size_t InstanceKey::size() const {
  return (trigger != nullptr ? trigger->size() : 0) + (step.empty() ? 0 : 1 + step.size()) +
         (change != nullptr ? 1 + change->size() : 0) + (limit ? kLimitSuffix.size() : 0);
}

char* InstanceKey::WriteTo(char* out) const {
  if (trigger != nullptr) out = Write(out, *trigger);
  if (!step.empty()) {
    *out++ = ':';
    out = Write(out, step);
  }
  if (change != nullptr) {
    *out++ = ':';
    out = Write(out, *change);
  }
  if (limit) out = Write(out, kLimitSuffix);
  return out;
}

std::string InstanceKey::str() const {
  std::string out(size(), '\0');
  WriteTo(out.data());
  return out;
}

void RuleSelection::Add(std::string_view regime_id, std::string_view rule_id) {
  for (const auto& [regime, rule] : rules_) {
    if (regime == regime_id && rule == rule_id) return;
  }
  rules_.emplace_back(regime_id, rule_id);
}

bool RuleSelection::Covers(std::string_view regime_id, std::string_view rule_id) const {
  if (all_) return true;
  for (const auto& [regime, rule] : rules_) {
    if (regime == regime_id && rule == rule_id) return true;
  }
  return false;
}

bool RuleSelection::Covers(const Regime& regime) const {
  if (all_) return true;
  for (const auto& [regime_id, rule_id] : rules_) {
    if (regime_id == regime.id) return true;
  }
  return false;
}

std::vector<ObligationView> Evaluate(const std::string& person_key,
                                     const std::vector<const v1::CaseEvent*>& events,
                                     const Catalog& catalog, absl::Time now, RuleSelection* only) {
  if (!Compiled(catalog)) return reference::Evaluate(person_key, events, catalog, now, only);
  std::vector<CFact> facts(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    CFact& f = facts[i];
    f.event = events[i];
    f.kind = events[i]->payload_case();
    f.payload = PayloadMessage(*events[i]);
    f.occurred = TimeOf(events[i]->occurred_at());
    f.recorded = TimeOf(events[i]->recorded_at());
    f.day = LocalDayNumber(f.occurred);
  }
  std::stable_sort(facts.begin(), facts.end(), [](const CFact& a, const CFact& b) {
    if (a.occurred != b.occurred) return a.occurred < b.occurred;
    if (a.recorded != b.recorded) return a.recorded < b.recorded;
    return a.id() < b.id();
  });
  std::vector<ObligationView> out;
  // An event without a payload cannot be evaluated: the text interpreter skipped it too.
  for (const CFact& f : facts) {
    if (f.payload == nullptr) return reference::Evaluate(person_key, events, catalog, now, only);
  }
  // Facts are sorted by occurred: one after `now` makes a selection inexact (RuleSelection).
  if (only != nullptr && !facts.empty() && facts.back().occurred > now) only->CoverAll();

  // Courses (rules.md §3): a first_contact after a benefit_ended starts the next; facts dated
  // before the first course belong to it. Each course is a contiguous range of `facts`.
  absl::InlinedVector<Course, 2> courses;
  bool ended = false;
  for (const CFact& f : facts) {
    if (f.kind == K::kFirstContact && (courses.empty() || ended)) {
      if (!courses.empty()) courses.back().end = &f;
      Course c;
      c.begin = courses.empty() ? facts.data() : &f;
      c.start = &f;
      courses.push_back(std::move(c));
      ended = false;
      continue;
    }
    if (!courses.empty() && f.kind == K::kBenefitEnded) ended = true;
  }
  if (courses.empty()) return out;
  courses.back().end = facts.data() + facts.size();
  out.reserve(24);
  const EvalContext eval{person_key, catalog, now, LocalDayNumber(now)};
  for (Course& course : courses) {
    if (course.start->occurred > now || !course.InScope()) continue;
    BuildCourse(person_key, course);
    // An open BARSEL absence moves the deadlines of pausable rules with the clock itself.
    if (only != nullptr && OpenBarselOn(course, eval.today)) only->CoverAll();
    const DayNumber first_day = course.begin->day;
    for (const Regime& regime : catalog.regimes) {
      const CompiledRegime& compiled = *regime.compiled;
      // Only regimes in force on some day of the course can govern one of its triggers.
      if (compiled.valid_to.has_value() && *compiled.valid_to < first_day) continue;
      if (compiled.valid_from > eval.today) continue;
      if (only != nullptr && !only->Covers(regime)) continue;
      for (size_t i = 0; i < regime.rules.size(); ++i) {
        if (only != nullptr && !only->Covers(regime, regime.rules[i])) continue;
        EvaluateRule(eval, course, regime, compiled, regime.rules[i], compiled.rules[i], &out);
      }
    }
  }
  FinishIds(out);
  return out;
}

absl::Time NextMoment(const ObligationView& obligation, absl::Time now) {
  if (obligation.status != v1::OPEN) return absl::InfiniteFuture();
  for (absl::Time reminder : obligation.reminders) {
    if (reminder > now) return reminder;
  }
  return obligation.due_at > now ? obligation.due_at : absl::InfiniteFuture();
}

}  // namespace fristvagt::rules
