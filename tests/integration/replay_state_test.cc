// `fristvagt replay --state-dir` keeps its promises when run as the real binary
// (architecture.md, "Guarantees"): a file replayed in two parts into one state dir gives
// exactly the alerts of one run over the whole file, deadlines between the parts included; a
// run killed (SIGKILL) at many points and restarted with the same arguments ends with the same
// alert ids, repeats only byte-identical lines, and leaves the same state as a run that was
// never killed.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;

constexpr char kUntil[] = "2023-07-01T00:00:00Z";

// Runs the binary with `args` and extra environment; the exit code, or -signal when killed.
// stdout and stderr go to `log` (appended).
int RunFristvagt(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, const fs::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    const std::string binary = testing::BinaryPath();
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void WriteLines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const std::string& line : lines) out << line << '\n';
}

std::vector<std::string> ReadLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string Field(const std::string& json, const std::string& name) {
  const std::regex pattern("\"" + name + "\":\"([^\"]*)\"");
  std::smatch match;
  return std::regex_search(json, match, pattern) ? match[1].str() : "";
}

absl::Time ParseTime(const std::string& rfc3339) {
  absl::Time t = absl::InfinitePast();
  std::string error;
  absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error);
  return t;
}

// person_erased drops the person's alerts still waiting in the outbox, and how many wait at
// that moment depends on where the runs stopped (replay drains every 1000 lines and at the
// end). So comparisons leave out the lines about persons the file erases.
std::vector<std::string> WithoutErased(const std::vector<std::string>& lines,
                                       const std::vector<std::string>& events) {
  std::vector<std::string> erased;
  for (const std::string& event : events) {
    if (event.find("\"person_erased\"") != std::string::npos) {
      erased.push_back(Field(event, "person_key"));
    }
  }
  std::vector<std::string> kept;
  for (const std::string& line : lines) {
    const bool about_erased = std::any_of(erased.begin(), erased.end(), [&](const auto& key) {
      return line.find(key + "\"") != std::string::npos ||
             line.find(key + "\\\"") != std::string::npos;  // inside an escaped input
    });
    if (!about_erased) kept.push_back(line);
  }
  return kept;
}

// The line index in the middle third of `lines` with the longest pause in recorded_at before
// it: timers due in that pause fire between the two parts.
size_t SplitAtLongestPause(const std::vector<std::string>& lines) {
  size_t best = lines.size() / 2;
  absl::Duration longest = absl::ZeroDuration();
  for (size_t i = lines.size() / 3; i < 2 * lines.size() / 3; ++i) {
    const absl::Time before = ParseTime(Field(lines[i - 1], "recorded_at"));
    const absl::Time after = ParseTime(Field(lines[i], "recorded_at"));
    if (before == absl::InfinitePast() || after == absl::InfinitePast()) continue;
    if (after - before > longest) {
      longest = after - before;
      best = i;
    }
  }
  return best;
}

class ReplayStateTest : public ::testing::Test {
 protected:
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  // `replay` with the given flags; fails the test on a non-zero exit.
  void Replay(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {"replay"};
    args.insert(args.end(), flags.begin(), flags.end());
    ASSERT_EQ(RunFristvagt(args, {}, Path("log")), 0) << ReadAll(Path("log"));
  }

  std::string Dump(const fs::path& state_dir) {
    const fs::path out = Path("dump-" + state_dir.filename().string());
    EXPECT_EQ(RunFristvagt({"debug-dump-state", "--state-dir", state_dir.string()}, {}, out), 0);
    return ReadAll(out);
  }

