// The command line as a user meets it: check-rules on good and broken regime files, replay's
// exit codes, and refusing to run on invalid rules or configuration.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(CliTest, CheckRulesAcceptsTheShippedRegimes) {
  std::string out;
  EXPECT_EQ(testing::RunBinaryCapture("check-rules", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("5 regimes"));
}

TEST(CliTest, CheckRulesNamesFileLineAndKeyOfEachProblem) {
  const testing::TempDir dir;
  fs::copy_file(testing::SourceDir() / "rules" / "regimes" / "lab2016.toml",
                dir.path() / "lab2016.toml");
  std::string text;
  {
    std::ifstream in(dir.path() / "lab2016.toml");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  // A misspelt key and a misspelt event on known lines.
  const size_t at = text.find("due = { days = 7 }");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 18, "due = { dayz = 7 }");
  const size_t met = text.find("{ event = \"meeting_held\" }");
  text.replace(met, 26, "{ event = \"meeting_hold\" }");
  std::ofstream(dir.path() / "lab2016.toml") << text;
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  std::string out;
  EXPECT_EQ(testing::RunBinaryCapture("check-rules " + dir.path().string(), &out), 1);
  EXPECT_THAT(out,
              HasSubstr("lab2016.toml:" + std::to_string(line) + ": rule[first_meeting].due.dayz"));
  EXPECT_THAT(out, HasSubstr("meeting_hold"));
}

// The lines listed under the check-rules coverage header that starts with `header`.
std::vector<std::string> Section(const std::string& out, const std::string& header) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (inside && line.rfind("  ", 0) == 0) {
      lines.push_back(line.substr(2));
      continue;
    }
    inside = line.find(header) != std::string::npos;
  }
  return lines;
}

// Coverage counts obligation outcomes, not only alerts: a rule met in every scenario but never
// breached (or the reverse) is listed, and stops being listed once a scenario reaches it.
TEST(CliTest, CheckRulesReportsRulesNeverMetOrNeverBreached) {
  testing::TempDir dir;
  const fs::path scenarios = testing::SourceDir() / "tests/scenarios/first_meeting";
  auto copy = [&](const std::string& name) {
    for (const char* ext : {".events.jsonl", ".expected"}) {
      fs::copy_file(scenarios / (name + ext), dir.path() / (name + ext));
    }
  };
  const std::string command = "check-rules --scenarios " + dir.path().string();
  const std::string never_met = "obligations never MET or MET_LATE";
  const std::string never_breached = "obligations never BREACHED";

  copy("met_on_time");  // lab2016: the first meeting held in time
  std::string out;
  ASSERT_EQ(testing::RunBinaryCapture(command, &out), 0) << out;
  EXPECT_THAT(Section(out, never_breached), ::testing::Contains("lab2016/first_meeting")) << out;
  EXPECT_THAT(Section(out, never_met), ::testing::Not(::testing::Contains("lab2016/first_meeting")));
  // Opened by the same first contact, never decided within the scenario: neither outcome.
  EXPECT_THAT(Section(out, never_met), ::testing::Contains("lab2016/final_visitation")) << out;
  EXPECT_THAT(Section(out, never_breached), ::testing::Contains("lab2016/final_visitation"));

  copy("breach_then_resolved");  // BREACHED, then MET_LATE
  ASSERT_EQ(testing::RunBinaryCapture(command, &out), 0) << out;
  EXPECT_THAT(Section(out, never_breached),
              ::testing::Not(::testing::Contains("lab2016/first_meeting"))) << out;
  EXPECT_THAT(Section(out, never_met), ::testing::Not(::testing::Contains("lab2016/first_meeting")));
}

TEST(CliTest, ReplayRefusesInvalidRulesAndUnreadableFiles) {
  const testing::TempDir dir;
  std::ofstream(dir.path() / "broken.toml") << "[regime]\nid = 3\n";
  std::string out;
  EXPECT_EQ(
      testing::RunBinaryCapture("replay --events /dev/null --rules " + dir.path().string(), &out),
      1);
  EXPECT_THAT(out, HasSubstr("broken.toml:2"));
  EXPECT_EQ(testing::RunBinaryCapture("replay --events /nonexistent.jsonl", &out), 1);
  EXPECT_THAT(out, HasSubstr("cannot read --events /nonexistent.jsonl"));
  EXPECT_EQ(testing::RunBinaryCapture("replay --events x --bogus 1", &out), 2);
  EXPECT_THAT(out, HasSubstr("--bogus"));
}

