// The one binary, `fristvagt`: parses the command line with CLI11 and hands over to a
// command. Every invalid value is a usage error with exit code 2 before anything starts;
// `fristvagt COMMAND --help` explains one command. Commands report failures through their
// exit code.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "processor/base/logging.h"
#include "processor/cli/check_rules.h"
#include "processor/cli/cohort_commands.h"
#include "processor/cli/run_commands.h"
#include "processor/cli/version.h"
#include "processor/replay/replay.h"
#include "rules/regime_loader.h"
#include "rules/rules_doc.h"
#include "state/rocksdb_store.h"

namespace {

namespace fs = std::filesystem;
using fristvagt::processor::LogFatal;

constexpr char kFooter[] = R"(
The rules directory is, in this order: --rules, [rules] dir in the configuration,
$FRISTVAGT_RULES, or ../share/fristvagt/regimes next to the binary (where `cmake --install`
puts it). Logs: JSON lines on stderr unless stderr is a terminal; --log-level or
$FRISTVAGT_LOG_LEVEL sets the level. Documentation: README.md, docs/.)";

// Where `cmake --install` puts the regimes relative to the binary (bin/../share/...). A build
// tree mirrors that layout (processor/CMakeLists.txt), so one rule serves both.
std::string DefaultRulesDir() {
  const char* env = std::getenv("FRISTVAGT_RULES");
  if (env != nullptr && *env != '\0') return env;
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return "share/fristvagt/regimes";
  return (exe.parent_path() / ".." / "share" / "fristvagt" / "regimes").lexically_normal();
}

// The options a subcommand was given, as "--name value" pairs, for the commands that take an
// argument list (their own checks stay; CLI11 has checked every value already).
std::vector<std::string> GivenOptions(const CLI::App& command) {
  std::vector<std::string> args;
  for (const CLI::Option* option : command.get_options()) {
    if (option->count() == 0 || option->get_lnames().empty()) continue;
    if (option->get_lnames()[0] == "help") continue;
    for (const std::string& value : option->results()) {
      args.push_back("--" + option->get_lnames()[0]);
      args.push_back(value);
    }
  }
  return args;
}

