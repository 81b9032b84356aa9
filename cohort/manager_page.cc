// RenderManagerPage (manager_page.h): the team leader's page. The top answers "what needs
// attention now"; below, each team (municipality) lists its caseworkers by urgency with a
// drill-down to the obligations. Only recent breaches (kRecentDays) count as overdue: a
// closed case's old breach is history for the quarterly figures, not a task, and counting it
// turned the former sheet into a wall of red. Figures carry data-* attributes, so tests can
// compare the rendered DOM with the report.

#include "cohort/manager_page.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cohort/calendar.h"
#include "cohort/municipalities.h"
#include "cohort/page_style.h"

namespace fristvagt::cohort {

namespace {

constexpr int kRecentDays = 60;  // a breach this recent is overdue work; older is history
constexpr int kSoonDays = 7;     // "due this week"
constexpr int kTrendMonths = 6;
constexpr size_t kMinForFlag = 10;  // fewer obligations say nothing about a municipality

std::string Label(const RuleResult& r) {
  return r.kontrolpunkt ? std::string(r.kontrolpunkt->label) : r.rule_id;
}

std::string LabelOf(const ComplianceReport& report, const std::string& rule_id) {
  for (const RuleResult& r : report.rules) {
    if (r.rule_id == rule_id) return Label(r);
  }
  return rule_id;
}

std::string Pct(double pct) { return absl::StrFormat("%.0f %%", pct); }

enum class Urgency { kOverdue, kDueSoon, kDoneLate, kNone };

Urgency UrgencyOf(const ObligationFact& ob, absl::CivilDay today) {
  const bool recent = ob.deadline >= today - kRecentDays;
  if (ob.status == v1::BREACHED && recent) return Urgency::kOverdue;
  if (ob.status == v1::OPEN && ob.deadline >= today && ob.deadline < today + kSoonDays) {
    return Urgency::kDueSoon;
  }
  if (ob.status == v1::MET_LATE && recent) return Urgency::kDoneLate;
  return Urgency::kNone;
}

const char* UrgencyName(Urgency u) {
  switch (u) {
    case Urgency::kOverdue:
      return "overskredet";
    case Urgency::kDueSoon:
      return "forfalder snart";
    case Urgency::kDoneLate:
      return "opfyldt for sent";
    default:
      return "";
  }
}

const char* UrgencyClass(Urgency u) {
  return u == Urgency::kOverdue ? "r" : u == Urgency::kDueSoon ? "y" : "o";
}

std::string Causes(const ObligationFact& ob) {
  std::string out;
  for (const EventRef& e : ob.causes) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", Escape(e.kind.empty() ? "?" : e.kind), " ",
                    e.kind.empty() ? "" : absl::FormatCivilTime(e.day), " (",
                    Escape(e.event_id), ")");
  }
  return out.empty() ? "–" : out;
}

// The kontrolpunkter below the fokusrevision, furthest first.
std::string BelowReference(const ComplianceReport& report) {
  std::vector<const RuleResult*> below;
  for (const RuleResult& r : report.rules) {
    if (r.kontrolpunkt && r.kontrolpunkt->reference_pct && r.all.obligations > 0 &&
        r.all.MeasuredPct() < *r.kontrolpunkt->reference_pct) {
      below.push_back(&r);
    }
  }
  std::sort(below.begin(), below.end(), [](const RuleResult* a, const RuleResult* b) {
    return a->all.MeasuredPct() - *a->kontrolpunkt->reference_pct <
           b->all.MeasuredPct() - *b->kontrolpunkt->reference_pct;
  });
  std::string html =
      "<h3>Længst under fokusrevisionen</h3><table class=\"t\" id=\"below-reference\"><tr>"
      "<th>kontrolpunkt</th><th>forpligtelser</th><th>rettidigt</th><th>fokusrevision</th>"
      "<th>forskel</th></tr>";
  for (const RuleResult* r : below) {
    const double ref = *r->kontrolpunkt->reference_pct;
    absl::StrAppendFormat(&html,
                          "<tr data-rule=\"%s\" data-pct=\"%.1f\" data-reference=\"%.0f\">"
                          "<td>%s</td><td class=\"n\">%d</td><td class=\"n\">%s</td>"
                          "<td class=\"n\">%s</td><td class=\"n neg\">%+.0f point</td></tr>",
                          Escape(r->rule_id), r->all.MeasuredPct(), ref, Escape(Label(*r)),
                          r->all.obligations, Pct(r->all.MeasuredPct()), Pct(ref),
                          r->all.MeasuredPct() - ref);
  }
  if (below.empty()) html += "<tr><td colspan=\"5\">Ingen kontrolpunkter under fokusrevisionen.</td></tr>";
  return html + "</table>\n";
}

