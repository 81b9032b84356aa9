// The command line as a user meets it: check-rules on good and broken regime files, replay's
// exit codes, and refusing to run on invalid rules or configuration.

#include <filesystem>
#include <fstream>

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
  EXPECT_THAT(out, HasSubstr("unknown flag '--bogus'"));
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
