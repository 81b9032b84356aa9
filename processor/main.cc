// The one binary, `fristvagt`: parses the command line and hands over to a command. Exceptions
// and usage errors stop here; commands report failures through their exit code.

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "processor/replay.h"
#include "rules/regime_loader.h"
#include "rules/rules_doc.h"

#ifndef FRISTVAGT_DEFAULT_RULES_DIR
#define FRISTVAGT_DEFAULT_RULES_DIR "rules/regimes"
#endif

namespace {

constexpr char kUsage[] = R"(usage: fristvagt COMMAND [options]

commands:
  replay --events FILE.jsonl [--until RFC3339] [--out FILE] [--rejects FILE]
         [--state-dir DIR] [--language da|en] [--rules DIR]
      run the rules over a file of case events with the event-driven clock and
      print alerts as JSON lines
  check-rules [DIR]
      validate regime files; prints file:line: key: problem for each error
  rules-doc [DIR]
      print docs/rules.md generated from the regime files

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
                  {"events", "until", "out", "rejects", "state-dir", "language", "rules"},
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

int CheckRules(const std::vector<std::string>& args) {
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
            << " rules, no problems\n";
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("no command given");
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "replay") return Replay(args);
  if (command == "check-rules") return CheckRules(args);
  if (command == "rules-doc") return RulesDoc(args);
  if (command == "--help" || command == "help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  return Usage("unknown command '" + command + "'");
}