// Per municipality: kontrolpunkter below both the fokusrevision and the municipality's own
// average over its kontrolpunkter, furthest below the fokusrevision first.
std::string BelowOwnAverage(const ComplianceReport& report) {
  struct Flag {
    std::string code;
    const RuleResult* rule;
    double pct, own, ref;
  };
  std::vector<Flag> flags;
  for (const std::string& code : report.municipalities) {
    double sum = 0;
    int n = 0;
    for (const RuleResult& r : report.rules) {
      auto it = r.by_municipality.find(code);
      if (r.kontrolpunkt && it != r.by_municipality.end() && it->second.obligations > 0) {
        sum += it->second.MeasuredPct();
        ++n;
      }
    }
    if (n == 0) continue;
    const double own = sum / n;
    for (const RuleResult& r : report.rules) {
      auto it = r.by_municipality.find(code);
      if (!r.kontrolpunkt || !r.kontrolpunkt->reference_pct || it == r.by_municipality.end() ||
          it->second.obligations < kMinForFlag) {
        continue;
      }
      const double pct = it->second.MeasuredPct(), ref = *r.kontrolpunkt->reference_pct;
      if (pct < ref && pct < own) flags.push_back({code, &r, pct, own, ref});
    }
  }
  std::sort(flags.begin(), flags.end(),
            [](const Flag& a, const Flag& b) { return a.pct - a.ref < b.pct - b.ref; });
  std::string html = absl::StrFormat(
      "<h3>Under fokusrevisionen og under kommunens eget gennemsnit</h3>"
      "<p class=\"sub\">Kommunens gennemsnit er gennemsnittet af dens kontrolpunkter; kun "
      "kontrolpunkter med mindst %d forpligtelser i kommunen. De 12 største afvigelser.</p>"
      "<table class=\"t\" id=\"below-own\"><tr><th>kommune</th><th>kontrolpunkt</th>"
      "<th>rettidigt</th><th>kommunens gennemsnit</th><th>fokusrevision</th></tr>",
      kMinForFlag);
  for (size_t i = 0; i < flags.size() && i < 12; ++i) {
    const Flag& f = flags[i];
    absl::StrAppendFormat(&html,
                          "<tr data-municipality=\"%s\" data-rule=\"%s\" data-pct=\"%.1f\">"
                          "<td>%s %s</td><td>%s</td><td class=\"n neg\">%s</td>"
                          "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>",
                          Escape(f.code), Escape(f.rule->rule_id), f.pct, Escape(f.code),
                          Escape(MunicipalityName(f.code)), Escape(Label(*f.rule)), Pct(f.pct),
                          Pct(f.own), Pct(f.ref));
  }
  if (flags.empty()) html += "<tr><td colspan=\"5\">Ingen.</td></tr>";
  return html + "</table>\n";
}

// Share met in time per deadline month, the last kTrendMonths months before the report date.
std::string Trend(const ComplianceReport& report, absl::CivilDay today) {
  // The last kTrendMonths months with settled obligations, up to the month of the last day
  // counted (on the 1st, the month just ended): a quiet period is skipped, not shown empty.
  const absl::CivilMonth last(today - 1);
  const std::string last_month = absl::StrFormat("%04d-%02d", last.year(), last.month());
  std::set<std::string> with_data;
  for (const RuleResult& r : report.rules) {
    for (const auto& [m, share] : r.by_month) {
      if (share.obligations > 0 && m <= last_month) with_data.insert(m);
    }
  }
  std::vector<std::string> months(with_data.begin(), with_data.end());
  if (months.size() > kTrendMonths) months.erase(months.begin(), months.end() - kTrendMonths);
  std::string html =
      "<h3>Udvikling måned for måned</h3><p class=\"sub\">Andel rettidigt opfyldt efter "
      "fristens måned (▲▼: mere end 2 point op eller ned); den seneste måned tæller kun "
      "frister, der er passeret.</p>"
      "<table class=\"t\" id=\"trend\"><tr><th>kontrolpunkt</th>";
  for (const std::string& m : months) absl::StrAppend(&html, "<th>", m, "</th>");
  html += "</tr>";
  for (const RuleResult& r : report.rules) {
    if (!r.kontrolpunkt) continue;
    absl::StrAppend(&html, "<tr data-rule=\"", Escape(r.rule_id), "\"><td>", Escape(Label(r)),
                    "</td>");
    double previous = -1;
    for (const std::string& m : months) {
      auto it = r.by_month.find(m);
      if (it == r.by_month.end() || it->second.obligations == 0) {
        html += "<td class=\"n\">–</td>";
        continue;
      }
      const double pct = it->second.MeasuredPct();
      const char* arrow = previous < 0 ? "" : pct > previous + 2 ? " ▲" : pct < previous - 2 ? " ▼" : "";
      absl::StrAppendFormat(&html, "<td class=\"n\" data-month=\"%s\" data-pct=\"%.1f\">%s%s</td>",
                            m, pct, Pct(pct), arrow);
      previous = pct;
    }
    html += "</tr>";
  }
  return html + "</table>\n";
}