TEST(CliTest, RunRefusesAConfigWithAnUnknownKeyNamingFileLineAndKey) {
  const testing::TempDir dir;
  const fs::path config = dir.path() / "fristvagt.toml";
  std::ofstream(config) << "[processing]\nbatch_size = 10\nbatch_sise = 20\n[http]\nport = \"x\"\n";
  std::string out;
  EXPECT_EQ(testing::RunBinaryCapture("run --config " + config.string(), &out), 2);
  EXPECT_THAT(out, HasSubstr(config.string() + ":3: processing.batch_sise: unknown key"));
  EXPECT_THAT(out, HasSubstr(config.string() + ":5: http.port: must be an integer"));
}

TEST(CliTest, EnglishAlertsWithLanguageFlag) {
  const testing::TempDir dir;
  std::string out;
  ASSERT_EQ(testing::RunBinaryCapture(
                "replay --language en --until 2023-09-01T00:00:00+02:00 --events " +
                    (testing::SourceDir() / "docs" / "examples" / "first-weeks.jsonl").string() +
                    " --rejects " + (dir.path() / "r").string(),
                &out),
            0);
  EXPECT_THAT(out, HasSubstr("Missing information transfer to the education institution"));
  EXPECT_THAT(out, HasSubstr("\"kind\":\"BREACH\""));
}

}  // namespace
}  // namespace fristvagt

