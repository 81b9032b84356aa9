#include "cohort/compare.h"

#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace fristvagt::cohort {

namespace {

constexpr const char* kKindNames[kChangeKinds] = {"appeared", "disappeared", "deadline_moved",
                                                  "status_changed"};

bool IsBreach(const ObligationFact& ob) { return IsSettled(ob.status) && !IsMetInTime(ob.status); }

}  // namespace

bool CompareRow::Changed() const {
  for (size_t n : changes) {
    if (n > 0) return true;
  }
  return breaches_a != breaches_b;
}

Comparison CompareObligations(const ObligationSet& a, const ObligationSet& b,
                              const std::function<std::string(std::string_view)>& redact,
                              size_t examples_per_kind) {
  std::map<std::string, const ObligationFact*> in_a, in_b;
  for (const ObligationFact& ob : a.obligations) in_a[ob.obligation_id] = &ob;
  for (const ObligationFact& ob : b.obligations) in_b[ob.obligation_id] = &ob;
  std::map<std::pair<std::string, std::string>, CompareRow> rows;
  Comparison out;
  auto row_of = [&](const ObligationFact& ob) -> CompareRow& {
    CompareRow& row = rows[{ob.rule_id, ob.municipality_code}];
    row.rule_id = ob.rule_id;
    row.municipality_code = ob.municipality_code;
    return row;
  };
  auto note = [&](CompareRow& row, ChangeKind kind, const ObligationFact& ob) {
    ++row.changes[kind];
    if (row.examples[kind].size() < examples_per_kind) {
      row.examples[kind].push_back(redact(ob.person_key));
    }
  };
  for (const auto& [id, ob] : in_a) {
    CompareRow& row = row_of(*ob);
    ++row.obligations_a;
    row.breaches_a += IsBreach(*ob);
    auto other = in_b.find(id);
    if (other == in_b.end()) {
      note(row, kDisappeared, *ob);
      continue;
    }
    bool same = true;
    if (other->second->deadline != ob->deadline) note(row, kDeadlineMoved, *ob), same = false;
    if (other->second->status != ob->status) note(row, kStatusChanged, *ob), same = false;
    out.unchanged += same;
  }
  for (const auto& [id, ob] : in_b) {
    CompareRow& row = row_of(*ob);
    ++row.obligations_b;
    row.breaches_b += IsBreach(*ob);
    if (!in_a.count(id)) note(row, kAppeared, *ob);
  }
  out.obligations_a = in_a.size();
  out.obligations_b = in_b.size();
  for (auto& [key, row] : rows) out.rows.push_back(std::move(row));
  return out;
}

std::string RenderComparison(const Comparison& c, std::string_view name_a,
                             std::string_view name_b) {
  std::string out = absl::StrFormat(
      "A = %s: %d obligations; B = %s: %d obligations; %d the same in both\n", name_a,
      c.obligations_a, name_b, c.obligations_b, c.unchanged);
  size_t changed = 0;
  for (const CompareRow& row : c.rows) changed += row.Changed();
  if (changed == 0) return out + "no differences\n";
  absl::StrAppendFormat(&out, "\n%-30s %-4s %7s %7s %8s %11s %9s %8s %9s %9s\n", "rule",
                        "mun.", "A", "B", "appeared", "disappeared", "deadline", "status",
                        "breach A", "breach B");
  for (const CompareRow& row : c.rows) {
    if (!row.Changed()) continue;
    absl::StrAppendFormat(&out, "%-30s %-4s %7d %7d %8d %11d %9d %8d %9d %9d\n", row.rule_id,
                          row.municipality_code, row.obligations_a, row.obligations_b,
                          row.changes[kAppeared], row.changes[kDisappeared],
                          row.changes[kDeadlineMoved], row.changes[kStatusChanged],
                          row.breaches_a, row.breaches_b);
    for (int k = 0; k < kChangeKinds; ++k) {
      if (row.examples[k].empty()) continue;
      absl::StrAppend(&out, "    ", kKindNames[k], ", e.g. ", absl::StrJoin(row.examples[k], " "),
                      "\n");
    }
  }
  return out;
}

std::string RenderComparisonCsv(const Comparison& c) {
  std::string out =
      "rule_id,municipality,obligations_a,obligations_b,appeared,disappeared,deadline_moved,"
      "status_changed,breaches_a,breaches_b,examples\n";
  for (const CompareRow& row : c.rows) {
    std::vector<std::string> examples;
    for (int k = 0; k < kChangeKinds; ++k) {
      for (const std::string& key : row.examples[k]) examples.push_back(absl::StrCat(kKindNames[k], ":", key));
    }
    absl::StrAppendFormat(&out, "%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%s\n", row.rule_id,
                          row.municipality_code, row.obligations_a, row.obligations_b,
                          row.changes[kAppeared], row.changes[kDisappeared],
                          row.changes[kDeadlineMoved], row.changes[kStatusChanged],
                          row.breaches_a, row.breaches_b, absl::StrJoin(examples, ";"));
  }
  return out;
}

}  // namespace fristvagt::cohort
