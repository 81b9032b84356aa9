#include "rules/reference/evaluator.h"

#include "rules/evaluator.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_join.h"
#include "rules/civil_time.h"
#include "rules/reference/conditions.h"
#include "rules/course.h"
#include "rules/holidays.h"
#include "rules/reference/matcher.h"
#include "rules/stable_id.h"

namespace fristvagt::rules::reference {

namespace {

ObligationId IdOf(std::initializer_list<std::string_view> parts) {
  StableIdHasher hasher;
  for (std::string_view part : parts) {
    hasher.Add(part);
    hasher.EndPart();
  }
  return {hasher.a(), hasher.b()};
}

// Everything one evaluation of one rule instance needs.
struct InstanceContext {
  const std::string& person_key;
  const Catalog& catalog;
  const Course& course;
  const Regime& regime;
  const RuleSpec& rule;
  const Fact& trigger;
  std::string instance;
  absl::Time now;
  std::string match_key = {};  // what "$instance" conditions compare with (a pålæg step)
  // When the obligation opened, if not at the trigger (a pålæg deadline moved after its breach
  // opens a new obligation when the move is recorded).
  absl::Time opened_at = absl::InfinitePast();
  InstanceKey key = {};  // `instance` as the view carries it
  absl::Time OpenedAt() const {
    return opened_at == absl::InfinitePast() ? trigger.occurred : opened_at;
  }
};

// The latest event of the trigger's kind before the trigger.
const Fact* PreviousOfKind(const Course& course, const Fact& trigger) {
  const Fact* previous = nullptr;
  for (const Fact& fact : course.facts()) {
    if (fact.occurred >= trigger.occurred || fact.event == trigger.event) break;
    if (fact.payload == trigger.payload) previous = &fact;
  }
  return previous;
}

const Fact* LastNoShowBefore(const Course& course, absl::Time t) {
  const Fact* last = nullptr;
  for (const Fact& fact : course.facts()) {
    if (fact.occurred > t) break;
    if (fact.payload == "no_show") last = &fact;
  }
  return last;
}

bool TimingHolds(EventMatcher::When when, const Fact& candidate, const InstanceContext& ctx) {
  const Fact& trigger = ctx.trigger;
  if (candidate.event == trigger.event) return false;
  switch (when) {
    case EventMatcher::When::kOnOrAfterTriggerDate:
      return candidate.date >= trigger.date;
    case EventMatcher::When::kAnyTime:
      return true;
    case EventMatcher::When::kAfterTrigger:
      return candidate.occurred > trigger.occurred;
    case EventMatcher::When::kBeforeTrigger:
      return candidate.occurred < trigger.occurred;
    case EventMatcher::When::kSincePreviousTrigger: {
      const Fact* previous = PreviousOfKind(ctx.course, trigger);
      return previous == nullptr || candidate.occurred > previous->occurred;
    }
    case EventMatcher::When::kSinceLastNoShow: {
      const Fact* no_show = LastNoShowBefore(ctx.course, trigger.occurred);
      return no_show != nullptr && candidate.occurred >= no_show->occurred &&
             candidate.occurred <= trigger.occurred;
    }
    case EventMatcher::When::kAtOrBeforeTrigger:
    case EventMatcher::When::kOnOrBeforeDeadline:
      return false;  // `exists` only (the loader refuses them elsewhere): ExistsHold
  }
  return false;
}

// A rule's `exists`: every matcher has a matching fact in the course (issue 14, the data form
// of the former named predicates has_paalaeg, paalaeg_by_deadline).
bool FactExists(const EventMatcher& m, const InstanceContext& ctx, absl::CivilDay deadline) {
  for (const Fact& fact : ctx.course.facts()) {
    if (!MatchesPayload(m, fact, &ctx.trigger, ctx.match_key)) continue;
    if (m.when == EventMatcher::When::kAtOrBeforeTrigger) {
      if (fact.occurred <= ctx.trigger.occurred) return true;
    } else if (m.when == EventMatcher::When::kOnOrBeforeDeadline) {
      if (fact.date <= deadline) return true;
    } else if (TimingHolds(m.when, fact, ctx)) {
      return true;
    }
  }
  return false;
}

bool ExistsHold(const InstanceContext& ctx, absl::CivilDay deadline) {
  for (const EventMatcher& m : ctx.rule.exists) {
    if (!FactExists(m, ctx, deadline)) return false;
  }
  return true;
}

// The first fact (in occurred order) that any matcher accepts.
const Fact* FirstMatch(const std::vector<EventMatcher>& matchers, const InstanceContext& ctx) {
  for (const Fact& fact : ctx.course.facts()) {
    for (const EventMatcher& m : matchers) {
      if (MatchesPayload(m, fact, &ctx.trigger, ctx.match_key) && TimingHolds(m.when, fact, ctx)) {
        return &fact;
      }
    }
  }
  return nullptr;
}

std::vector<const Fact*> SelectTriggers(const Course& course, const RuleSpec& rule) {
  std::vector<const Fact*> matches;
  for (const Fact& fact : course.facts()) {
    if (fact.payload == "first_contact" && fact.event != course.start().event) continue;
    if (fact.date < course.start().date && fact.payload != "first_contact") continue;
    if (MatchesPayload(rule.trigger.matcher, fact, nullptr, "")) matches.push_back(&fact);
  }
  switch (rule.trigger.select) {
    case TriggerSpec::Select::kFirst:
      if (matches.size() > 1) matches.resize(1);
      break;
    case TriggerSpec::Select::kEveryButFirst:
      if (!matches.empty()) matches.erase(matches.begin());
      break;
    case TriggerSpec::Select::kEvery:
      break;
  }
  return matches;
}

// §3: after a benefit end, new triggers open nothing (education rules survive an EDUCATION
// end); the same events waive obligations that are still open.
std::optional<absl::CivilDay> CourseEndWaiver(const Course& course, const RuleSpec& rule,
                                              const Fact** waiver) {
  std::optional<absl::CivilDay> earliest;
  for (const Fact& fact : course.facts()) {
    bool waives = false;
    if (fact.payload == "benefit_ended") {
      waives = rule.category != Category::kEducation ||
               fact.event->benefit_ended().reason() != v1::EDUCATION;
    } else if (fact.payload == "education_started") {
      waives = rule.category == Category::kContact;
    }
    if (waives && (!earliest.has_value() || fact.date < *earliest)) {
      earliest = fact.date;
      *waiver = &fact;
    }
  }
  return earliest;
}

// A later regime that repeals this rule waives its open obligations on its first day.
std::optional<absl::CivilDay> RepealDate(const Catalog& catalog, const Regime& regime,
                                         const std::string& rule_id) {
  for (const Regime& later : catalog.regimes) {
    if (later.valid_from <= regime.valid_from) continue;
    if (std::find(later.repeals.begin(), later.repeals.end(), rule_id) != later.repeals.end()) {
      return later.valid_from;
    }
  }
  return std::nullopt;
}

// BARSEL moves the deadline later by the absence days inside the open window, repeated until
// the window stops growing into further absence.
absl::CivilDay ApplyPauses(const Course& course, absl::CivilDay from, absl::CivilDay deadline,
                           absl::CivilDay today) {
  const std::vector<DayPeriod> periods = course.BarselPeriods();
  if (periods.empty()) return deadline;
  absl::CivilDay moved = deadline;
  for (int round = 0; round < 64; ++round) {
    int paused = 0;
    for (const DayPeriod& p : periods) {
      const absl::CivilDay end = p.to.value_or(std::max(today + 1, p.from + 1));
      const absl::CivilDay lo = std::max(p.from, from);
      const absl::CivilDay hi = std::min(end, moved + 1);
      if (hi > lo) paused += static_cast<int>(hi - lo);
    }
    const absl::CivilDay next = deadline + paused;
    if (next == moved) break;
    moved = next;
  }
  return moved;
}

int CheckGrace(const InstanceContext& ctx) {
  return ctx.rule.check_grace_days.value_or(ctx.regime.defaults.check_grace_days);
}

int BreachGrace(const InstanceContext& ctx) {
  return ctx.rule.breach_grace_days.value_or(ctx.regime.defaults.breach_grace_days);
}

std::optional<absl::CivilDay> BaseDeadline(const InstanceContext& ctx) {
  const DueSpec& due = ctx.rule.due;
  const absl::CivilDay from = ctx.trigger.date;
  if (ctx.rule.kind == RuleKind::kCheck) return from;
  if (!due.field.empty()) {
    const std::optional<absl::Time> at = FieldTime(*ctx.trigger.event, due.field);
    if (!at.has_value()) return std::nullopt;
    return std::max(LocalDate(*at), from + due.min_days_after);
  }
  return AddDays(AddMonths(from, due.months), due.days);
}

std::vector<absl::Time> ReminderMoments(const InstanceContext& ctx, absl::CivilDay deadline,
                                        absl::Time due_at) {
  std::vector<absl::Time> moments;
  if (ctx.rule.kind == RuleKind::kCheck) return moments;
  // Issue 14 changed this on purpose, in both evaluators: no reminders of a pausable rule
  // while a BARSEL absence is open.
  if (ctx.rule.pausable && LocalDate(ctx.now) >= ctx.trigger.date) {
    const absl::CivilDay today = LocalDate(ctx.now);
    for (const DayPeriod& period : ctx.course.BarselPeriods()) {
      if (period.from <= today && (!period.to.has_value() || *period.to > today)) return moments;
    }
  }
  if (ctx.rule.reminder_at_start) moments.push_back(ctx.OpenedAt());
  const std::vector<int>& leads = ctx.rule.reminder_leads_days.empty()
                                      ? ctx.regime.defaults.reminder_leads_days
                                      : ctx.rule.reminder_leads_days;
  const int hour = ctx.rule.reminder_hour.value_or(ctx.regime.defaults.reminder_hour);
  if (!ctx.rule.reminder_if.empty()) {
    const ConditionContext cc{ctx.course, ctx.trigger, ctx.regime, ctx.rule, ctx.now, deadline};
    if (!NamedConditionHolds(ctx.rule.reminder_if, cc)) return moments;
  }
  for (int lead : leads) {
    // A reminder on a weekend or public holiday moves to the previous working day, so the
    // caseworker still has it before the deadline; breaches never move.
    const absl::Time at = LocalMoment(PreviousWorkingDay(deadline - lead), hour);
    if (at >= ctx.OpenedAt() && at < due_at) moments.push_back(at);
  }
  std::sort(moments.begin(), moments.end());
  moments.erase(std::unique(moments.begin(), moments.end()), moments.end());
  return moments;
}

// A check's documentation: the trigger's own fields, or a later registration of the same
// kind that carries them.
struct CheckResult {
  std::vector<std::string> missing;
  const Fact* met = nullptr;
};

// A later registration corrects the trigger only if it is about the same thing: every *_id
// field (offer_id, institution_id) is equal, except the ones the check requires (a missing
// institution number is corrected by registering it).
bool SameIdentity(const Fact& a, const Fact& b, const std::vector<std::string>& required) {
  const google::protobuf::Message* payload = PayloadOf(*a.event);
  if (payload == nullptr) return false;
  const auto* descriptor = payload->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const std::string& name = descriptor->field(i)->name();
    if (name.size() < 3 || name.compare(name.size() - 3, 3, "_id") != 0) continue;
    if (std::find(required.begin(), required.end(), name) != required.end()) continue;
    if (FieldText(*a.event, name) != FieldText(*b.event, name)) return false;
  }
  return true;
}

CheckResult EvaluateRequirements(const InstanceContext& ctx) {
  CheckResult result;
  std::vector<std::string> required = ctx.rule.require;
  for (const auto& [field, predicate] : ctx.rule.require_if) {
    ConditionContext cc{ctx.course, ctx.trigger, ctx.regime, ctx.rule, ctx.now, ctx.trigger.date};
    if (NamedConditionHolds(predicate, cc)) required.push_back(field);
  }
  for (const auto& [field, fact] : ctx.rule.require_if_exists) {
    if (FactExists(fact, ctx, ctx.trigger.date)) required.push_back(field);
  }
  for (const std::string& field : required) {
    if (!FieldIsPresent(*ctx.trigger.event, field)) result.missing.push_back(field);
  }
  if (required.empty()) return result;
  if (result.missing.empty()) {
    result.met = &ctx.trigger;
    return result;
  }
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.payload != ctx.trigger.payload || fact.occurred <= ctx.trigger.occurred) continue;
    if (!SameIdentity(fact, ctx.trigger, required)) continue;
    const bool complete = std::all_of(required.begin(), required.end(), [&](const auto& f) {
      return FieldIsPresent(*fact.event, f);
    });
    if (complete) {
      result.met = &fact;
      break;
    }
  }
  return result;
}

