// Runs every scenario under tests/scenarios/ through the real `fristvagt replay` binary and
// compares the alerts with the scenario's expected file. A scenario is two files:
//   NAME.events.jsonl  case events, one per line (bad lines allowed: they test rejects)
//   NAME.expected      `# until: RFC3339`, `# args: ...` and `# only: rule ...` headers (only
//                      the named rules' alerts are compared, so a scenario stays about its
//                      rule as the catalog grows), then one line per alert:
//                      KIND rule_id regime deadline STATUS due=RFC3339  (output order)
//                      and one line per rejected input line: REJECT line=N CODE
//                      and, optionally, the outcome (last status) of each obligation the
//                      filtered rules opened (from `replay --obligations`), sorted:
//                      OBLIGATION rule_id regime deadline STATUS
//                      A scenario expects at least one line, or says `# expects: nothing`
//                      (a rule that must not apply): one that silently expects nothing would
//                      stay green if its rule were deleted. The `# only:` rules must exist in
//                      the catalog (a regime or a draft), so deleting a rule fails every
//                      scenario about it, the `# expects: nothing` ones included.
//                      `# show: caseworker` appends ` cw=CASEWORKER_ID` to every alert and
//                      OBLIGATION line (whose list an obligation is on, e.g. after a change).
// The compact form keeps expectations reviewable; ids are checked for stability separately.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/alert.pb.h"
#include "rules/regime_loader.h"
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;

struct Expected {
  std::string args;
  std::set<std::string> only_rules;  // empty: every rule's alerts count
  std::vector<std::string> lines;
  bool expects_nothing = false;  // `# expects: nothing`
  bool show_caseworker = false;  // `# show: caseworker`
};

Expected ReadExpected(const fs::path& path) {
  Expected expected;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# until: ", 0) == 0) {
      expected.args += " --until " + line.substr(9);
    } else if (line.rfind("# only: ", 0) == 0) {
      std::istringstream rules(line.substr(8));
      std::string rule;
      while (rules >> rule) expected.only_rules.insert(rule);
    } else if (line == "# expects: nothing") {
      expected.expects_nothing = true;
    } else if (line == "# show: caseworker") {
      expected.show_caseworker = true;
    } else if (line.rfind("# args: ", 0) == 0) {
      expected.args += " " + line.substr(8);
    } else if (!line.empty() && line[0] != '#') {
      expected.lines.push_back(line);
    }
  }
  return expected;
}

std::string Compact(const v1::Alert& a) {
  return v1::AlertKind_Name(a.kind()) + " " + a.rule_id() + " " + a.regime() + " " + a.deadline() +
         " " + v1::ObligationStatus_Name(a.status()) + " due=" + a.due_at();
}

std::string Compact(const v1::Obligation& o) {
  return "OBLIGATION " + o.rule_id() + " " + o.regime() + " " + o.deadline() + " " +
         v1::ObligationStatus_Name(o.status());
}

// Every rule id of the shipped catalog, drafts included.
const std::set<std::string>& CatalogRuleIds() {
  static const std::set<std::string> ids = [] {
    std::vector<rules::RuleFileError> errors;
    absl::StatusOr<rules::Catalog> catalog =
        rules::LoadCatalog((testing::SourceDir() / "rules" / "regimes").string(), &errors);
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    std::set<std::string> found;
    if (!catalog.ok()) return found;
    for (const auto* regimes : {&catalog->regimes, &catalog->drafts}) {
      for (const rules::Regime& regime : *regimes) {
        for (const rules::RuleSpec& rule : regime.rules) found.insert(rule.id);
      }
    }
    return found;
  }();
  return ids;
}

