// The one binary, `fristvagt`: parses the command line and hands over to a command. Exceptions
// and usage errors stop here; commands report failures through their exit code.

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "processor/cli/check_rules.h"
#include "processor/cli/cohort_commands.h"
#include "processor/replay/replay.h"
#include "processor/cli/run_commands.h"
#include "rules/regime_loader.h"
#include "rules/rules_doc.h"
#include "state/rocksdb_store.h"

#ifndef FRISTVAGT_DEFAULT_RULES_DIR
#define FRISTVAGT_DEFAULT_RULES_DIR "rules/regimes"
#endif

namespace {

constexpr char kUsage[] = R"(usage: fristvagt COMMAND [options]

commands:
  demo [--persons N] [--seed S] [--language da|en]
      the whole system in a minute: an embedded Kafka broker, a synthetic cohort
      of case events, the processor, and the alerts as they happen
  run [--config FILE]
      the processor; without kafka."bootstrap.servers" it starts an embedded
      Kafka-protocol broker and prints its address (docs/configuration.md)
  broker [--partitions N] [--brokers N] [--port-file FILE]
      the embedded broker alone, until SIGINT/SIGTERM
  replay --events FILE.jsonl [--until RFC3339] [--out FILE] [--rejects FILE]
         [--state-dir DIR] [--language da|en] [--rules DIR] [--batch N]
         [--drafts ID,...]   draft regimes to switch on, e.g. lab2027
      run the rules over a file of case events with the event-driven clock and
      print alerts as JSON lines
  check-rules [DIR] [--scenarios DIR]
      validate regime files; prints file:line: key: problem for each error
  rules-doc [DIR]
      print docs/rules.md generated from the regime files
  simulate --persons N [--municipalities 25] [--seed 1] [--start 2019-01-01]
           [--months 12] [--out FILE] [--truth FILE]
      a synthetic cohort calibrated to STAR's fokusrevision: case events as JSON
      lines (by recorded_at) and the ground truth per obligation (CSV)
  report (--state-dir DIR | --bootstrap HOST:PORT | --alerts FILE) [--truth FILE]
         [--csv FILE] [--html FILE] [--page FILE]
      share of obligations met in time per kontrolpunkt, group, municipality,
      caseworker and month, beside the fokusrevision's figures; --page writes the
      manager's page (Danish), --html the charts
  compare --events FILE --rules A --rules B [--until TIME] [--csv FILE]
      the same events under two regime sets: obligations and breaches that appear,
      disappear or change, per rule and municipality

The rules directory defaults to $FRISTVAGT_RULES or )" FRISTVAGT_DEFAULT_RULES_DIR "\n";

int Usage(const std::string& problem) {
  std::cerr << "fristvagt: " << problem << "\n\n" << kUsage;
  return 2;
}

std::string DefaultRulesDir() {
  const char* env = std::getenv("FRISTVAGT_RULES");
  return env != nullptr && *env != '\0' ? env : FRISTVAGT_DEFAULT_RULES_DIR;
}

// Flags of the form --name value; returns false with a message on a malformed list.
bool ParseFlags(const std::vector<std::string>& args, const std::vector<std::string>& known,
                std::map<std::string, std::string>* flags, std::string* problem) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      *problem = "unexpected argument '" + arg + "'";
      return false;
    }
    const std::string name = arg.substr(2);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      *problem = "unknown flag '" + arg + "'";
      return false;
    }
    if (i + 1 >= args.size()) {
      *problem = "flag '" + arg + "' needs a value";
      return false;
    }
    (*flags)[name] = args[++i];
  }
  return true;
}