// The fact that meets a count rule: the min_count-th match inside the window.
const Fact* CountMet(const InstanceContext& ctx, absl::CivilDay deadline) {
  int seen = 0;
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.date < ctx.trigger.date || fact.date > deadline) continue;
    for (const EventMatcher& m : ctx.rule.met_by) {
      if (MatchesPayload(m, fact, &ctx.trigger, ctx.match_key)) {
        if (++seen >= ctx.rule.min_count) return &fact;
        break;
      }
    }
  }
  return nullptr;
}

v1::ObligationStatus StatusAt(const InstanceContext& ctx, const ObligationView& ob, const Fact* met,
                              std::optional<absl::CivilDay> waived_on) {
  const bool is_window = ctx.rule.kind == RuleKind::kWindow;
  // A check counts as met in time when documented within its grace days.
  const absl::CivilDay on_time =
      ctx.rule.kind == RuleKind::kCheck ? ob.deadline + CheckGrace(ctx) : ob.deadline;
  if (met != nullptr && met->date <= on_time &&
      (!waived_on.has_value() || met->date <= *waived_on)) {
    return v1::MET;
  }
  if (waived_on.has_value() && *waived_on <= ob.deadline) return v1::WAIVED;
  if (is_window) return ctx.now >= ob.due_at ? v1::MET : v1::OPEN;
  if (met != nullptr && met->date > on_time) {
    return ctx.rule.resolvable ? v1::MET_LATE : v1::BREACHED;
  }
  return ctx.now >= ob.due_at ? v1::BREACHED : v1::OPEN;
}