std::string ObligationRow(const ComplianceReport& report, const ObligationFact& ob, Urgency u,
                          bool with_caseworker) {
  return absl::StrFormat(
      "<tr class=\"ob\" data-obligation=\"%s\" data-status=\"%s\"><td><span class=\"badge %s\">"
      "%s</span></td><td class=\"d\">%s</td>%s<td class=\"d\">%s</td><td>%s</td><td>%s</td><td class=\"ev\">%s</td></tr>",
      Escape(ob.obligation_id), v1::ObligationStatus_Name(ob.status), UrgencyClass(u),
      UrgencyName(u), absl::FormatCivilTime(ob.deadline),
      with_caseworker ? absl::StrCat("<td>", Escape(ob.caseworker_id), "</td>") : "",
      Escape(ob.person_key), Escape(LabelOf(report, ob.rule_id)), Escape(ob.legal_ref),
      Causes(ob));
}

std::string DueThisWeek(const ComplianceReport& report, absl::CivilDay today) {
  std::vector<const ObligationFact*> due;
  for (const ObligationFact& ob : report.obligations) {
    if (UrgencyOf(ob, today) == Urgency::kDueSoon) due.push_back(&ob);
  }
  std::sort(due.begin(), due.end(), [](const ObligationFact* a, const ObligationFact* b) {
    return std::tie(a->deadline, a->caseworker_id, a->obligation_id) <
           std::tie(b->deadline, b->caseworker_id, b->obligation_id);
  });
  std::string html = absl::StrFormat(
      "<h3>Forfalder denne uge: <span id=\"due-count\" data-count=\"%d\">%d</span></h3>"
      "<details><summary>Vis de %d frister</summary><table class=\"t\"><tr><th></th>"
      "<th>frist</th><th>sagsbehandler</th><th>person</th><th>kontrolpunkt</th>"
      "<th>lovgrundlag</th><th>hændelser</th></tr>",
      due.size(), due.size(), due.size());
  for (const ObligationFact* ob : due) html += ObligationRow(report, *ob, Urgency::kDueSoon, true);
  return html + "</table></details>\n";
}

struct CaseworkerLoad {
  std::string id;
  std::vector<std::pair<Urgency, const ObligationFact*>> items;
  int counts[3] = {0, 0, 0};
  size_t settled = 0, met = 0;
};

