#include "rules/conditions.h"

#include <map>

#include "rules/day_number.h"

namespace fristvagt::rules {

namespace {

using K = v1::CaseEvent::PayloadCase;

// "A pålæg issued at or before the trigger", "issued on or before the deadline" and "a test
// taken at or before the trigger" are regime data now (a rule's `exists`, a `require_if` fact;
// rules/README.md), not predicates.

// Jobrettet indsats exists from the date in the parameter job_directed_effort_from
// (YYYYMMDD); one registered before that date exempts nothing.
bool NotInJobDirectedEffort(const PredicateContext& ctx) {
  const int from = ctx.rule.params.job_directed_effort_from;
  if (from == 0) return true;
  const DayNumber start = ToDayNumber(absl::CivilDay(from / 10000, from / 100 % 100, from % 100));
  if (ctx.trigger.day < start) return true;
  bool active = false;
  for (const CFact* f = ctx.course.begin; f != ctx.course.end; ++f) {
    if (f->occurred > ctx.trigger.occurred) break;
    if (f->day < start) continue;
    if (f->kind == K::kJobDirectedEffortStarted) active = true;
    if (f->kind == K::kJobDirectedEffortEnded) active = false;
  }
  return !active;
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// LAB: the test is for those without youth education and without a recent valid test
// (valid_test_max_age_months).
bool TestTargetGroup(const PredicateContext& ctx) {
  const v1::FirstContact& contact = ctx.course.start->event->first_contact();
  if (contact.has_youth_education()) return false;
  if (!contact.has_last_valid_test_at()) return true;
  const DayNumber tested = LocalDayNumber(TimeOf(contact.last_valid_test_at()));
  return tested < AddMonthsTo(ctx.course.start->day, -ctx.rule.params.valid_test_max_age_months);
}

bool OnFirstMeetingDate(const PredicateContext& ctx) {
  for (const CFact* f = ctx.course.FirstOf(K::kMeetingHeld); f != nullptr; f = f->next_of_kind) {
    if (f->day >= ctx.course.start->day) {
      return f->day == ctx.trigger.day;
    }
  }
  return false;
}

// The trigger lies within months_after_start of the education start in force.
bool WithinMonthsOfEducationStart(const PredicateContext& ctx) {
  const CFact* start = ctx.course.EducationStartAt(ctx.trigger.occurred);
  if (start == nullptr) return false;
  return ctx.trigger.day <= AddMonthsTo(start->day, ctx.rule.params.months_after_start);
}

// At an offer_ended: is any other offer still running? (The last registration of each
// offer id at or before the trigger decides.)
bool NoOtherOfferRunning(const PredicateContext& ctx) {
  const CFact* last = ctx.course.begin;
  while (last != ctx.course.end && last->occurred <= ctx.trigger.occurred) ++last;
  for (const CFact* f = ctx.course.FirstOf(K::kOfferStarted); f != nullptr && f < last;
       f = f->next_of_kind) {
    const std::string& id = f->event->offer_started().offer_id();
    // The offer runs unless its latest registration before `last` is an offer_ended.
    const CFact* latest_start = f;
    for (const CFact* g = f->next_of_kind; g != nullptr && g < last; g = g->next_of_kind) {
      if (g->event->offer_started().offer_id() == id) latest_start = g;
    }
    const CFact* latest_end = nullptr;
    for (const CFact* g = ctx.course.FirstOf(K::kOfferEnded); g != nullptr && g < last;
         g = g->next_of_kind) {
      if (g > f && g->event->offer_ended().offer_id() == id) latest_end = g;
    }
    if (latest_end == nullptr || latest_end < latest_start) return false;
  }
  return true;
}

// The trigger is the n-th unexplained move of the same step, n > max_unexplained_postponements.
bool UnexplainedPostponementsOverLimit(const PredicateContext& ctx) {
  const auto step = ctx.trigger.event->education_order_deadline_changed().step();
  int count = 0;
  for (const CFact* f = ctx.course.begin; f != ctx.course.end; ++f) {
    if (f->kind != K::kEducationOrderDeadlineChanged) continue;
    const auto& change = f->event->education_order_deadline_changed();
    if (change.step() == step && !change.reason_documented()) ++count;
    if (f->event == ctx.trigger.event) break;
  }
  return count > ctx.rule.params.max_unexplained_postponements;
}

// A pålæg issued before the trigger and not yet ended by an education start.
bool PaalaegActive(const PredicateContext& ctx) {
  bool active = false;
  for (const CFact* f = ctx.course.begin; f != ctx.course.end; ++f) {
    if (f->occurred >= ctx.trigger.occurred) break;
    if (f->kind == K::kEducationOrderIssued) active = true;
    if (f->kind == K::kEducationStarted) active = false;
  }
  return active;
}

bool HasActiveMentor(const PredicateContext& ctx) {
  bool active = false;
  for (const CFact* f = ctx.course.begin; f != ctx.course.end; ++f) {
    if (f->occurred > ctx.now) break;
    if (f->kind == K::kMentorGranted) active = true;
    if (f->kind == K::kMentorEnded) active = false;
  }
  return active;
}

bool InScope(const PredicateContext& ctx) { return ctx.course.InScope(); }

struct Predicate {
  PredicateFn fn;
  std::vector<std::string_view> params;  // what fn reads of ResolvedParams
  std::string_view doc;                  // for docs/rules.md
};

const std::map<std::string, Predicate, std::less<>>& Predicates() {
  static const auto* predicates = new std::map<std::string, Predicate, std::less<>>{
      {"in_scope", {InScope, {}, "under 30 and without vocational education (LAB § 6 nr. 4-5)"}},
      {"paalaeg_active",
       {PaalaegActive, {}, "a pålæg issued before the trigger, not ended by an education start"}},
      {"not_in_job_directed_effort",
       {NotInJobDirectedEffort,
        {"job_directed_effort_from"},
        "no jobrettet indsats running at the trigger (counted from the date YYYYMMDD)"}},
      {"test_target_group",
       {TestTargetGroup,
        {"valid_test_max_age_months"},
        "no youth education and no valid test younger than the parameter at the first contact"}},
      {"on_first_meeting_date",
       {OnFirstMeetingDate, {}, "the trigger is dated on the course's first meeting's date"}},
      {"within_months_of_education_start",
       {WithinMonthsOfEducationStart,
        {"months_after_start"},
        "the trigger lies within the parameter's months of the education start in force"}},
      {"no_other_offer_running",
       {NoOtherOfferRunning, {}, "no other offer (by offer_id) is running at the trigger"}},
      {"unexplained_postponements_over_limit",
       {UnexplainedPostponementsOverLimit,
        {"max_unexplained_postponements"},
        "the trigger is an unexplained move of a step beyond the allowed number"}},
      {"has_active_mentor",
       {HasActiveMentor, {}, "a mentor granted and not ended at the evaluation moment"}},
  };
  return *predicates;
}

}  // namespace

const std::set<std::string>& ConditionNames() {
  static const auto* names = [] {
    auto* set = new std::set<std::string>;
    for (const auto& [name, predicate] : Predicates()) set->insert(name);
    return set;
  }();
  return *names;
}

PredicateFn FindPredicate(std::string_view name) {
  auto it = Predicates().find(name);
  return it == Predicates().end() ? nullptr : it->second.fn;
}

std::vector<PredicateDoc> PredicateDocs() {
  std::vector<PredicateDoc> out;
  for (const auto& [name, p] : Predicates()) out.push_back({name, p.doc, p.params});
  return out;
}

const std::vector<std::string_view>& ParamsReadBy(std::string_view predicate) {
  static const std::vector<std::string_view> kNone;
  auto it = Predicates().find(predicate);
  return it == Predicates().end() ? kNone : it->second.params;
}

std::vector<std::string_view> ParamsReadByKind(RuleKind kind) {
  // evaluator.cc, EvaluateWindowLimit: mentor support capped after the education start.
  if (kind == RuleKind::kWindow) return {"limit_months_after_education_start"};
  return {};
}

const std::set<std::string_view>& AllParamNames() {
  static const auto* names = [] {
    auto* set = new std::set<std::string_view>;
    for (const auto& [name, predicate] : Predicates()) {
      set->insert(predicate.params.begin(), predicate.params.end());
    }
    for (RuleKind kind : {RuleKind::kDeadline, RuleKind::kCount, RuleKind::kRecurring,
                          RuleKind::kCheck, RuleKind::kWindow}) {
      for (std::string_view p : ParamsReadByKind(kind)) set->insert(p);
    }
    return set;
  }();
  return *names;
}

ResolvedParams ResolveParams(const Regime& regime, const RuleSpec& rule) {
  auto param = [&](const std::string& name) -> std::optional<int> {
    if (auto it = rule.params.find(name); it != rule.params.end()) return it->second;
    if (auto it = regime.params.find(name); it != regime.params.end()) return it->second;
    return std::nullopt;
  };
  ResolvedParams p;
  p.job_directed_effort_from = param("job_directed_effort_from").value_or(0);
  p.valid_test_max_age_months = param("valid_test_max_age_months").value_or(24);
  p.months_after_start = param("months_after_start").value_or(6);
  p.max_unexplained_postponements = param("max_unexplained_postponements").value_or(1);
  // Read from the rule only, as before: a regime-wide cap would apply to every window.
  if (auto it = rule.params.find("limit_months_after_education_start"); it != rule.params.end()) {
    p.limit_months_after_education_start = it->second;
  }
  return p;
}

}  // namespace fristvagt::rules