std::optional<ObligationView> EvaluateInstance(const InstanceContext& ctx,
                                               std::optional<absl::CivilDay> deadline_override) {
  std::optional<absl::CivilDay> base =
      deadline_override.has_value() ? deadline_override : BaseDeadline(ctx);
  if (!base.has_value()) return std::nullopt;
  ConditionContext cc{ctx.course, ctx.trigger, ctx.regime, ctx.rule, ctx.now, *base};
  for (const std::string& name : ctx.rule.conditions) {
    if (!NamedConditionHolds(name, cc)) return std::nullopt;
  }
  if (!ExistsHold(ctx, *base)) return std::nullopt;
  ObligationView ob;
  ob.rule_id = ctx.rule.id;
  ob.instance = ctx.key;
  ob.regime = &ctx.regime;
  ob.rule = &ctx.rule;
  ob.obligation_id = IdOf({ctx.person_key, ctx.course.id(), ctx.rule.id, ctx.instance});
  ob.opened_at = ctx.OpenedAt();
  ob.deadline = *base;
  if (ctx.rule.pausable) {
    ob.deadline = ApplyPauses(ctx.course, ctx.trigger.date, *base, LocalDate(ctx.now));
  }
  ob.due_at = ctx.rule.kind == RuleKind::kCheck    ? BreachMoment(ob.deadline, CheckGrace(ctx))
              : ctx.rule.kind == RuleKind::kWindow ? BreachMoment(ob.deadline, 0)
                                                   : BreachMoment(ob.deadline, BreachGrace(ctx));
  // The visitation group that matters is the one in force when the requirement falls due.
  if (!ctx.rule.groups.empty()) {
    const absl::Time at = ctx.rule.kind == RuleKind::kCheck
                              ? ctx.trigger.occurred
                              : std::min(ctx.now, ob.due_at - absl::Nanoseconds(1));
    const std::string group = v1::VisitationGroup_Name(ctx.course.GroupAt(at));
    if (std::find(ctx.rule.groups.begin(), ctx.rule.groups.end(), group) == ctx.rule.groups.end()) {
      return std::nullopt;
    }
  }
  ob.reports_missing = ctx.rule.kind == RuleKind::kCheck;
  const std::vector<absl::Time> reminders = ReminderMoments(ctx, ob.deadline, ob.due_at);
  ob.reminders.assign(reminders.begin(), reminders.end());
  ob.cause_event_ids.push_back(&ctx.trigger.id());

  const Fact* met = nullptr;
  if (ctx.rule.kind == RuleKind::kCount) {
    met = CountMet(ctx, ob.deadline);
  } else if (ctx.rule.kind == RuleKind::kCheck && !ctx.rule.require.empty()) {
    CheckResult check = EvaluateRequirements(ctx);
    met = check.met;
    ob.missing = absl::StrJoin(check.missing, ", ");
  } else {
    met = FirstMatch(ctx.rule.met_by, ctx);
  }
  const Fact* waiver = FirstMatch(ctx.rule.waived_by, ctx);
  std::optional<absl::CivilDay> waived_on;
  if (waiver != nullptr) waived_on = waiver->date;
  const Fact* end_waiver = nullptr;
  if (auto end = CourseEndWaiver(ctx.course, ctx.rule, &end_waiver);
      end.has_value() && (!waived_on.has_value() || *end < *waived_on)) {
    waived_on = end;
    waiver = end_waiver;
  }
  // A repeal waives what is still open on its first day, not before: reminders until then.
  if (auto repeal = RepealDate(ctx.catalog, ctx.regime, ctx.rule.id);
      repeal.has_value() && ctx.now >= StartOfDay(*repeal) &&
      (!waived_on.has_value() || *repeal < *waived_on)) {
    waived_on = repeal;
    waiver = nullptr;
  }
  ob.status = StatusAt(ctx, ob, met, waived_on);
  if ((ob.status == v1::MET || ob.status == v1::MET_LATE) && met != nullptr &&
      met != &ctx.trigger) {
    ob.cause_event_ids.push_back(&met->id());
  }
  if (ob.status == v1::WAIVED && waiver != nullptr) ob.cause_event_ids.push_back(&waiver->id());
  return ob;
}