std::string Teams(const ComplianceReport& report, absl::CivilDay today) {
  std::map<std::string, std::map<std::string, CaseworkerLoad>> teams;
  for (const ObligationFact& ob : report.obligations) {
    CaseworkerLoad& load = teams[ob.municipality_code][ob.caseworker_id];
    load.id = ob.caseworker_id.empty() ? "(ingen)" : ob.caseworker_id;
    if (IsSettled(ob.status) && ob.deadline < today) {
      ++load.settled;
      load.met += IsMetInTime(ob.status) ? 1 : 0;
    }
    const Urgency u = UrgencyOf(ob, today);
    if (u == Urgency::kNone) continue;
    ++load.counts[static_cast<int>(u)];
    load.items.push_back({u, &ob});
  }
  std::string html = absl::StrFormat(
      "<section id=\"teams\"><h2>Pr. team og sagsbehandler</h2><p class=\"sub\">Sorteret efter "
      "hast: overskredne frister (brud inden for de seneste %d dage), frister der forfalder "
      "inden for %d dage, og forpligtelser opfyldt for sent. Klik på en sagsbehandler for "
      "forpligtelserne med frist, lovgrundlag og de hændelser, de bygger på.</p>\n",
      kRecentDays, kSoonDays);
  for (auto& [code, caseworkers] : teams) {
    std::vector<CaseworkerLoad*> sorted;
    int team_counts[3] = {0, 0, 0};
    for (auto& [id, load] : caseworkers) {
      sorted.push_back(&load);
      for (int i = 0; i < 3; ++i) team_counts[i] += load.counts[i];
    }
    std::sort(sorted.begin(), sorted.end(), [](const CaseworkerLoad* a, const CaseworkerLoad* b) {
      return std::tie(b->counts[0], b->counts[1], b->counts[2], a->id) <
             std::tie(a->counts[0], a->counts[1], a->counts[2], b->id);
    });
    absl::StrAppendFormat(&html,
                          "<div class=\"team\" data-municipality=\"%s\"><h3>%s %s "
                          "<span class=\"sub\">%d overskredet · %d forfalder snart · %d "
                          "opfyldt for sent</span></h3><table class=\"t cw\"><tr><th colspan=\"5\">"
                          "<span class=\"cwid\">sagsbehandler</span><span class=\"h\">"
                          "overskredet</span><span class=\"h\">forfalder snart</span><span "
                          "class=\"h\">opfyldt for sent</span><span class=\"h\">rettidigt i "
                          "alt</span></th></tr>",
                          Escape(code), Escape(code), Escape(MunicipalityName(code)),
                          team_counts[0], team_counts[1], team_counts[2]);
    bool first = true;  // the most urgent caseworker's list is open, also in the PDF
    for (CaseworkerLoad* load : sorted) {
      std::stable_sort(load->items.begin(), load->items.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first, a.second->deadline) < std::tie(b.first, b.second->deadline);
      });
      const double pct = load->settled == 0 ? 0 : 100.0 * load->met / load->settled;
      absl::StrAppendFormat(
          &html,
          "<tr class=\"cwrow\" data-caseworker=\"%s\" data-overdue=\"%d\" data-soon=\"%d\" "
          "data-late=\"%d\"><td colspan=\"5\"><details%s><summary><span class=\"cwid\">%s</span>"
          "<span class=\"c r\">%d</span><span class=\"c y\">%d</span><span class=\"c o\">%d"
          "</span><span class=\"c\">%s</span></summary><table class=\"t drill\"><tr><th></th>"
          "<th>frist</th><th>person</th><th>kontrolpunkt</th><th>lovgrundlag</th>"
          "<th>hændelser</th></tr>",
          Escape(load->id), load->counts[0], load->counts[1], load->counts[2],
          first && load->items.size() > 0 ? " open" : "", Escape(load->id),
          load->counts[0], load->counts[1], load->counts[2],
          load->settled == 0 ? "–" : Pct(pct));
      for (const auto& [u, ob] : load->items) html += ObligationRow(report, *ob, u, false);
      html += "</table></details></td></tr>";
      first = false;
    }
    html += "</table></div>\n";
  }
  return html + "</section>\n";
}

}  // namespace

std::string RenderManagerPage(const ComplianceReport& report) {
  const absl::CivilDay today = report.as_of == absl::InfinitePast()
                                   ? absl::CivilDay(9999, 12, 31)
                                   : DayOf(report.as_of);
  int overdue = 0, soon = 0;
  for (const ObligationFact& ob : report.obligations) {
    const Urgency u = UrgencyOf(ob, today);
    overdue += u == Urgency::kOverdue;
    soon += u == Urgency::kDueSoon;
  }
  int below = 0, with_reference = 0;
  for (const RuleResult& r : report.rules) {
    if (!r.kontrolpunkt || !r.kontrolpunkt->reference_pct || r.all.obligations == 0) continue;
    ++with_reference;
    below += r.all.MeasuredPct() < *r.kontrolpunkt->reference_pct;
  }
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"da\"><head><meta charset=\"utf-8\">"
      "<title>fristvagt – ledelsestilsyn</title><style>",
      kPageStyle, "</style></head><body>\n<h1>Ledelsestilsyn: frister i ungeindsatsen</h1>\n");
  absl::StrAppendFormat(
      &html,
      "<p class=\"meta\">Opgjort <b id=\"as-of\">%s</b> · %d personer · kilde: %s. Rettidigt = "
      "andel af forpligtelser med passeret frist, der blev opfyldt til tiden; sammenlignet med "
      "STAR's fokusrevision af ungeindsatsen (2020).</p>\n"
      "<section id=\"attention\"><h2>Kræver opmærksomhed nu</h2><div class=\"cards\">"
      "<div class=\"card r\"><b data-count=\"%d\" id=\"overdue-count\">%d</b>overskredne "
      "frister (seneste %d dage)</div><div class=\"card y\"><b>%d</b>frister forfalder inden "
      "for %d dage</div><div class=\"card\"><b>%d af %d</b>kontrolpunkter under "
      "fokusrevisionen</div></div>\n",
      report.as_of == absl::InfinitePast() ? "-" : absl::FormatCivilTime(today), report.persons,
      Escape(report.source), overdue, overdue, kRecentDays, soon, kSoonDays, below,
      with_reference);
  html += BelowReference(report);
  html += BelowOwnAverage(report);
  html += Trend(report, today);
  html += DueThisWeek(report, today);
  html += "</section>\n";
  html += Teams(report, today);
  html += "</body></html>\n";
  return html;
}

}  // namespace fristvagt::cohort
