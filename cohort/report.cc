#include "cohort/report.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cohort/calendar.h"
#include "cohort/municipalities.h"
#include "google/protobuf/util/json_util.h"
#include "proto/alert.pb.h"

namespace fristvagt::cohort {

namespace {

// Display width of UTF-8 text (one column per code point: the labels hold æ, ø, å, ≈, —).
size_t Width(const std::string& s) {
  size_t width = 0;
  for (unsigned char c : s) width += (c & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

std::string PadRight(const std::string& s, size_t width) {
  const size_t w = Width(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string PadLeft(const std::string& s, size_t width) {
  const size_t w = Width(s);
  return w >= width ? s : std::string(width - w, ' ') + s;
}

std::string Pct(const Share& share) {
  return share.obligations == 0 ? "–" : absl::StrFormat("%.1f", share.MeasuredPct());
}

std::string TruthPct(const Share& share) {
  return share.truth_obligations == 0 ? "–" : absl::StrFormat("%.1f", share.TruthPct());
}

void Count(Share* share, bool truth_met) {
  ++share->obligations;
  ++share->truth_obligations;
  share->truth_met += truth_met ? 1 : 0;
}

Light LightOf(const ObligationAlerts& ob, absl::CivilDay today) {
  if (ob.breach_outstanding) return Light::kRed;
  absl::CivilDay deadline;
  if (ob.reminder_pending && absl::ParseCivilTime(ob.deadline, &deadline) && deadline >= today) {
    return Light::kYellow;
  }
  return Light::kGreen;
}

std::vector<CaseworkerSheet> BuildSheets(const AlertLog& alerts,
                                         const std::vector<RuleResult>& rules,
                                         const std::map<std::string, std::string>& municipality) {
  std::map<std::string, size_t> rule_index;
  for (size_t i = 0; i < rules.size(); ++i) rule_index[rules[i].rule_id] = i;
  const absl::CivilDay today = DayOf(alerts.as_of);
  std::map<std::string, CaseLights> cases;
  for (const auto& [id, ob] : alerts.obligations) {
    auto last = alerts.last_alert.find(ob.person_key);
    if (last == alerts.last_alert.end() || last->second < alerts.as_of - kOpenCaseWindow) continue;
    CaseLights& c = cases[ob.person_key];
    if (c.person_key.empty()) {
      c.person_key = ob.person_key;
      auto it = municipality.find(ob.person_key);
      c.municipality_code = it != municipality.end() ? it->second : ob.municipality_code;
      c.lights.assign(rules.size(), Light::kGreen);
    }
    auto r = rule_index.find(ob.rule_id);
    if (r == rule_index.end()) continue;
    c.lights[r->second] = std::max(c.lights[r->second], LightOf(ob, today));
    c.worst = std::max(c.worst, c.lights[r->second]);
  }
  std::map<std::string, CaseworkerSheet> sheets;
  for (auto& [person, c] : cases) {
    auto cw = alerts.caseworker.find(person);
    const std::string id =
        cw != alerts.caseworker.end() && !cw->second.empty() ? cw->second : "(ingen)";
    sheets[id].caseworker_id = id;
    sheets[id].cases.push_back(std::move(c));
  }
  std::vector<CaseworkerSheet> out;
  for (auto& [id, sheet] : sheets) {
    std::stable_sort(sheet.cases.begin(), sheet.cases.end(),
                     [](const CaseLights& a, const CaseLights& b) { return a.worst > b.worst; });
    out.push_back(std::move(sheet));
  }
  return out;
}

}  // namespace

double Share::MeasuredPct() const {
  return obligations == 0 ? 0
                          : 100.0 * (obligations - std::min(not_met, obligations)) / obligations;
}

double Share::TruthPct() const {
  return truth_obligations == 0 ? 0 : 100.0 * truth_met / truth_obligations;
}

absl::StatusOr<AlertLog> ReadAlerts(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read --alerts " + path);
  AlertLog log;
  std::string line;
  size_t number = 0;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    v1::Alert alert;
    if (!google::protobuf::util::JsonStringToMessage(line, &alert, options).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": not an alert"));
    }
    ++log.alerts;
    absl::Time raised = absl::InfinitePast();
    std::string error;
    if (absl::ParseTime(absl::RFC3339_full, alert.raised_at(), &raised, &error)) {
      log.as_of = std::max(log.as_of, raised);
    }
    log.caseworker[alert.person_key()] = alert.caseworker_id();
    if (auto [it, added] = log.last_alert.emplace(alert.person_key(), raised); !added) {
      it->second = std::max(it->second, raised);
    }
    ObligationAlerts& ob = log.obligations[alert.obligation_id()];
    ob.rule_id = alert.rule_id();
    ob.person_key = alert.person_key();
    ob.municipality_code = alert.municipality_code();
    ob.deadline = alert.deadline();
    switch (alert.kind()) {
      case v1::REMINDER:
        ob.reminder_pending = true;
        break;
      case v1::BREACH:
      case v1::MISSING:
        ob.not_met_in_time = ob.breach_outstanding = true;
        ob.reminder_pending = false;
        break;
      case v1::RESOLVED:
        ob.breach_outstanding = ob.reminder_pending = false;
        break;
      case v1::RETRACTED:
        ob.not_met_in_time = ob.breach_outstanding = ob.reminder_pending = false;
        break;
      default:
        break;
    }
  }
  if (in.bad()) return absl::UnavailableError("error reading " + path);
  return log;
}

ComplianceReport Measure(const AlertLog& alerts, const std::vector<TruthRow>& truth) {
  ComplianceReport report;
  report.alerts = alerts.alerts;
  report.as_of = alerts.as_of;
  std::map<std::string, std::pair<std::string, v1::VisitationGroup>> persons;
  std::map<std::string, RuleResult> by_rule;
  std::set<std::string> municipalities;
  // Truth and alerts meet on (person, rule, deadline): the count of not-met obligations.
  std::map<std::tuple<std::string, std::string, std::string>, int> balance;
  for (const TruthRow& row : truth) {
    persons[row.person_key] = {row.municipality_code, row.group};
    municipalities.insert(row.municipality_code);
    RuleResult& r = by_rule[row.rule_id];
    r.rule_id = row.rule_id;
    Count(&r.all, row.met_in_time);
    Count(&r.by_group[GroupIndex(row.group)], row.met_in_time);
    Count(&r.by_municipality[row.municipality_code], row.met_in_time);
    if (!row.met_in_time) {
      ++balance[{row.person_key, row.rule_id, absl::FormatCivilTime(row.deadline)}];
    }
  }
  for (const auto& [id, ob] : alerts.obligations) {
    if (!ob.not_met_in_time) continue;
    auto rule = by_rule.find(ob.rule_id);
    auto person = persons.find(ob.person_key);
    if (rule == by_rule.end()) {
      ++report.alert_only[ob.rule_id];
      continue;
    }
    if (person == persons.end()) {
      ++report.unmatched;
      continue;
    }
    ++rule->second.all.not_met;
    ++rule->second.by_group[GroupIndex(person->second.second)].not_met;
    ++rule->second.by_municipality[person->second.first].not_met;
    --balance[{ob.person_key, ob.rule_id, ob.deadline}];
  }
  for (const auto& [key, count] : balance) report.disagreements += std::abs(count);
  for (const Kontrolpunkt& k : Kontrolpunkter()) {
    auto it = by_rule.find(std::string(k.rule_id));
    if (it == by_rule.end()) continue;
    it->second.kontrolpunkt = &k;
    report.rules.push_back(std::move(it->second));
    by_rule.erase(it);
  }
  for (auto& [id, r] : by_rule) report.rules.push_back(std::move(r));
  report.municipalities.assign(municipalities.begin(), municipalities.end());
  report.persons = persons.size();
  std::map<std::string, std::string> municipality_of;
  for (const auto& [key, info] : persons) municipality_of[key] = info.first;
  report.sheets = BuildSheets(alerts, report.rules, municipality_of);
  return report;
}

std::string RenderTables(const ComplianceReport& report) {
  std::string out = absl::StrFormat(
      "Kontrolpunkter: share of obligations met in time, %d persons, %s (as of %s)\n"
      "measured = fristvagt, from the %s; truth = the simulator's ground truth%s; "
      "groups by final visitation\n\n",
      report.persons,
      report.source == "alerts" ? absl::StrCat(report.alerts, " alerts")
                                : absl::StrCat(report.obligations.size(), " obligations"),
      report.as_of == absl::InfinitePast() ? "-" : absl::FormatCivilTime(DayOf(report.as_of)),
      report.source, report.has_truth ? "" : " (none given: –)");
  size_t label_width = 12;
  size_t rule_width = 4;
  for (const RuleResult& r : report.rules) {
    if (r.kontrolpunkt)
      label_width = std::max(label_width, Width(std::string(r.kontrolpunkt->label)));
    rule_width = std::max(rule_width, r.rule_id.size());
  }
  absl::StrAppend(&out, PadLeft("#", 3), "  ", PadRight("kontrolpunkt", label_width), "  ",
                  PadRight("rule", rule_width), "  ", PadLeft("n", 6), PadLeft("measured", 10),
                  PadLeft("truth", 7), PadLeft("ÅUP", 7), PadLeft("UP", 7), PadLeft("AP", 7),
                  "  fokusrevision\n");
  for (size_t i = 0; i < report.rules.size(); ++i) {
    const RuleResult& r = report.rules[i];
    const std::string label = r.kontrolpunkt ? std::string(r.kontrolpunkt->label) : "";
    const std::string figure = r.kontrolpunkt ? std::string(r.kontrolpunkt->figure) : "";
    absl::StrAppend(&out, PadLeft(absl::StrCat(i + 1), 3), "  ", PadRight(label, label_width), "  ",
                    PadRight(r.rule_id, rule_width), "  ",
                    PadLeft(absl::StrCat(r.all.obligations), 6), PadLeft(Pct(r.all), 10),
                    PadLeft(TruthPct(r.all), 7));
    for (const Share& g : r.by_group) absl::StrAppend(&out, PadLeft(Pct(g), 7));
    absl::StrAppend(&out, "  ", figure, "\n");
  }
  absl::StrAppend(&out, "\nMeasured % per municipality (columns: # above)\n",
                  PadRight("municipality", 22));
  for (size_t i = 0; i < report.rules.size(); ++i) {
    absl::StrAppend(&out, PadLeft(absl::StrCat(i + 1), 5));
  }
  out += "\n";
  for (const std::string& code : report.municipalities) {
    absl::StrAppend(&out,
                    PadRight(absl::StrCat(code, " ", std::string(MunicipalityName(code))), 22));
    for (const RuleResult& r : report.rules) {
      auto it = r.by_municipality.find(code);
      const std::string cell = it == r.by_municipality.end() || it->second.obligations == 0
                                   ? "–"
                                   : absl::StrFormat("%.0f", it->second.MeasuredPct());
      absl::StrAppend(&out, PadLeft(cell, 5));
    }
    out += "\n";
  }
  if (report.has_truth) {
    absl::StrAppend(&out, "\nobligations where fristvagt and the truth disagree: ",
                    report.disagreements, "\n");
  }
  if (report.unmatched > 0) {
    absl::StrAppend(
        &out, "not-met obligations of persons absent from the truth: ", report.unmatched, "\n");
  }
  for (const auto& [rule, count] : report.alert_only) {
    absl::StrAppend(&out, "not in the truth (no denominator): ", rule, ": ", count,
                    " obligations not met\n");
  }
  return out;
}

std::string RenderCsv(const ComplianceReport& report) {
  std::string out =
      "scope,key,rule_id,obligations,not_met,measured_pct,truth_pct,truth_obligations\n";
  auto row = [&](std::string_view scope, std::string_view key, const std::string& rule,
                 const Share& s) {
    if (s.obligations == 0 && s.truth_obligations == 0) return;
    const std::string truth =
        s.truth_obligations == 0 ? "" : absl::StrFormat("%.2f", s.TruthPct());
    absl::StrAppendFormat(&out, "%s,%s,%s,%d,%d,%.2f,%s,%d\n", scope, key, rule, s.obligations,
                          s.not_met, s.MeasuredPct(), truth, s.truth_obligations);
  };
  for (const RuleResult& r : report.rules) {
    row("all", "", r.rule_id, r.all);
    for (int g = 0; g < 3; ++g) {
      row("group", v1::VisitationGroup_Name(GroupAtIndex(g)), r.rule_id, r.by_group[g]);
    }
    for (const auto& [code, share] : r.by_municipality) row("municipality", code, r.rule_id, share);
    for (const auto& [id, share] : r.by_caseworker) row("caseworker", id, r.rule_id, share);
    for (const auto& [month, share] : r.by_month) row("month", month, r.rule_id, share);
  }
  return out;
}

}  // namespace fristvagt::cohort