// A trigger that falls after the course ended (for this rule's category) opens nothing.
bool TriggerAfterCourseEnd(const Course& course, const RuleSpec& rule, const Fact& trigger) {
  for (const Fact& fact : course.facts()) {
    if (fact.occurred >= trigger.occurred) break;
    if (fact.payload != "benefit_ended") continue;
    if (rule.category != Category::kEducation) return true;
    if (fact.event->benefit_ended().reason() != v1::EDUCATION) return true;
  }
  return false;
}

// A recurring rule is a chain: from the anchor (the trigger, then each meeting that met the
// previous link) the next matching event is due within the interval.
void EvaluateRecurring(InstanceContext ctx, std::vector<ObligationView>* out) {
  const Fact* anchor = &ctx.trigger;
  for (int link = 0; link < 1000; ++link) {
    // Each link belongs to the regime in force on its anchor's date (rules.md §2).
    if (ctx.catalog.RegimeOn(anchor->date) != &ctx.regime) return;
    InstanceContext link_ctx{ctx.person_key, ctx.catalog,  ctx.course, ctx.regime, ctx.rule,
                             *anchor,        anchor->id(), ctx.now,    ""};
    link_ctx.key.trigger = &anchor->id();
    std::optional<ObligationView> ob = EvaluateInstance(link_ctx, std::nullopt);
    const Fact* next = nullptr;
    for (const Fact& fact : ctx.course.facts()) {
      if (fact.occurred <= anchor->occurred) continue;
      for (const EventMatcher& m : ctx.rule.met_by) {
        if (MatchesPayload(m, fact, anchor, "")) next = &fact;
      }
      if (next != nullptr) break;
    }
    if (ob.has_value()) out->push_back(std::move(*ob));
    if (next == nullptr) return;
    anchor = next;
  }
}

