#include "processor/cli/check_rules.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "processor/replay/replay.h"
#include "rules/regime_loader.h"

namespace fristvagt::processor {

namespace {

namespace fs = std::filesystem;

// The value of "key":"value" in a JSON line of replay's output (flat, no escapes needed).
std::string JsonField(const std::string& line, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  const size_t from = at + needle.size();
  return line.substr(from, line.find('"', from) - from);
}

struct Scenario {
  fs::path events;
  std::set<std::string> only;
  std::vector<std::string> expected;
  ReplayOptions options;
  bool runnable = true;
  bool expects_nothing = false;  // `# expects: nothing`: the named rules must not apply
  bool checks_obligations = false;  // has OBLIGATION lines
  bool show_caseworker = false;     // `# show: caseworker`: lines end with cw=CASEWORKER_ID
};

Scenario Read(const fs::path& events, const std::string& rules_dir) {
  Scenario s;
  s.events = events;
  s.options.events_path = events.string();
  s.options.rules_dir = rules_dir;
  fs::path expected = events;
  expected.replace_extension("");  // .jsonl
  expected.replace_extension(".expected");
  std::ifstream in(expected);
  std::string text;
  while (std::getline(in, text)) {
    absl::string_view line = text;
    if (absl::ConsumePrefix(&line, "# until: ")) {
      absl::Time until;
      std::string error;
      if (absl::ParseTime(absl::RFC3339_full, std::string(line), &until, &error)) {
        s.options.until = until;
      }
    } else if (absl::ConsumePrefix(&line, "# only: ")) {
      for (absl::string_view rule : absl::StrSplit(line, ' ', absl::SkipEmpty())) {
        s.only.insert(std::string(rule));
      }
    } else if (line == "# expects: nothing") {
      s.expects_nothing = true;
    } else if (line == "# show: caseworker") {
      s.show_caseworker = true;
    } else if (absl::ConsumePrefix(&line, "# args: ")) {
      std::vector<std::string> args = absl::StrSplit(line, ' ', absl::SkipEmpty());
      for (size_t i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == "--drafts") {
          const std::vector<std::string> drafts =
              absl::StrSplit(args[i + 1], ',', absl::SkipEmpty());
          s.options.drafts = drafts;
        } else if (args[i] == "--language" && args[i + 1] == "en") {
          s.options.language = alerts::Language::kEnglish;
        } else if (args[i] != "--language") {
          s.runnable = false;  // an argument this check does not reproduce
        }
      }
    } else if (!line.empty() && line[0] != '#') {
      s.checks_obligations |= absl::StartsWith(line, "OBLIGATION ");
      s.expected.emplace_back(line);
    }
  }
  return s;
}

}  // namespace