int CheckRules(const std::string& dir, const std::string& scenarios) {
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

int RulesDoc(const std::string& dir) {
  std::vector<fristvagt::rules::RuleFileError> errors;
  absl::StatusOr<fristvagt::rules::Catalog> catalog = fristvagt::rules::LoadCatalog(dir, &errors);
  if (!catalog.ok()) {
    for (const auto& error : errors) std::cerr << error.ToString() << '\n';
    return 1;
  }
  std::cout << fristvagt::rules::RenderRulesMarkdown(*catalog);
  return 0;
}

// Every record of a state dir, for tests and debugging. The dump holds person keys in clear
// text, so it is for a developer's own data only.
int DebugDumpState(const std::string& dir) {
  if (absl::Status s = fristvagt::state::DumpStore(dir, &std::cout); !s.ok()) {
    std::cerr << "fristvagt debug-dump-state: " << s.message() << '\n';
    return 1;
  }
  return 0;
}

// A language option: da or en, anything else is a usage error.
CLI::Option* AddLanguage(CLI::App* command, std::string* language) {
  return command->add_option("--language", *language, "alert texts: da (Danish) or en")
      ->check(CLI::IsMember({"da", "en"}));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fristvagt: legal deadlines of the Danish youth effort (README.md)", "fristvagt"};
  app.set_version_flag("--version", std::string("fristvagt ") + FRISTVAGT_VERSION);
  app.require_subcommand(1);
  app.footer(kFooter);
  std::string log_level;
  app.add_option("--log-level", log_level, "trace, debug, info (default), warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  // demo
  CLI::App* demo = app.add_subcommand(
      "demo",
      "the whole system in a minute: an embedded Kafka broker, a synthetic cohort of case "
      "events, the processor, and the alerts as they happen");
  int persons = 0, seed = 0, http_port = 0;
  std::string language = "da", state_dir;
  demo->add_option("--persons", persons, "young people in the synthetic cohort")
      ->check(CLI::Range(1, 1000000));
  demo->add_option("--seed", seed, "seed of the synthetic cohort");
  AddLanguage(demo, &language);
  demo->add_option("--http-port", http_port, "serve the query API on 127.0.0.1 (no token)")
      ->check(CLI::Range(0, 65535));
  demo->add_option("--state-dir", state_dir, "keep the state here (default: a temporary dir)");

  // run
  CLI::App* run = app.add_subcommand(
      "run",
      "the processor; without kafka.\"bootstrap.servers\" it starts an embedded Kafka-protocol "
      "broker (docs/configuration.md)");
  std::string config_file;
  run->add_option("--config", config_file, "the TOML configuration (docs/configuration.md)");

  // broker
  CLI::App* broker = app.add_subcommand("broker", "the embedded broker alone, until SIGTERM");
  int partitions = 0, brokers = 0;
  std::string port_file;
  broker->add_option("--partitions", partitions, "partitions per topic")
      ->check(CLI::Range(1, 1024));
  broker->add_option("--brokers", brokers, "brokers in the cluster")->check(CLI::Range(1, 9));
  broker->add_option("--port-file", port_file, "write the bootstrap address here");

  // replay
  CLI::App* replay = app.add_subcommand(
      "replay",
      "run the rules over a file of case events with the event-driven clock and print alerts "
      "as JSON lines");
  fristvagt::processor::ReplayOptions replay_options;
  std::string until, replay_language = "da", rules_dir;
  int batch = 0;
  replay->add_option("--events", replay_options.events_path, "case events, one JSON per line")
      ->required();
  replay->add_option("--until", until, "move the clock to this RFC 3339 time at the end");
  replay->add_option("--out", replay_options.out_path, "alerts (default: stdout)");
  replay->add_option("--rejects", replay_options.rejects_path, "rejected lines as JSON lines");
  replay->add_option("--obligations", replay_options.obligations_path,
                     "what the obligations topic would receive, as JSON lines (the last line "
                     "per obligation_id is its final status)");
  replay->add_option("--state-dir", replay_options.state_dir,
                     "keep the state in RocksDB here; a later run continues from it");
  AddLanguage(replay, &replay_language);
  replay->add_option("--rules", rules_dir, "the regime files");
  replay->add_option("--batch", batch, "events per commit")->check(CLI::Range(1, 10000000));
  std::vector<std::string> drafts;
  replay->add_option("--drafts", drafts, "draft regimes to switch on, e.g. lab2027")
      ->delimiter(',');

  // check-rules, rules-doc
  std::string rules_arg;
  CLI::App* check_rules = app.add_subcommand(
      "check-rules", "validate regime files; prints file:line: key: problem for each error");
  check_rules->add_option("dir", rules_arg, "the regime files (default: see below)");
  std::string scenarios_dir;
  check_rules->add_option("--scenarios", scenarios_dir,
                          "also replay every scenario of DIR and compare with its .expected");
  CLI::App* rules_doc =
      app.add_subcommand("rules-doc", "print docs/rules.md generated from the regime files");
  rules_doc->add_option("dir", rules_arg, "the regime files (default: see below)");

  // simulate, report (cohort/README.md): their options are listed for --help, and checked,
  // with any others, by the commands themselves (cohort_commands.cc; exit 2 on a bad value).
  std::string cohort_value;
  CLI::App* simulate = app.add_subcommand(
      "simulate",
      "a synthetic cohort calibrated to STAR's fokusrevision: case events (JSON lines) and "
      "the ground truth per obligation (CSV)");
  simulate->allow_extras();
  for (const char* name : {"--persons", "--municipalities", "--seed", "--start", "--months",
                           "--out", "--truth"}) {
    simulate->add_option(name, cohort_value);
  }
  CLI::App* report = app.add_subcommand(
      "report",
      "share of obligations met in time per kontrolpunkt, group and municipality, beside the "
      "fokusrevision's figures");
  report->allow_extras();
  for (const char* name :
       {"--state-dir", "--bootstrap", "--alerts", "--truth", "--csv", "--html", "--page"}) {
    report->add_option(name, cohort_value);
  }
  CLI::App* compare = app.add_subcommand(
      "compare",
      "the same events under two regime sets: obligations and breaches that appear, disappear "
      "or change, per rule and municipality");
  compare->allow_extras();
  std::vector<std::string> compare_rules;
  for (const char* name : {"--events", "--until", "--csv"}) compare->add_option(name, cohort_value);
  compare->add_option("--rules", compare_rules, "a regime set (twice: A and B)");
  // Not in the help: every record of a state dir, person keys in clear text.
  CLI::App* dump = app.add_subcommand("debug-dump-state", "");
  dump->group("");
  std::string dump_dir;
  dump->add_option("--state-dir", dump_dir)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    const CLI::App* failed = nullptr;
    for (const CLI::App* sub : app.get_subcommands()) failed = sub;
    LogFatal(std::string("usage: ") + e.what() + "; see fristvagt " +
             (failed != nullptr ? failed->get_name() + " " : "") + "--help");
    return 2;
  }
  if (!log_level.empty()) {
    // Kept over the configuration file's [log] level (flags over file).
    fristvagt::processor::SetCommandLineLogLevel(*fristvagt::processor::ParseLogLevel(log_level));
  }

  using namespace fristvagt::processor;
  if (*demo) return RunDemo(GivenOptions(*demo), DefaultRulesDir());
  if (*run) return RunProcessor(GivenOptions(*run), DefaultRulesDir());
  if (*broker) return RunBroker(GivenOptions(*broker));
  const auto with_extras = [](const CLI::App& command) {
    std::vector<std::string> args = GivenOptions(command);
    for (const std::string& extra : command.remaining()) args.push_back(extra);
    return args;
  };
  if (*simulate) return RunSimulate(with_extras(*simulate));
  if (*report) return RunReport(with_extras(*report));
  if (*compare) return RunCompare(with_extras(*compare));
  if (*check_rules) {
    return CheckRules(rules_arg.empty() ? DefaultRulesDir() : rules_arg, scenarios_dir);
  }
  if (*rules_doc) return RulesDoc(rules_arg.empty() ? DefaultRulesDir() : rules_arg);
  if (*dump) return DebugDumpState(dump_dir);
  // replay
  replay_options.rules_dir = rules_dir.empty() ? DefaultRulesDir() : rules_dir;
  if (batch > 0) replay_options.events_per_batch = static_cast<size_t>(batch);
  replay_options.drafts = drafts;
  if (!until.empty()) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, until, &time, &error)) {
      LogFatal("usage: replay: --until '" + until + "' is not RFC 3339: " + error);
      return 2;
    }
    replay_options.until = time;
  }
  if (replay_language == "en") replay_options.language = fristvagt::alerts::Language::kEnglish;
  return RunReplay(replay_options);
}