// A pålæg has one deadline per step (trin 1 wishes, trin 2 application). A move recorded
// before the breach moves the deadline; a move recorded after it leaves the breach standing
// and opens a new obligation with the new deadline (rules.md §4, paalaeg_deadline_postponed).
void EvaluatePaalaegSteps(InstanceContext ctx, std::vector<ObligationView>* out) {
  const auto& order = ctx.trigger.event->education_order_issued();
  const std::pair<const char*, const google::protobuf::Timestamp*> steps[] = {
      {"WISHES", order.has_wishes_deadline() ? &order.wishes_deadline() : nullptr},
      {"APPLICATION", order.has_application_deadline() ? &order.application_deadline() : nullptr}};
  for (const auto& [step, first_deadline] : steps) {
    if (first_deadline == nullptr) continue;
    // A move belongs to the pålæg in force when it was made: the latest one before it.
    const Fact* next_order = nullptr;
    for (const Fact& fact : ctx.course.facts()) {
      if (fact.payload == "education_order_issued" && fact.occurred > ctx.trigger.occurred) {
        next_order = &fact;
        break;
      }
    }
    std::vector<const Fact*> changes;
    for (const Fact& fact : ctx.course.facts()) {
      if (fact.payload == "education_order_deadline_changed" &&
          fact.occurred >= ctx.trigger.occurred &&
          (next_order == nullptr || fact.occurred < next_order->occurred) &&
          v1::EducationOrderStep_Name(fact.event->education_order_deadline_changed().step()) ==
              step) {
        changes.push_back(&fact);
      }
    }
    std::stable_sort(changes.begin(), changes.end(),
                     [](const Fact* a, const Fact* b) { return a->recorded < b->recorded; });
    ctx.match_key = step;
    ctx.instance = ctx.trigger.id() + ":" + step;
    ctx.key = {&ctx.trigger.id(), step, nullptr, false};
    absl::CivilDay deadline = LocalDate(ToAbslTime(*first_deadline));
    for (const Fact* change : changes) {
      const absl::CivilDay moved_to =
          LocalDate(ToAbslTime(change->event->education_order_deadline_changed().new_deadline()));
      if (change->recorded < BreachMoment(deadline, BreachGrace(ctx))) {
        deadline = moved_to;
        continue;
      }
      if (std::optional<ObligationView> ob = EvaluateInstance(ctx, deadline)) {
        out->push_back(std::move(*ob));
      }
      ctx.instance = ctx.trigger.id() + ":" + step + ":" + change->id();
      ctx.key = {&ctx.trigger.id(), step, &change->id(), false};
      ctx.opened_at = change->recorded;
      deadline = moved_to;
    }
    if (std::optional<ObligationView> ob = EvaluateInstance(ctx, deadline)) {
      out->push_back(std::move(*ob));
    }
  }
}