int CheckScenarios(const std::string& rules_dir, const std::string& scenarios_dir,
                   std::ostream& out) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(scenarios_dir, ec), end; !ec && it != end; ++it) {
    const std::string name = it->path().filename().string();
    if (name.size() > 13 && name.substr(name.size() - 13) == ".events.jsonl") {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<rules::RuleFileError> errors;
  absl::StatusOr<rules::Catalog> catalog = rules::LoadCatalog(rules_dir, &errors);
  std::set<std::string> rule_ids;  // of every regime and draft: what `# only:` may name
  if (catalog.ok()) {
    for (const auto* regimes : {&catalog->regimes, &catalog->drafts}) {
      for (const rules::Regime& regime : *regimes) {
        for (const rules::RuleSpec& rule : regime.rules) rule_ids.insert(rule.id);
      }
    }
  }
  const fs::path tmp = fs::temp_directory_path() / ("fristvagt-check-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  // (regime, rule) with an alert or an obligation outcome in some scenario.
  std::set<std::pair<std::string, std::string>> covered;
  // (regime, rule) -> every status its obligation records reached in some scenario: a rule
  // whose obligations are never met, or never breached, has half its law untested.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> reached;
  int failed = 0;
  int skipped = 0;
  for (const fs::path& events : files) {
    Scenario s = Read(events, rules_dir);
    if (!s.runnable) {
      ++skipped;
      continue;
    }
    s.options.out_path = (tmp / "alerts.jsonl").string();
    s.options.rejects_path = (tmp / "rejects.jsonl").string();
    s.options.obligations_path = (tmp / "obligations.jsonl").string();
    fs::remove(s.options.out_path, ec);  // replay appends
    fs::remove(s.options.rejects_path, ec);
    fs::remove(s.options.obligations_path, ec);
    std::vector<std::string> unknown;
    for (const std::string& rule : s.only) {
      if (!rule_ids.contains(rule)) unknown.push_back(rule);
    }
    if (!unknown.empty()) {
      out << "FAIL " << events.string() << ": # only: names " << absl::StrJoin(unknown, ", ")
          << ", which no regime or draft has\n";
      ++failed;
      continue;
    }
    if (s.expected.empty() != s.expects_nothing) {
      out << "FAIL " << events.string()
          << (s.expects_nothing ? ": says `# expects: nothing` but lists lines\n"
                                : ": expects no line; add the OBLIGATION lines it ends with, or "
                                  "`# expects: nothing` when its rule must not apply\n");
      ++failed;
      continue;
    }
    if (RunReplay(s.options) != 0) {
      out << "FAIL " << events.string() << ": replay failed\n";
      ++failed;
      continue;
    }
    std::vector<std::string> actual;
    std::ifstream alerts(s.options.out_path);
    std::string line;
    while (std::getline(alerts, line)) {
      const std::string rule = JsonField(line, "rule_id");
      covered.insert({JsonField(line, "regime"), rule});
      if (!s.only.empty() && !s.only.contains(rule)) continue;
      actual.push_back(JsonField(line, "kind") + " " + rule + " " + JsonField(line, "regime") + " " +
                       JsonField(line, "deadline") + " " + JsonField(line, "status") +
                       " due=" + JsonField(line, "due_at") +
                       (s.show_caseworker ? " cw=" + JsonField(line, "caseworker_id") : ""));
    }
    std::ifstream rejects(s.options.rejects_path);
    while (std::getline(rejects, line)) {
      const size_t at = line.find("\"line\":");
      const std::string number =
          at == std::string::npos ? "" : line.substr(at + 7, line.find(',', at) - at - 7);
      actual.push_back("REJECT line=" + number + " " + JsonField(line, "code"));
    }
    // The outcome of each obligation is its last record (tombstones only say when it leaves
    // the topic), as scenario_test reads it.
    std::map<std::string, std::string> outcomes;
    std::ifstream obligations(s.options.obligations_path);
    while (std::getline(obligations, line)) {
      if (absl::StrContains(line, "\"tombstone\":true")) continue;
      const std::string rule = JsonField(line, "rule_id");
      covered.insert({JsonField(line, "regime"), rule});
      reached[{JsonField(line, "regime"), rule}].insert(JsonField(line, "status"));
      if (!s.only.empty() && !s.only.contains(rule)) continue;
      outcomes[JsonField(line, "obligation_id")] = "OBLIGATION " + rule + " " +
                                                   JsonField(line, "regime") + " " +
                                                   JsonField(line, "deadline") + " " +
                                                   JsonField(line, "status") +
                                                   (s.show_caseworker
                                                        ? " cw=" + JsonField(line, "caseworker_id")
                                                        : "");
    }
    if (s.checks_obligations) {
      std::vector<std::string> sorted;
      for (const auto& [id, outcome] : outcomes) sorted.push_back(outcome);
      std::sort(sorted.begin(), sorted.end());
      actual.insert(actual.end(), sorted.begin(), sorted.end());
    }
    if (actual != s.expected) {
      out << "FAIL " << events.string() << ": output differs from the .expected file\n";
      for (const std::string& e : s.expected) out << "    expected " << e << "\n";
      for (const std::string& a : actual) out << "    got      " << a << "\n";
      ++failed;
    }
  }
  fs::remove_all(tmp, ec);
  std::vector<std::string> uncovered, never_met, never_breached;
  if (catalog.ok()) {
    for (const rules::Regime& regime : catalog->regimes) {
      for (const rules::RuleSpec& rule : regime.rules) {
        const std::string name = regime.id + "/" + rule.id;
        if (!covered.contains({regime.id, rule.id})) {
          uncovered.push_back(name);
          continue;
        }
        const std::set<std::string>& statuses = reached[{regime.id, rule.id}];
        if (!statuses.contains("MET") && !statuses.contains("MET_LATE")) never_met.push_back(name);
        // A window reminds and never breaches: nothing to test there.
        if (rule.kind != rules::RuleKind::kWindow && !statuses.contains("BREACHED")) {
          never_breached.push_back(name);
        }
      }
    }
  }
  out << files.size() << " scenarios: " << files.size() - failed - skipped << " pass, " << failed
      << " fail, " << skipped << " not reproducible here\n";
  auto list = [&out](const std::vector<std::string>& rules, std::string_view what) {
    out << rules.size() << " rules " << what << (rules.empty() ? "" : ":") << "\n";
    for (const std::string& r : rules) out << "  " << r << "\n";
  };
  list(uncovered, "with no alert and no obligation in any scenario");
  list(never_met, "with obligations never MET or MET_LATE in any scenario");
  list(never_breached, "with obligations never BREACHED in any scenario (windows not counted)");
  return failed;
}

}  // namespace fristvagt::processor
