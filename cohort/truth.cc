#include "cohort/truth.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fristvagt::cohort {

namespace {

constexpr char kHeader[] =
    "person_key,municipality_code,group,rule_id,instance,deadline,met_in_time";

std::string FormatDay(absl::CivilDay day) { return absl::FormatCivilTime(day); }

}  // namespace

std::string TruthCsvHeader() { return kHeader; }

std::string ToCsvLine(const TruthRow& row) {
  return absl::StrCat(row.person_key, ",", row.municipality_code, ",",
                      v1::VisitationGroup_Name(row.group), ",", row.rule_id, ",", row.instance, ",",
                      FormatDay(row.deadline), ",", row.met_in_time ? "true" : "false");
}

absl::StatusOr<std::vector<TruthRow>> ReadTruthFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read truth file " + path);
  std::vector<TruthRow> rows;
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1) {
      if (line != kHeader) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":1: not a truth file (expected '", kHeader, "')"));
      }
      continue;
    }
    if (line.empty()) continue;
    const std::vector<std::string> f = absl::StrSplit(line, ',');
    TruthRow row;
    absl::CivilDay deadline;
    if (f.size() != 7 || !v1::VisitationGroup_Parse(f[2], &row.group) ||
        !absl::ParseCivilTime(f[5], &deadline) || (f[6] != "true" && f[6] != "false")) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": malformed row"));
    }
    row.person_key = f[0];
    row.municipality_code = f[1];
    row.rule_id = f[3];
    row.instance = f[4];
    row.deadline = deadline;
    row.met_in_time = f[6] == "true";
    rows.push_back(std::move(row));
  }
  if (in.bad()) return absl::UnavailableError("error reading " + path);
  return rows;
}

Outcome Classify(const ObligationDates& d, absl::Time period_end) {
  if (d.met.has_value() && *d.met <= d.deadline && (!d.waived.has_value() || *d.met <= *d.waived)) {
    return Outcome::kMetInTime;
  }
  if (d.waived.has_value() && *d.waived <= d.deadline) return Outcome::kWaived;
  return d.due_at <= period_end ? Outcome::kNotMetInTime : Outcome::kOpen;
}

}  // namespace fristvagt::cohort