namespace fristvagt {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Issue 16: --version, help per command, every invalid value a usage error (exit 2) before
// anything starts.
TEST(CliUsageTest, VersionAndHelpPerCommand) {
  std::string out;
  EXPECT_EQ(testing::RunBinaryCapture("--version", &out), 0) << out;
  EXPECT_THAT(out, ::testing::StartsWith("fristvagt 0."));
  EXPECT_EQ(testing::RunBinaryCapture("run --help", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("--config"));
  EXPECT_EQ(testing::RunBinaryCapture("replay --help", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("--events"));
  EXPECT_EQ(testing::RunBinaryCapture("demo --help", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("--persons"));
  EXPECT_EQ(testing::RunBinaryCapture("--help", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("check-rules"));
}

TEST(CliUsageTest, EveryInvalidValueIsAnErrorWithExitCode2) {
  for (const char* args :
       {"demo --persons abc", "demo --persons 10x", "demo --persons -3", "demo --language de",
        "demo --http-port 70000", "replay --events x --batch 0", "replay --events x --language fr",
        "replay --events x --until yesterday", "broker --partitions two", "run --bogus 1",
        "nonsense", "--log-level loud run"}) {
    std::string out;
    EXPECT_EQ(testing::RunBinaryCapture(args, &out), 2) << args << ": " << out;
    EXPECT_THAT(out, Not(HasSubstr("embedded Kafka broker"))) << args;
  }
}

// Start-up failures name the file, line and key, exit 2, and happen before the HTTP port or
// the embedded broker is opened.
TEST(CliUsageTest, StartupFailuresExit2NamingTheKeyBeforeAnyPortOpens) {
  const testing::TempDir dir;
  const fs::path not_a_dir = dir.path() / "plain-file";
  std::ofstream(not_a_dir) << "x";
  struct Case {
    std::string toml;
    std::string expected;
  } cases[] = {
      {"[http]\nallow_unauthenticated = true\n[state]\ndir = \"" + (not_a_dir / "state").string() +
           "\"\n",
       ":4: state.dir: cannot write to " + (not_a_dir / "state").string()},
      {"[kafka]\n\"session.timeout.ms\" = \"soon\"\n[http]\nallow_unauthenticated = true\n",
       ":2: kafka.session.timeout.ms"},
      {"[kafka]\n\"no.such.property\" = 1\n[http]\nallow_unauthenticated = true\n",
       ":2: kafka.no.such.property"},
      {"[http]\nallow_unauthenticated = true\nadvertised_address = \"${FRISTVAGT_TEST_UNSET}\"\n",
       ":3: http.advertised_address: the environment variable FRISTVAGT_TEST_UNSET is not set"},
      {"[log]\nlevel = \"loud\"\n", ":2: log.level"},
  };
  int n = 0;
  for (const Case& c : cases) {
    const fs::path config = dir.path() / ("c" + std::to_string(++n) + ".toml");
    std::ofstream(config) << "[processing]\nshutdown_timeout_ms = 100\n" << c.toml;
    std::string out;
    EXPECT_EQ(testing::RunBinaryCapture("run --config " + config.string(), &out), 2) << out;
    // The file's first two lines are [processing]; the case's lines follow.
    const std::string line = c.expected.substr(1, c.expected.find(':', 1) - 1);
    const std::string shifted =
        ":" + std::to_string(std::stoi(line) + 2) + c.expected.substr(c.expected.find(':', 1));
    EXPECT_THAT(out, HasSubstr(config.string() + shifted)) << out;
    EXPECT_THAT(out, Not(HasSubstr("http://")));
    EXPECT_THAT(out, Not(HasSubstr("embedded Kafka broker")));
  }
  std::string out;
  EXPECT_EQ(testing::RunBinaryCapture("run --config " + (dir.path() / "missing.toml").string(),
                                      &out),
            2);
  EXPECT_THAT(out, HasSubstr("missing.toml: cannot read the configuration file: No such file"));
}

// Not on a terminal (here: a file), every line on stderr is a JSON object, fatal ones too.
// --log-level wins over the file's [log] level (docs/configuration.md). The run stops at the
// HTTP bind (192.0.2.1 is a documentation address, not this machine's), after the info line
// "fristvagt ... starting" and the embedded broker's start.
TEST(CliUsageTest, TheCommandLineLogLevelWinsOverTheConfigFile) {
  const testing::TempDir dir;
  const fs::path config = dir.path() / "quiet.toml";
  std::ofstream(config) << "[processing]\nshutdown_timeout_ms = 100\n[log]\nlevel = \"error\"\n"
                        << "[http]\nallow_unauthenticated = true\nbind = \"192.0.2.1\"\nport = 1\n"
                        << "[state]\ndir = \"" << (dir.path() / "state").string() << "\"\n";
  std::string out;
  EXPECT_EQ(testing::RunBinaryCapture("run --config " + config.string(), &out), 2) << out;
  EXPECT_THAT(out, Not(HasSubstr("starting"))) << out;  // the file's level alone: error
  EXPECT_THAT(out, HasSubstr("http.port: http: cannot listen on 192.0.2.1")) << out;
  EXPECT_EQ(testing::RunBinaryCapture("--log-level info run --config " + config.string(), &out), 2)
      << out;
  EXPECT_THAT(out, HasSubstr("starting")) << out;
}

TEST(CliUsageTest, LogLinesAreJsonWhenNotOnATerminal) {
  std::string out;
  EXPECT_EQ(testing::RunBinaryCapture("run --config /nonexistent/fristvagt.toml", &out), 2);
  ASSERT_FALSE(out.empty());
  for (size_t pos = 0, end; (end = out.find('\n', pos)) != std::string::npos; pos = end + 1) {
    const std::string line = out.substr(pos, end - pos);
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_THAT(line, HasSubstr("\"level\":\"critical\"")) << line;
  }
}

}  // namespace
}  // namespace fristvagt

namespace fristvagt {
namespace {

// Issue 16: replaying into a state dir that has seen the file says so, with a summary.
TEST(CliUsageTest, ReplaySaysWhenTheStateDirHasSeenTheInput) {
  const testing::TempDir dir;
  const std::string args = "replay --events " +
                           (testing::SourceDir() / "docs/examples/first-weeks.jsonl").string() +
                           " --state-dir " + (dir.path() / "state").string() + " --out " +
                           (dir.path() / "alerts.jsonl").string();
  std::string out;
  ASSERT_EQ(testing::RunBinaryCapture(args, &out), 0) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("events applied"));
  ASSERT_EQ(testing::RunBinaryCapture(args, &out), 0) << out;
  EXPECT_THAT(out, ::testing::HasSubstr("had already applied lines 1-21"));
  EXPECT_THAT(out, ::testing::HasSubstr("nothing new to replay"));
}

}  // namespace
}  // namespace fristvagt
