#include "processor/cli/cohort_commands.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "cohort/calendar.h"
#include "cohort/compare.h"
#include "cohort/manager_page.h"
#include "cohort/obligations.h"
#include "cohort/obligations_topic.h"
#include "cohort/report.h"
#include "cohort/simulator.h"
#include "cohort/truth.h"
#include "processor/base/logging.h"
#include "processor/input/event_decoder.h"
#include "processor/replay/replay.h"

namespace fristvagt::processor {

namespace {

constexpr char kSimulateUsage[] =
    "usage: fristvagt simulate --persons N [--municipalities 25] [--seed 1]\n"
    "                          [--start 2019-01-01] [--months 12] [--out FILE] [--truth FILE]\n";
constexpr char kReportUsage[] =
    "usage: fristvagt report (--state-dir DIR | --bootstrap HOST:PORT [--topic T] |\n"
    "                         --alerts FILE --truth FILE) [--truth FILE] [--csv FILE]\n"
    "                        [--html FILE] [--page FILE]\n";
constexpr char kCompareUsage[] =
    "usage: fristvagt compare --events FILE (--rules A --rules B | --rules A --draft ID)\n"
    "                         [--until TIME] [--csv FILE] [--examples 3]\n";

int UsageError(const std::string& command, const std::string& problem, const char* usage) {
  std::cerr << "fristvagt " << command << ": " << problem << "\n\n" << usage;
  return 2;
}

// --name value pairs; `switches` are flags that may stand without a value.
bool ParseFlags(const std::vector<std::string>& args, const std::set<std::string>& known,
                const std::set<std::string>& switches, std::map<std::string, std::string>* flags,
                std::string* problem) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      *problem = "unexpected argument '" + arg + "'";
      return false;
    }
    const std::string name = arg.substr(2);
    if (!known.count(name) && !switches.count(name)) {
      *problem = "unknown flag '" + arg + "'";
      return false;
    }
    const bool has_value = i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0;
    if (!has_value && !switches.count(name)) {
      *problem = "flag '" + arg + "' needs a value";
      return false;
    }
    (*flags)[name] = has_value ? args[++i] : "";
  }
  return true;
}

// A progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label)
      : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() { Done(); }

  void Update(double done) {
    if (!enabled_) return;
    const int percent = static_cast<int>(done * 100);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    const int filled = percent * kWidth / 100;
    std::fprintf(stderr, "\r%s [%s%s] %3d%%", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), percent);
    std::fflush(stderr);
    drawn_ = true;
  }

  void Done() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    drawn_ = false;
  }

 private:
  static constexpr int kWidth = 40;
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  int last_percent_ = -1;
};

absl::Status WriteLine(std::ostream& out, std::string_view line, const std::string& what) {
  out << line << '\n';
  if (!out) return absl::UnavailableError("cannot write " + what);
  return absl::OkStatus();
}

}  // namespace