// A window rule may cap how far its period reaches past the education start (mentor support:
// 6 + 6 months). A grant beyond the cap is a MISSING on its own instance; it stands until the
// grant is voided or corrected.
void EvaluateWindowLimit(const InstanceContext& ctx, const ObligationView& window,
                         std::vector<ObligationView>* out) {
  const auto limit = ctx.rule.params.find("limit_months_after_education_start");
  if (limit == ctx.rule.params.end()) return;
  const Fact* start = ctx.course.EducationStartAt(StartOfDay(window.deadline + 1));
  if (start == nullptr || window.deadline <= AddMonths(start->date, limit->second)) return;
  ObligationView ob = window;
  ob.instance.limit = true;
  ob.obligation_id = IdOf({ctx.person_key, ctx.course.id(), ctx.rule.id, ctx.instance + ":limit"});
  ob.due_at = BreachMoment(ctx.trigger.date, CheckGrace(ctx));
  ob.reminders.clear();
  ob.reports_missing = true;
  ob.status = ctx.now >= ob.due_at ? v1::BREACHED : v1::OPEN;
  ob.cause_event_ids = {&ctx.trigger.id(), &start->id()};
  out->push_back(std::move(ob));
}

void EvaluateRule(const std::string& person_key, const Catalog& catalog, const Course& course,
                  const Regime& regime, const RuleSpec& rule, absl::Time now,
                  std::vector<ObligationView>* out) {
  for (const Fact* trigger : SelectTriggers(course, rule)) {
    if (trigger->occurred > now) continue;
    if (catalog.RegimeOn(trigger->date) != &regime) continue;
    if (rule.effective_from.has_value() && trigger->date < *rule.effective_from) continue;
    if (TriggerAfterCourseEnd(course, rule, *trigger)) continue;
    InstanceContext ctx{person_key, catalog, course, regime, rule, *trigger, trigger->id(), now};
    ctx.key.trigger = &trigger->id();
    if (rule.instances == "paalaeg_steps") {
      EvaluatePaalaegSteps(ctx, out);
    } else if (rule.kind == RuleKind::kRecurring) {
      EvaluateRecurring(ctx, out);
    } else if (std::optional<ObligationView> ob = EvaluateInstance(ctx, std::nullopt)) {
      if (rule.kind == RuleKind::kWindow) EvaluateWindowLimit(ctx, *ob, out);
      out->push_back(std::move(*ob));
    }
  }
}

}  // namespace

