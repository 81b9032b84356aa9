// RenderJson (report.h): the report as one JSON object, for GET /v1/report and scripts.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cohort/calendar.h"
#include "cohort/report.h"

namespace fristvagt::cohort {

namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string ShareJson(const Share& s, bool has_truth) {
  std::string out = absl::StrFormat("{\"obligations\":%d,\"not_met\":%d,\"pct\":%.2f", s.obligations,
                                    s.not_met, s.MeasuredPct());
  if (has_truth && s.truth_obligations > 0) {
    absl::StrAppendFormat(&out, ",\"truth_obligations\":%d,\"truth_pct\":%.2f", s.truth_obligations,
                          s.TruthPct());
  }
  return out + "}";
}

std::string MapJson(const std::map<std::string, Share>& shares, bool has_truth) {
  std::string out = "{";
  for (const auto& [key, share] : shares) {
    if (share.obligations == 0 && share.truth_obligations == 0) continue;
    absl::StrAppend(&out, out.size() > 1 ? "," : "", Quote(key), ":", ShareJson(share, has_truth));
  }
  return out + "}";
}

}  // namespace

std::string RenderJson(const ComplianceReport& report) {
  std::string out = absl::StrCat(
      "{\"as_of\":",
      report.as_of == absl::InfinitePast()
          ? "null"
          : Quote(absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", report.as_of, LocalZone())),
      ",\"source\":", Quote(report.source), ",\"persons\":", report.persons, ",\"kontrolpunkter\":[");
  for (size_t i = 0; i < report.rules.size(); ++i) {
    const RuleResult& r = report.rules[i];
    absl::StrAppend(&out, i ? "," : "", "{\"rule_id\":", Quote(r.rule_id));
    if (r.kontrolpunkt) {
      absl::StrAppend(&out, ",\"label\":", Quote(r.kontrolpunkt->label),
                      ",\"fokusrevision\":", Quote(r.kontrolpunkt->figure));
      if (r.kontrolpunkt->reference_pct) {
        absl::StrAppendFormat(&out, ",\"fokusrevision_pct\":%.1f", *r.kontrolpunkt->reference_pct);
      }
    }
    absl::StrAppend(&out, ",\"all\":", ShareJson(r.all, report.has_truth), ",\"by_group\":{");
    for (int g = 0; g < 3; ++g) {
      absl::StrAppend(&out, g ? "," : "", Quote(v1::VisitationGroup_Name(GroupAtIndex(g))), ":",
                      ShareJson(r.by_group[g], report.has_truth));
    }
    absl::StrAppend(&out, "},\"by_municipality\":", MapJson(r.by_municipality, report.has_truth),
                    ",\"by_caseworker\":", MapJson(r.by_caseworker, report.has_truth),
                    ",\"by_month\":", MapJson(r.by_month, report.has_truth), "}");
  }
  return out + "]}\n";
}

}  // namespace fristvagt::cohort
