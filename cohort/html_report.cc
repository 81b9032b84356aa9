// RenderHtml (report.h): one self-contained page, no external resources. The charts follow
// the fokusrevision's figures: one bar per municipality, sorted, the average as a dashed line.
// The sheets follow Boks 4 (Lolland's self-evaluation): one row per case, one light per
// kontrolpunkt.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cohort/calendar.h"
#include "cohort/municipalities.h"
#include "cohort/report.h"

namespace fristvagt::cohort {

namespace {

constexpr char kStyle[] = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1b1b;
     max-width:1150px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 4px}
.meta,.sub{color:#555;font-size:13px;margin:2px 0 8px}
svg.chart{display:block;background:#fafafa;border:1px solid #ddd}
svg text{font-size:10px;fill:#333} .bar{fill:#1f5f8b} .avg{stroke:#111;stroke-dasharray:6 4}
.ref{stroke:#c0392b;stroke-dasharray:2 3} .grid{stroke:#e2e2e2}
details{border:1px solid #ddd;margin:4px 0;padding:4px 8px}
summary{cursor:pointer;font-size:13px}
table.lights{border-collapse:collapse;margin:6px 0;font-size:11px}
table.lights td,table.lights th{border:1px solid #fff;padding:1px 4px;text-align:center}
table.lights td.k{text-align:left;font-family:monospace;background:#f4f4f4}
.g{background:#2e7d32} .y{background:#f9a825} .r{background:#c62828}
span.dot{display:inline-block;width:9px;height:9px;margin:0 1px;vertical-align:middle}
.legend{font-size:13px;color:#333}
.legend span{display:inline-block;width:12px;height:12px;vertical-align:middle;margin:0 4px 0 10px}
)";

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* LightClass(Light light) {
  return light == Light::kRed ? "r" : light == Light::kYellow ? "y" : "g";
}

// One bar chart: municipalities sorted by the measured share, the average dashed, the
// fokusrevision's figure dotted.
std::string Chart(const RuleResult& r) {
  std::vector<std::pair<double, std::string>> bars;
  for (const auto& [code, share] : r.by_municipality) {
    if (share.obligations > 0) bars.push_back({share.MeasuredPct(), code});
  }
  std::sort(bars.begin(), bars.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  constexpr int kLeft = 40, kTop = 16, kPlot = 200, kSlot = 28, kBar = 20, kBottom = 78;
  const int width = std::max(320, kLeft + static_cast<int>(bars.size()) * kSlot + 120);
  const int height = kTop + kPlot + kBottom;
  auto y = [&](double pct) { return kTop + (100 - pct) * kPlot / 100; };
  std::string svg = absl::StrFormat(
      "<svg class=\"chart\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">",
      width, height, width, height, Escape(r.rule_id));
  for (int pct = 0; pct <= 100; pct += 25) {
    absl::StrAppendFormat(&svg,
                          "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d %%</text>",
                          kLeft, width - 110, y(pct), y(pct), kLeft - 4, y(pct) + 3, pct);
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const int x = kLeft + static_cast<int>(i) * kSlot + (kSlot - kBar) / 2;
    const double top = y(bars[i].first);
    absl::StrAppendFormat(&svg,
                          "<rect class=\"bar\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\">"
                          "<title>%s: %.1f %%</title></rect>",
                          x, top, kBar, kTop + kPlot - top,
                          Escape(MunicipalityName(bars[i].second)), bars[i].first);
    const int cx = x + kBar / 2;
    const int ly = kTop + kPlot + 8;
    absl::StrAppendFormat(&svg,
                          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" "
                          "transform=\"rotate(-60 %d %d)\">%s</text>",
                          cx, ly, cx, ly, Escape(MunicipalityName(bars[i].second)));
  }
  const int line_end = kLeft + static_cast<int>(bars.size()) * kSlot;
  const double avg = r.all.MeasuredPct();
  absl::StrAppendFormat(&svg,
                        "<line class=\"avg\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                        "<text x=\"%d\" y=\"%.1f\">gennemsnit %.0f %%</text>",
                        kLeft, line_end, y(avg), y(avg), line_end + 4, y(avg) + 3, avg);
  if (r.kontrolpunkt && r.kontrolpunkt->reference_pct.has_value()) {
    const double ref = *r.kontrolpunkt->reference_pct;
    absl::StrAppendFormat(&svg,
                          "<line class=\"ref\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                          "<text x=\"%d\" y=\"%.1f\" style=\"fill:#c0392b\">"
                          "fokusrevision %.0f %%</text>",
                          kLeft, line_end, y(ref), y(ref), line_end + 4, y(ref) + 14, ref);
  }
  svg += "</svg>\n";
  return svg;
}

std::string Sheet(const CaseworkerSheet& sheet, const ComplianceReport& report) {
  int counts[3] = {0, 0, 0};
  std::string dots;
  for (const CaseLights& c : sheet.cases) {
    ++counts[static_cast<int>(c.worst)];
    absl::StrAppend(&dots, "<span class=\"dot ", LightClass(c.worst), "\"></span>");
  }
  const std::string municipality =
      sheet.cases.empty() ? "" : std::string(MunicipalityName(sheet.cases[0].municipality_code));
  std::string html = absl::StrFormat(
      "<details><summary><b>%s</b> (%s) – %d sager: %d røde, %d gule, %d grønne %s</summary>"
      "<table class=\"lights\"><tr><th>sag</th>",
      Escape(sheet.caseworker_id), Escape(municipality), sheet.cases.size(), counts[2], counts[1],
      counts[0], dots);
  for (size_t i = 0; i < report.rules.size(); ++i) {
    absl::StrAppendFormat(&html, "<th title=\"%s\">%d</th>", Escape(report.rules[i].rule_id),
                          i + 1);
  }
  html += "</tr>";
  for (const CaseLights& c : sheet.cases) {
    absl::StrAppend(&html, "<tr><td class=\"k\">", Escape(c.person_key), "</td>");
    for (Light light : c.lights)
      absl::StrAppend(&html, "<td class=\"", LightClass(light), "\"></td>");
    html += "</tr>";
  }
  html += "</table></details>\n";
  return html;
}

}  // namespace

std::string RenderHtml(const ComplianceReport& report) {
  const std::string as_of =
      report.as_of == absl::InfinitePast() ? "-" : absl::FormatCivilTime(DayOf(report.as_of));
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"da\"><head><meta charset=\"utf-8\">"
      "<title>fristvagt – kontrolpunkter</title><style>",
      kStyle, "</style></head><body>\n<h1>Kontrolpunkter i ungeindsatsen</h1>\n");
  absl::StrAppendFormat(&html,
                        "<p class=\"meta\">%d personer, %d alarmer, opgjort %s. Andel af "
                        "forpligtelser opfyldt rettidigt, målt af fristvagt ud fra alarmerne; "
                        "stiplet linje: gennemsnittet; prikket: fokusrevisionens tal.</p>\n",
                        report.persons, report.alerts, as_of);
  for (size_t i = 0; i < report.rules.size(); ++i) {
    const RuleResult& r = report.rules[i];
    const std::string label = r.kontrolpunkt ? std::string(r.kontrolpunkt->label) : r.rule_id;
    const std::string figure = r.kontrolpunkt ? std::string(r.kontrolpunkt->figure) : "—";
    absl::StrAppendFormat(&html,
                          "<section id=\"kp-%d\"><h2>%d. %s</h2><p class=\"sub\">regel "
                          "<code>%s</code> · %d forpligtelser · målt %.1f %% · "
                          "fokusrevision %s</p>\n",
                          i + 1, i + 1, Escape(label), Escape(r.rule_id), r.all.obligations,
                          r.all.MeasuredPct(), Escape(figure));
    html += Chart(r);
    html += "</section>\n";
  }
  absl::StrAppendFormat(&html,
                        "<section id=\"sager\"><h2>Sagsoverblik pr. sagsbehandler</h2>"
                        "<p class=\"legend\">Som selvevalueringsarket i Boks 4: én række pr. åben "
                        "sag (en alarm inden for de seneste %d dage), én celle pr. kontrolpunkt "
                        "(nummer som ovenfor), opgjort %s."
                        "<span class=\"r\"></span>åbent brud<span class=\"y\"></span>påmindelse "
                        "udestående<span class=\"g\"></span>intet forfaldent</p>\n",
                        absl::ToInt64Hours(kOpenCaseWindow) / 24, as_of);
  for (const CaseworkerSheet& sheet : report.sheets) html += Sheet(sheet, report);
  html += "</section>\n</body></html>\n";
  return html;
}

}  // namespace fristvagt::cohort
