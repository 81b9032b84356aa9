// MeasureObligations (report.h): the kontrolpunkter from obligation records. Every settled
// obligation is in the denominator, so a replay or a running instance is measured without the
// simulator's ground truth; with one, both are counted side by side on the same scopes.

#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_format.h"
#include "cohort/calendar.h"
#include "cohort/report.h"

namespace fristvagt::cohort {

namespace {

std::string Month(absl::CivilDay day) { return absl::StrFormat("%04d-%02d", day.year(), day.month()); }

void CountMeasured(Share* share, bool met) {
  ++share->obligations;
  share->not_met += met ? 0 : 1;
}

void CountTruth(Share* share, bool met) {
  ++share->truth_obligations;
  share->truth_met += met ? 1 : 0;
}

}  // namespace

ComplianceReport MeasureObligations(ObligationSet set, const std::vector<TruthRow>* truth) {
  ComplianceReport report;
  report.source = set.source.empty() ? "obligation records" : set.source;
  report.has_truth = truth != nullptr;
  report.as_of = set.as_of;
  report.persons = set.persons;
  std::map<std::string, RuleResult> by_rule;
  std::set<std::string> municipalities;
  // (person, rule, deadline) -> measured not-met minus truth not-met, and the same for counts.
  std::map<std::tuple<std::string, std::string, std::string>, int> balance;
  // An obligation met before its deadline counts once the deadline has passed, like one that
  // was not met: otherwise a month still running would show only the early ones.
  const absl::CivilDay today =
      set.as_of == absl::InfinitePast() ? absl::CivilDay(9999, 12, 31) : DayOf(set.as_of);
  for (const ObligationFact& ob : set.obligations) {
    if (!IsSettled(ob.status) || !(ob.deadline < today)) continue;
    const bool met = IsMetInTime(ob.status);
    RuleResult& r = by_rule[ob.rule_id];
    r.rule_id = ob.rule_id;
    CountMeasured(&r.all, met);
    if (ob.group.has_value()) CountMeasured(&r.by_group[GroupIndex(*ob.group)], met);
    CountMeasured(&r.by_municipality[ob.municipality_code], met);
    CountMeasured(&r.by_caseworker[ob.caseworker_id.empty() ? "(ingen)" : ob.caseworker_id], met);
    CountMeasured(&r.by_month[Month(ob.deadline)], met);
    municipalities.insert(ob.municipality_code);
    if (truth != nullptr) {
      balance[{ob.person_key, ob.rule_id, absl::FormatCivilTime(ob.deadline)}] += met ? 1 : 1000;
    }
  }
  if (truth != nullptr) {
    for (const TruthRow& row : *truth) {
      RuleResult& r = by_rule[row.rule_id];
      r.rule_id = row.rule_id;
      CountTruth(&r.all, row.met_in_time);
      CountTruth(&r.by_group[GroupIndex(row.group)], row.met_in_time);
      CountTruth(&r.by_municipality[row.municipality_code], row.met_in_time);
      CountTruth(&r.by_month[Month(row.deadline)], row.met_in_time);
      municipalities.insert(row.municipality_code);
      balance[{row.person_key, row.rule_id, absl::FormatCivilTime(row.deadline)}] -=
          row.met_in_time ? 1 : 1000;
    }
    // Only the rules the truth models can disagree with it.
    std::set<std::string> modelled;
    for (const TruthRow& row : *truth) modelled.insert(row.rule_id);
    for (const auto& [key, diff] : balance) {
      if (diff != 0 && modelled.count(std::get<1>(key))) ++report.disagreements;
    }
  }
  for (const Kontrolpunkt& k : Kontrolpunkter()) {
    auto it = by_rule.find(std::string(k.rule_id));
    if (it == by_rule.end()) continue;
    it->second.kontrolpunkt = &k;
    report.rules.push_back(std::move(it->second));
    by_rule.erase(it);
  }
  for (auto& [id, r] : by_rule) report.rules.push_back(std::move(r));
  report.municipalities.assign(municipalities.begin(), municipalities.end());
  report.obligations = std::move(set.obligations);
  return report;
}

}  // namespace fristvagt::cohort