int RunSimulate(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  std::string problem;
  if (!ParseFlags(args, {"persons", "municipalities", "seed", "start", "months", "out", "truth"},
                  {"to-kafka"}, &flags, &problem)) {
    return UsageError("simulate", problem, kSimulateUsage);
  }
  if (flags.count("to-kafka")) {
    std::cerr << "fristvagt simulate: --to-kafka is not yet available (it comes with the Kafka "
                 "consumer); write a file with --out and use `fristvagt replay`\n";
    return 2;
  }
  cohort::SimulateOptions options;
  if (!flags.count("persons"))
    return UsageError("simulate", "--persons N is required", kSimulateUsage);
  if (!absl::SimpleAtoi(flags["persons"], &options.persons)) {
    return UsageError("simulate", "--persons must be a number", kSimulateUsage);
  }
  if (flags.count("municipalities") &&
      !absl::SimpleAtoi(flags["municipalities"], &options.municipalities)) {
    return UsageError("simulate", "--municipalities must be a number", kSimulateUsage);
  }
  if (flags.count("seed") && !absl::SimpleAtoi(flags["seed"], &options.seed)) {
    return UsageError("simulate", "--seed must be a non-negative number", kSimulateUsage);
  }
  if (flags.count("months") && !absl::SimpleAtoi(flags["months"], &options.months)) {
    return UsageError("simulate", "--months must be a number", kSimulateUsage);
  }
  if (flags.count("start") && !absl::ParseCivilTime(flags["start"], &options.start)) {
    return UsageError("simulate", "--start must be a date YYYY-MM-DD", kSimulateUsage);
  }
  if (absl::Status s = cohort::ValidateOptions(options); !s.ok()) {
    return UsageError("simulate", std::string(s.message()), kSimulateUsage);
  }

  std::ofstream out_file;
  if (flags.count("out")) {
    out_file.open(flags["out"], std::ios::trunc);
    if (!out_file) {
      std::cerr << "fristvagt simulate: cannot open --out " << flags["out"] << '\n';
      return 1;
    }
  }
  std::ostream& out = out_file.is_open() ? out_file : std::cout;
  std::ofstream truth_file;
  if (flags.count("truth")) {
    truth_file.open(flags["truth"], std::ios::trunc);
    if (!truth_file) {
      std::cerr << "fristvagt simulate: cannot open --truth " << flags["truth"] << '\n';
      return 1;
    }
  }

  ProgressBar bar("simulate");
  cohort::SimulateSinks sinks;
  sinks.format = EventToJson;
  sinks.events = [&](std::string_view line) { return WriteLine(out, line, "the events"); };
  if (truth_file.is_open()) {
    sinks.truth = [&](std::string_view line) { return WriteLine(truth_file, line, "--truth"); };
  }
  sinks.progress = [&](double done) { bar.Update(done); };
  absl::StatusOr<cohort::SimulateStats> stats = cohort::Simulate(options, sinks);
  bar.Done();
  out.flush();
  if (stats.ok() && !out) stats = absl::UnavailableError("cannot write the events");
  if (!stats.ok()) {
    std::cerr << "fristvagt simulate: " << stats.status().message() << '\n';
    return 1;
  }
  const absl::Time end = cohort::PeriodEnd(options);
  std::cerr << "fristvagt simulate: " << stats->persons << " persons (" << stats->out_of_scope
            << " outside the target group) in " << options.municipalities << " municipalities, "
            << absl::FormatCivilTime(options.start) << " to "
            << absl::FormatCivilTime(cohort::DayOf(end)) << ": " << stats->lines << " lines ("
            << stats->redelivered << " re-delivered, " << stats->voided << " voided, "
            << stats->malformed << " malformed)";
  if (truth_file.is_open()) std::cerr << "; " << stats->truth_rows << " obligations in --truth";
  std::cerr << "\nreplay it with --until "
            << absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", end, cohort::LocalZone()) << '\n';
  if (cohort::DayOf(end - absl::Seconds(1)) > absl::CivilDay(2019, 12, 31)) {
    std::cerr << "fristvagt simulate: note: the period reaches past lab2016 (2019-12-31); the "
                 "ground truth models lab2016's rules only\n";
  }
  return 0;
}

int RunReport(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  std::string problem;
  if (!ParseFlags(args, {"alerts", "state-dir", "bootstrap", "topic", "truth", "html", "csv", "page"},
                  {}, &flags, &problem)) {
    return UsageError("report", problem, kReportUsage);
  }
  const int sources = flags.count("alerts") + flags.count("state-dir") + flags.count("bootstrap");
  if (sources != 1) {
    return UsageError("report", "give one of --state-dir, --bootstrap or --alerts", kReportUsage);
  }
  std::optional<std::vector<cohort::TruthRow>> truth;
  if (flags.count("truth")) {
    absl::StatusOr<std::vector<cohort::TruthRow>> rows = cohort::ReadTruthFile(flags["truth"]);
    if (!rows.ok()) {
      std::cerr << "fristvagt report: " << rows.status().message() << '\n';
      return 1;
    }
    truth = *std::move(rows);
  }
  cohort::ComplianceReport report;
  if (flags.count("alerts")) {
    if (!truth) {
      return UsageError("report",
                        "--alerts needs --truth FILE: alerts exist only for obligations that were "
                        "breached or reminded, so the number of obligations comes from the "
                        "simulator's ground truth; --state-dir or --bootstrap need none",
                        kReportUsage);
    }
    absl::StatusOr<cohort::AlertLog> alerts = cohort::ReadAlerts(flags["alerts"]);
    if (!alerts.ok()) {
      std::cerr << "fristvagt report: " << alerts.status().message() << '\n';
      return 1;
    }
    report = cohort::Measure(*alerts, *truth);
  } else {
    absl::StatusOr<cohort::ObligationSet> set =
        flags.count("state-dir")
            ? cohort::ReadStateDir(flags["state-dir"])
            : cohort::ReadObligationsTopic(
                  flags["bootstrap"], flags.count("topic") ? flags["topic"] : "fristvagt.obligations");
    if (!set.ok()) {
      std::cerr << "fristvagt report: " << set.status().message() << '\n';
      return 1;
    }
    report = cohort::MeasureObligations(*std::move(set), truth ? &*truth : nullptr);
  }
  std::cout << cohort::RenderTables(report);
  const std::pair<const char*, std::string (*)(const cohort::ComplianceReport&)> files[] = {
      {"csv", cohort::RenderCsv}, {"html", cohort::RenderHtml}, {"page", cohort::RenderManagerPage}};
  for (const auto& [flag, render] : files) {
    if (!flags.count(flag)) continue;
    std::ofstream file(flags[flag], std::ios::trunc);
    file << render(report);
    file.flush();
    if (!file) {
      std::cerr << "fristvagt report: cannot write --" << flag << ' ' << flags[flag] << '\n';
      return 1;
    }
  }
  return 0;
}