std::vector<std::string> ReadLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::vector<fs::path> AllScenarios() {
  std::vector<fs::path> found;
  const fs::path root = testing::SourceDir() / "tests" / "scenarios";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 13 && name.substr(name.size() - 13) == ".events.jsonl") {
      found.push_back(entry.path());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string ScenarioName(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name =
      info.param.parent_path().filename().string() + "_" + info.param.filename().string();
  name = name.substr(0, name.size() - 13);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ScenarioTest : public ::testing::TestWithParam<fs::path> {};

TEST_P(ScenarioTest, ReplayPrintsExactlyTheExpectedAlerts) {
  const fs::path events = GetParam();
  std::string stem = events.string();
  stem = stem.substr(0, stem.size() - 13);
  const Expected expected = ReadExpected(stem + ".expected");
  const testing::TempDir tmp;
  const fs::path out = tmp.path() / "alerts.jsonl";
  const fs::path rejects = tmp.path() / "rejects.jsonl";
  const fs::path obligations = tmp.path() / "obligations.jsonl";
  ASSERT_EQ(expected.lines.empty(), expected.expects_nothing)
      << events.filename()
      << (expected.expects_nothing ? " says `# expects: nothing` but lists lines"
                                   : " expects no line: add the OBLIGATION lines it should end "
                                     "with, or `# expects: nothing` when its rule must not apply");
  for (const std::string& rule : expected.only_rules) {
    EXPECT_TRUE(CatalogRuleIds().contains(rule))
        << "# only: names " << rule << ", which no regime or draft has";
  }
  const int rc = testing::RunBinary("replay --events " + events.string() + " --out " +
                                    out.string() + " --rejects " + rejects.string() +
                                    " --obligations " + obligations.string() + expected.args);
  ASSERT_EQ(rc, 0) << "replay failed for " << events;

  std::vector<std::string> actual;
  std::vector<std::string> alert_ids;
  for (const std::string& line : ReadLines(out)) {
    v1::Alert alert;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &alert).ok()) << line;
    alert_ids.push_back(alert.alert_id());
    if (!expected.only_rules.empty() && !expected.only_rules.count(alert.rule_id())) continue;
    actual.push_back(Compact(alert) +
                     (expected.show_caseworker ? " cw=" + alert.caseworker_id() : ""));
  }
  for (const std::string& line : ReadLines(rejects)) {
    const auto line_pos = line.find("\"line\":");
    const auto code_pos = line.find("\"code\":\"");
    ASSERT_NE(code_pos, std::string::npos) << line;
    const std::string number = line.substr(line_pos + 7, line.find(',', line_pos) - line_pos - 7);
    const std::string code = line.substr(code_pos + 8, line.find('"', code_pos + 8) - code_pos - 8);
    actual.push_back("REJECT line=" + number + " " + code);
  }
  const bool checks_obligations =
      std::any_of(expected.lines.begin(), expected.lines.end(),
                  [](const std::string& l) { return l.rfind("OBLIGATION ", 0) == 0; });
  if (checks_obligations) {
    // The last record per obligation is its outcome. Tombstones (retention after the course
    // ended, erasure) say when the record leaves the topic, not how the obligation ended.
    std::map<std::string, std::string> final_status;
    for (const std::string& line : ReadLines(obligations)) {
      if (line.find("\"tombstone\":true") != std::string::npos) continue;
      v1::Obligation obligation;
      ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &obligation).ok()) << line;
      if (!expected.only_rules.empty() && !expected.only_rules.count(obligation.rule_id())) {
        continue;
      }
      final_status[obligation.obligation_id()] =
          Compact(obligation) +
          (expected.show_caseworker ? " cw=" + obligation.caseworker_id() : "");
    }
    std::vector<std::string> sorted;
    for (const auto& [id, compact] : final_status) sorted.push_back(compact);
    std::sort(sorted.begin(), sorted.end());
    actual.insert(actual.end(), sorted.begin(), sorted.end());
  }
  std::ostringstream got;
  for (const auto& l : actual) got << "  " << l << "\n";
  EXPECT_EQ(actual, expected.lines) << "actual output of " << events.filename() << ":\n"
                                    << got.str();
  std::vector<std::string> sorted_ids = alert_ids;
  std::sort(sorted_ids.begin(), sorted_ids.end());
  EXPECT_EQ(std::adjacent_find(sorted_ids.begin(), sorted_ids.end()), sorted_ids.end())
      << "two alerts share an alert_id";

  // Determinism: a second run prints byte-identical alerts (same ids, same texts).
  const fs::path out2 = tmp.path() / "again.jsonl";
  ASSERT_EQ(testing::RunBinary("replay --events " + events.string() + " --out " + out2.string() +
                               " --rejects " + (tmp.path() / "r2").string() + expected.args),
            0);
  EXPECT_EQ(ReadLines(out), ReadLines(out2));
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(AllScenarios()),
                         ScenarioName);

}  // namespace
}  // namespace fristvagt