  static std::string ReadAll(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  testing::TempDir dir_;
};

TEST_F(ReplayStateTest, TwoPartsIntoOneStateDirEqualOneRunOverTheWholeFile) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 200});
  ASSERT_GT(lines.size(), 600u);
  const size_t split = SplitAtLongestPause(lines);
  WriteLines(Path("whole.jsonl"), lines);
  WriteLines(Path("part1.jsonl"), {lines.begin(), lines.begin() + split});
  WriteLines(Path("part2.jsonl"), {lines.begin() + split, lines.end()});

  Replay({"--events", Path("whole.jsonl"), "--until", kUntil, "--out", Path("whole.out"),
          "--rejects", Path("whole.rejects")});
  Replay({"--events", Path("part1.jsonl"), "--state-dir", Path("state"), "--out", Path("parts.out"),
          "--rejects", Path("parts.rejects")});
  const size_t after_part1 = ReadLines(Path("parts.out")).size();
  Replay({"--events", Path("part2.jsonl"), "--state-dir", Path("state"), "--until", kUntil, "--out",
          Path("parts.out"), "--rejects", Path("parts.rejects")});

  const std::vector<std::string> whole = Sorted(WithoutErased(ReadLines(Path("whole.out")), lines));
  const std::vector<std::string> parts = Sorted(WithoutErased(ReadLines(Path("parts.out")), lines));
  ASSERT_GT(whole.size(), 500u);
  EXPECT_EQ(std::set<std::string>(whole.begin(), whole.end()).size(), whole.size());
  EXPECT_EQ(parts, whole);  // same lines, each once

  // The split is meaningful: alerts were raised by timers between the two parts' events.
  const absl::Time end1 = ParseTime(Field(lines[split - 1], "recorded_at"));
  const absl::Time start2 = ParseTime(Field(lines[split], "recorded_at"));
  ASSERT_LT(end1, start2);
  const std::vector<std::string> raw_parts = ReadLines(Path("parts.out"));
  int between = 0;
  for (size_t i = after_part1; i < raw_parts.size(); ++i) {
    const absl::Time raised = ParseTime(Field(raw_parts[i], "raised_at"));
    if (raised > end1 && raised < start2) ++between;
  }
  EXPECT_GT(between, 0) << "no deadline fell between " << end1 << " and " << start2;
  // Dead letters: line numbers are per file, so compare how many.
  EXPECT_EQ(WithoutErased(ReadLines(Path("whole.rejects")), lines).size(),
            WithoutErased(ReadLines(Path("parts.rejects")), lines).size());
}

TEST_F(ReplayStateTest, ReplayingAnAppliedFileAgainAddsNothing) {
  WriteLines(Path("events.jsonl"), testing::SyntheticEventLines({.persons = 40, .seed = 2}));
  const std::vector<std::string> flags = {
      "--events", Path("events.jsonl"), "--state-dir", Path("state"),
      "--out",    Path("out"),          "--rejects",   Path("rejects")};
  Replay(flags);
  const std::vector<std::string> first = ReadLines(Path("out"));
  ASSERT_FALSE(first.empty());
  Replay(flags);
  EXPECT_EQ(ReadLines(Path("out")), first);
  fs::rename(Path("events.jsonl"), Path("moved.jsonl"));  // the same file under another name
  Replay({"--events", Path("moved.jsonl"), "--state-dir", Path("state"), "--out", Path("out"),
          "--rejects", Path("rejects")});
  EXPECT_EQ(ReadLines(Path("out")), first);
  // Each run logs its summary; the re-runs also say the state dir had seen the input, and
  // nothing is a warning or an error.
  const std::string log = ReadAll(Path("log"));
  EXPECT_NE(log.find("had already applied lines 1-"), std::string::npos) << log;
  EXPECT_NE(log.find("moved.jsonl; they were skipped"), std::string::npos) << log;
  EXPECT_EQ(log.find("\"level\":\"warning\""), std::string::npos) << log;
  EXPECT_EQ(log.find("\"level\":\"error\""), std::string::npos) << log;
}