namespace {

bool HasOpenBarsel(const Course& course, absl::Time now) {
  const absl::CivilDay today = LocalDate(now);
  for (const DayPeriod& period : course.BarselPeriods()) {
    if (period.from <= today && (!period.to.has_value() || *period.to > today)) return true;
  }
  return false;
}

}  // namespace

std::vector<ObligationView> Evaluate(const std::string& person_key,
                                     const std::vector<const v1::CaseEvent*>& events,
                                     const Catalog& catalog, absl::Time now, RuleSelection* only) {
  std::vector<ObligationView> out;
  const std::vector<Fact> facts = MakeFacts(events);
  // Facts are sorted by occurred: one after `now` makes a selection inexact (RuleSelection).
  if (only != nullptr && !facts.empty() && facts.back().occurred > now) only->CoverAll();
  for (const Course& course : SplitCourses(facts)) {
    if (course.start().occurred > now || !course.InScope()) continue;
    // An open BARSEL absence moves the deadlines of pausable rules with the clock itself.
    if (only != nullptr && HasOpenBarsel(course, now)) only->CoverAll();
    const absl::CivilDay first_day = course.facts().front().date;
    const absl::CivilDay today = LocalDate(now);
    for (const Regime& regime : catalog.regimes) {
      // Only regimes in force on some day of the course can govern one of its triggers.
      if (regime.valid_to.has_value() && *regime.valid_to < first_day) continue;
      if (regime.valid_from > today) continue;
      if (only != nullptr && !only->Covers(regime)) continue;
      for (const RuleSpec& rule : regime.rules) {
        if (only != nullptr && !only->Covers(regime, rule)) continue;
        EvaluateRule(person_key, catalog, course, regime, rule, now, &out);
      }
    }
  }
  return out;
}

}  // namespace fristvagt::rules::reference
