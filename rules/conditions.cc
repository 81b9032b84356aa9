#include "rules/conditions.h"

#include <functional>
#include <map>

#include "rules/civil_time.h"
#include "rules/matcher.h"

namespace fristvagt::rules {

namespace {

using Predicate = std::function<bool(const ConditionContext&)>;

// A pålæg issued at or before the trigger (an admission "of a person with a pålæg").
bool HasPaalaeg(const ConditionContext& ctx) {
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.occurred > ctx.trigger.occurred) break;
    if (fact.payload == "education_order_issued") return true;
  }
  return false;
}

// A pålæg issued on or before the deadline: one given after it cannot make the requirement
// due in the past.
bool PaalaegByDeadline(const ConditionContext& ctx) {
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.payload == "education_order_issued" && fact.date <= ctx.deadline) return true;
  }
  return false;
}

// Jobrettet indsats exists from the date in the regime parameter job_directed_effort_from
// (YYYYMMDD); one registered before that date exempts nothing.
bool NotInJobDirectedEffort(const ConditionContext& ctx) {
  const int from = Param(ctx, "job_directed_effort_from", 0);
  if (from == 0) return true;
  const absl::CivilDay start(from / 10000, from / 100 % 100, from % 100);
  if (ctx.trigger.date < start) return true;
  bool active = false;
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.occurred > ctx.trigger.occurred) break;
    if (fact.date < start) continue;
    if (fact.payload == "job_directed_effort_started") active = true;
    if (fact.payload == "job_directed_effort_ended") active = false;
  }
  return !active;
}

// LAB: the test is for those without youth education and without a recent valid test.
bool TestTargetGroup(const ConditionContext& ctx) {
  const v1::FirstContact& contact = ctx.course.first_contact();
  if (contact.has_youth_education()) return false;
  if (!contact.has_last_valid_test_at()) return true;
  const int max_age = Param(ctx, "valid_test_max_age_months", 24);
  const absl::CivilDay tested = LocalDate(ToAbslTime(contact.last_valid_test_at()));
  return tested < AddMonths(ctx.course.start().date, -max_age);
}

bool OnFirstMeetingDate(const ConditionContext& ctx) {
  const Fact* meeting = ctx.course.FirstMeeting();
  return meeting != nullptr && meeting->date == ctx.trigger.date;
}

bool WithinMonthsOfEducationStart(const ConditionContext& ctx) {
  const Fact* start = ctx.course.EducationStartAt(ctx.trigger.occurred);
  if (start == nullptr) return false;
  return ctx.trigger.date <= AddMonths(start->date, Param(ctx, "months_after_start", 6));
}

// At an offer_ended: is any other offer still running?
bool NoOtherOfferRunning(const ConditionContext& ctx) {
  std::map<std::string, bool> running;
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.occurred > ctx.trigger.occurred) break;
    if (fact.payload == "offer_started") running[fact.event->offer_started().offer_id()] = true;
    if (fact.payload == "offer_ended") running[fact.event->offer_ended().offer_id()] = false;
  }
  for (const auto& [id, is_running] : running) {
    if (is_running) return false;
  }
  return true;
}

// The trigger is the n-th unexplained move of the same step, n > the allowed number.
bool UnexplainedPostponementsOverLimit(const ConditionContext& ctx) {
  const auto step = ctx.trigger.event->education_order_deadline_changed().step();
  int count = 0;
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.payload != "education_order_deadline_changed") continue;
    const auto& change = fact.event->education_order_deadline_changed();
    if (change.step() == step && !change.reason_documented()) ++count;
    if (fact.event == ctx.trigger.event) break;
  }
  return count > Param(ctx, "max_unexplained_postponements", 1);
}

// A pålæg issued before the trigger and not yet ended by an education start.
bool PaalaegActive(const ConditionContext& ctx) {
  bool active = false;
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.occurred >= ctx.trigger.occurred) break;
    if (fact.payload == "education_order_issued") active = true;
    if (fact.payload == "education_started") active = false;
  }
  return active;
}