TEST_F(ReplayStateTest, StateDirOfAnotherKindIsRefusedWithAClearMessage) {
  fs::create_directories(Path("state"));
  WriteLines(Path("state") / "notes.txt", {"not a database"});
  WriteLines(Path("events.jsonl"), testing::SyntheticEventLines({.persons = 2}));
  EXPECT_EQ(RunFristvagt({"replay", "--events", Path("events.jsonl"), "--state-dir", Path("state")},
                         {}, Path("log")),
            1);
  const std::string log = ReadAll(Path("log"));
  EXPECT_NE(log.find(Path("state").string()), std::string::npos) << log;
  EXPECT_NE(log.find("no RocksDB database"), std::string::npos) << log;
}

// Kill points: the Nth commit of a process, before or after it is written, or after an
// outbox chunk was written to --out and before its removal was committed.
TEST_F(ReplayStateTest, KilledAndRestartedRunsEndLikeAnUninterruptedRun) {
  const std::vector<std::string> events = testing::SyntheticEventLines({.persons = 400, .seed = 3});
  WriteLines(Path("events.jsonl"), events);
  auto flags = [this](const std::string& tag) {
    return std::vector<std::string>{"replay", "--events", Path("events.jsonl"), "--until", kUntil,
                                    "--state-dir", Path(tag + ".state"), "--out",
                                    Path(tag + ".out"), "--rejects", Path(tag + ".rejects"),
                                    // Small batches: many commits, so many kill points.
                                    "--batch", "20"};
  };
  ASSERT_EQ(RunFristvagt(flags("clean"), {}, Path("log")), 0) << ReadAll(Path("log"));

  std::mt19937 random(20240611);
  const std::vector<std::string> modes = {"state.before_commit", "state.after_commit",
                                          "replay.after_output"};
  int kills = 0;
  int runs = 0;
  for (int exit_code = -1; exit_code != 0; ++runs) {
    ASSERT_LT(runs, 200) << "no progress";
    std::map<std::string, std::string> env;
    if (runs < 24) {
      // replay.after_output kills at the Nth output flush: with a small N that is the
      // restart's re-send of what the previous run left in the outbox.
      const std::string& mode = modes[runs % modes.size()];
      env["FRISTVAGT_CRASH_AT"] =
          mode + ":" + std::to_string(1 + random() % (mode == "replay.after_output" ? 2 : 12));
    }
    exit_code = RunFristvagt(flags("killed"), env, Path("log"));
    if (exit_code == -SIGKILL) ++kills;
    ASSERT_TRUE(exit_code == 0 || exit_code == -SIGKILL) << exit_code << ReadAll(Path("log"));
  }
  EXPECT_GE(kills, 20);

  const std::vector<std::string> clean = WithoutErased(ReadLines(Path("clean.out")), events);
  const std::vector<std::string> killed = WithoutErased(ReadLines(Path("killed.out")), events);
  std::map<std::string, std::string> clean_by_id;
  for (const std::string& line : clean) clean_by_id[Field(line, "alert_id")] = line;
  ASSERT_EQ(clean_by_id.size(), clean.size());
  std::map<std::string, std::string> killed_by_id;
  for (const std::string& line : killed) {
    const std::string id = Field(line, "alert_id");
    ASSERT_FALSE(id.empty()) << line;
    auto [it, inserted] = killed_by_id.emplace(id, line);
    EXPECT_EQ(it->second, line) << "alert " << id << " was sent twice with different bytes";
  }
  EXPECT_EQ(killed_by_id, clean_by_id);
  EXPECT_GT(killed.size(), killed_by_id.size()) << "no kill made the restart re-send a line";
  std::set<std::string> clean_rejects, killed_rejects;
  for (const std::string& line : WithoutErased(ReadLines(Path("clean.rejects")), events)) {
    clean_rejects.insert(line);
  }
  for (const std::string& line : WithoutErased(ReadLines(Path("killed.rejects")), events)) {
    killed_rejects.insert(line);
  }
  EXPECT_EQ(killed_rejects, clean_rejects);
  EXPECT_EQ(Dump(Path("killed.state")), Dump(Path("clean.state")));
}

}  // namespace
}  // namespace fristvagt