int RunCompare(const std::vector<std::string>& args) {
  // --rules comes twice (A, then B); the flag parser keeps one value per name.
  std::vector<std::string> rules, rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--rules" && i + 1 < args.size()) {
      rules.push_back(args[++i]);
    } else {
      rest.push_back(args[i]);
    }
  }
  std::map<std::string, std::string> flags;
  std::string problem;
  if (!ParseFlags(rest, {"events", "until", "csv", "examples", "draft"}, {}, &flags, &problem)) {
    return UsageError("compare", problem, kCompareUsage);
  }
  // --draft ID: B is A with that draft regime in force (the law as proposed).
  if (flags.count("draft") && rules.size() == 1) rules.push_back(rules[0]);
  if (!flags.count("events") || rules.size() != 2) {
    return UsageError("compare",
                      "--events FILE and --rules twice (A, then B), or --rules A --draft ID, "
                      "are required",
                      kCompareUsage);
  }
  size_t examples = 3;
  if (flags.count("examples") && !absl::SimpleAtoi(flags["examples"], &examples)) {
    return UsageError("compare", "--examples must be a number", kCompareUsage);
  }
  std::optional<absl::Time> until;
  if (flags.count("until")) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, flags["until"], &t, &error)) {
      return UsageError("compare", "--until is not RFC 3339: " + error, kCompareUsage);
    }
    until = t;
  }
  char tmp_template[] = "/tmp/fristvagt-compare-XXXXXX";
  if (mkdtemp(tmp_template) == nullptr) {
    std::cerr << "fristvagt compare: cannot create a temporary directory\n";
    return 1;
  }
  const std::filesystem::path tmp = tmp_template;
  std::vector<cohort::ObligationSet> sets;
  int status = 0;
  for (size_t i = 0; i < 2 && status == 0; ++i) {
    ReplayOptions options;
    options.events_path = flags["events"];
    options.until = until;
    options.rules_dir = rules[i];
    if (i == 1 && flags.count("draft")) options.drafts = {flags["draft"]};
    options.state_dir = (tmp / (i == 0 ? "a" : "b")).string();
    options.out_path = (tmp / (i == 0 ? "a.alerts" : "b.alerts")).string();
    options.rejects_path = (tmp / "rejects").string();
    status = RunReplay(options);
    if (status != 0) break;
    absl::StatusOr<cohort::ObligationSet> set = cohort::ReadStateDir(options.state_dir);
    if (!set.ok()) {
      std::cerr << "fristvagt compare: " << set.status().message() << '\n';
      status = 1;
      break;
    }
    sets.push_back(*std::move(set));
  }
  if (status == 0) {
    const cohort::Comparison comparison = cohort::CompareObligations(
        sets[0], sets[1], [](std::string_view key) { return RedactKey(key); }, examples);
    const std::string name_b =
        flags.count("draft") ? rules[1] + " with draft " + flags["draft"] : rules[1];
    std::cout << cohort::RenderComparison(comparison, rules[0], name_b);
    if (flags.count("csv")) {
      std::ofstream csv(flags["csv"], std::ios::trunc);
      csv << cohort::RenderComparisonCsv(comparison);
      csv.flush();
      if (!csv) {
        std::cerr << "fristvagt compare: cannot write --csv " << flags["csv"] << '\n';
        status = 1;
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  return status;
}

}  // namespace fristvagt::processor