// A test taken at or before the trigger (a later test cannot make earlier information
// incomplete).
bool TestTaken(const ConditionContext& ctx) {
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.occurred > ctx.trigger.occurred) break;
    if (fact.payload == "test_completed") return true;
  }
  return false;
}

bool HasActiveMentor(const ConditionContext& ctx) {
  bool active = false;
  for (const Fact& fact : ctx.course.facts()) {
    if (fact.occurred > ctx.now) break;
    if (fact.payload == "mentor_granted") active = true;
    if (fact.payload == "mentor_ended") active = false;
  }
  return active;
}

const std::map<std::string, Predicate, std::less<>>& Predicates() {
  static const auto* predicates = new std::map<std::string, Predicate, std::less<>>{
      {"in_scope", [](const ConditionContext& ctx) { return ctx.course.InScope(); }},
      {"has_paalaeg", HasPaalaeg},
      {"paalaeg_by_deadline", PaalaegByDeadline},
      {"paalaeg_active", PaalaegActive},
      {"not_in_job_directed_effort", NotInJobDirectedEffort},
      {"test_target_group", TestTargetGroup},
      {"on_first_meeting_date", OnFirstMeetingDate},
      {"within_months_of_education_start", WithinMonthsOfEducationStart},
      {"no_other_offer_running", NoOtherOfferRunning},
      {"unexplained_postponements_over_limit", UnexplainedPostponementsOverLimit},
      {"test_taken", TestTaken},
      {"has_active_mentor", HasActiveMentor},
  };
  return *predicates;
}

// Kept next to the predicates: each entry names what its function above calls Param() with.
const std::map<std::string_view, std::vector<std::string_view>>& ParamTable() {
  static const auto* table = new std::map<std::string_view, std::vector<std::string_view>>{
      {"not_in_job_directed_effort", {"job_directed_effort_from"}},
      {"test_target_group", {"valid_test_max_age_months"}},
      {"within_months_of_education_start", {"months_after_start"}},
      {"unexplained_postponements_over_limit", {"max_unexplained_postponements"}},
  };
  return *table;
}

}  // namespace

const std::vector<std::string_view>& ParamsReadBy(std::string_view predicate) {
  static const std::vector<std::string_view> kNone;
  auto it = ParamTable().find(predicate);
  return it == ParamTable().end() ? kNone : it->second;
}

std::vector<std::string_view> ParamsReadByKind(RuleKind kind) {
  // evaluator.cc, EvaluateWindowLimit: mentor support capped after the education start.
  if (kind == RuleKind::kWindow) return {"limit_months_after_education_start"};
  return {};
}

const std::set<std::string_view>& AllParamNames() {
  static const auto* names = [] {
    auto* set = new std::set<std::string_view>;
    for (const auto& [name, params] : ParamTable()) set->insert(params.begin(), params.end());
    for (RuleKind kind : {RuleKind::kDeadline, RuleKind::kCount, RuleKind::kRecurring,
                          RuleKind::kCheck, RuleKind::kWindow}) {
      for (std::string_view p : ParamsReadByKind(kind)) set->insert(p);
    }
    return set;
  }();
  return *names;
}

const std::set<std::string>& ConditionNames() {
  static const auto* names = [] {
    auto* set = new std::set<std::string>;
    for (const auto& [name, predicate] : Predicates()) set->insert(name);
    return set;
  }();
  return *names;
}

int Param(const ConditionContext& ctx, const std::string& name, int fallback) {
  if (auto it = ctx.rule.params.find(name); it != ctx.rule.params.end()) return it->second;
  if (auto it = ctx.regime.params.find(name); it != ctx.regime.params.end()) return it->second;
  return fallback;
}

bool NamedConditionHolds(std::string_view name, const ConditionContext& ctx) {
  const auto& predicates = Predicates();
  auto it = predicates.find(name);
  return it != predicates.end() && it->second(ctx);
}

}  // namespace fristvagt::rules