int Replay(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  std::string problem;
  if (!ParseFlags(args,
                  {"events", "until", "out", "rejects", "state-dir", "language", "rules", "batch",
                   "drafts"},
                  &flags, &problem)) {
    return Usage("replay: " + problem);
  }
  if (!flags.count("events")) return Usage("replay: --events FILE is required");
  fristvagt::processor::ReplayOptions options;
  options.events_path = flags["events"];
  options.out_path = flags["out"];
  options.rejects_path = flags["rejects"];
  options.state_dir = flags["state-dir"];
  options.rules_dir = flags.count("rules") ? flags["rules"] : DefaultRulesDir();
  if (flags.count("drafts")) {
    const std::vector<std::string> drafts = absl::StrSplit(flags["drafts"], ',', absl::SkipEmpty());
    options.drafts = drafts;
  }
  if (flags.count("batch")) {
    int batch = 0;
    if (!absl::SimpleAtoi(flags["batch"], &batch) || batch < 1) {
      return Usage("replay: --batch takes a positive number of events");
    }
    options.events_per_batch = static_cast<size_t>(batch);
  }
  if (flags.count("until")) {
    absl::Time until;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, flags["until"], &until, &error)) {
      return Usage("replay: --until '" + flags["until"] + "' is not RFC 3339: " + error);
    }
    options.until = until;
  }
  if (flags.count("language")) {
    if (flags["language"] == "en") {
      options.language = fristvagt::alerts::Language::kEnglish;
    } else if (flags["language"] != "da") {
      return Usage("replay: --language must be da or en");
    }
  }
  return fristvagt::processor::RunReplay(options);
}

int CheckRules(std::vector<std::string> args) {
  std::string scenarios;  // --scenarios DIR: also replay every scenario (check_rules.h)
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "--scenarios") continue;
    scenarios = args[i + 1];
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
    break;
  }
  if (args.size() > 1) return Usage("check-rules takes at most one directory");
  const std::string dir = args.empty() ? DefaultRulesDir() : args[0];
  std::vector<fristvagt::rules::RuleFileError> errors;
  absl::StatusOr<fristvagt::rules::Catalog> catalog = fristvagt::rules::LoadCatalog(dir, &errors);
  for (const auto& error : errors) std::cerr << error.ToString() << '\n';
  if (!catalog.ok()) {
    std::cerr << "fristvagt check-rules: " << errors.size() << " problem(s) in " << dir << '\n';
    return 1;
  }
  size_t rules = 0;
  for (const auto& regime : catalog->regimes) rules += regime.rules.size();
  std::cout << dir << ": " << catalog->regimes.size() << " regimes, " << rules
            << " rules, no problems";
  if (!catalog->drafts.empty()) std::cout << " (and " << catalog->drafts.size() << " draft(s))";
  std::cout << "\n";
  if (!scenarios.empty()) {
    return fristvagt::processor::CheckScenarios(dir, scenarios, std::cout) == 0 ? 0 : 1;
  }
  return 0;
}

int RulesDoc(const std::vector<std::string>& args) {
  const std::string dir = args.empty() ? DefaultRulesDir() : args[0];
  std::vector<fristvagt::rules::RuleFileError> errors;
  absl::StatusOr<fristvagt::rules::Catalog> catalog = fristvagt::rules::LoadCatalog(dir, &errors);
  if (!catalog.ok()) {
    for (const auto& error : errors) std::cerr << error.ToString() << '\n';
    return 1;
  }
  std::cout << fristvagt::rules::RenderRulesMarkdown(*catalog);
  return 0;
}

// Hidden (not in the usage text): every record of a state dir, for tests and debugging. The
// dump holds person keys in clear text, so it is for a developer's own data only.
int DebugDumpState(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  std::string problem;
  if (!ParseFlags(args, {"state-dir"}, &flags, &problem)) {
    return Usage("debug-dump-state: " + problem);
  }
  if (!flags.count("state-dir")) return Usage("debug-dump-state: --state-dir DIR is required");
  if (absl::Status s = fristvagt::state::DumpStore(flags["state-dir"], &std::cout); !s.ok()) {
    std::cerr << "fristvagt debug-dump-state: " << s.message() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("no command given");
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "replay") return Replay(args);
  if (command == "run") return fristvagt::processor::RunProcessor(args, DefaultRulesDir());
  if (command == "demo") return fristvagt::processor::RunDemo(args, DefaultRulesDir());
  if (command == "broker") return fristvagt::processor::RunBroker(args);
  if (command == "simulate") return fristvagt::processor::RunSimulate(args);
  if (command == "report") return fristvagt::processor::RunReport(args);
  if (command == "compare") return fristvagt::processor::RunCompare(args);
  if (command == "check-rules") return CheckRules(args);
  if (command == "rules-doc") return RulesDoc(args);
  if (command == "debug-dump-state") return DebugDumpState(args);
  if (command == "--help" || command == "help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  return Usage("unknown command '" + command + "'");
}
