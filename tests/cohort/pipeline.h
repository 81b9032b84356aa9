#pragma once
// The cohort pipeline through the real binary: simulate -> replay -> report, in a scratch
// directory. Shared by the end-to-end and the HTML tests.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/testing/binary.h"

namespace fristvagt::testing {

struct CsvShare {
  int obligations = 0;
  int not_met = 0;
  double measured = 0;
  double truth = 0;  // -1 without a ground truth
  int truth_obligations = 0;
};

class CohortPipeline {
 public:
  std::filesystem::path Path(const std::string& name) const { return dir_.path() / name; }

  // A cohort from the default start (2019-01-01, lab2016) over `months`.
  int Simulate(int persons, int municipalities, int seed, int months) {
    return RunBinary(absl::StrCat(
        "simulate --persons ", persons, " --municipalities ", municipalities, " --seed ", seed,
        " --months ", months, " --out ", Path("events.jsonl").string(), " --truth ",
        Path("truth.csv").string(), " 2>", Path("simulate.err").string()));
  }

  // Replays to the end of the simulated period, as simulate's summary names it.
  int Replay() {
    const std::string summary = Read("simulate.err");
    const size_t at = summary.find("--until ");
    if (at == std::string::npos) return -1;
    const std::string until = summary.substr(at + 8, summary.find_first_of(" \n", at + 8) - at - 8);
    return RunBinary(absl::StrCat("replay --events ", Path("events.jsonl").string(), " --until ",
                                  until, " --out ", Path("alerts.jsonl").string(), " --rejects ",
                                  Path("rejects.jsonl").string()));
  }

  // The same replay, keeping its state in `dir`: what `report --state-dir` reads.
  int ReplayToStateDir(const std::string& dir, const std::string& rules = "") {
    const std::string summary = Read("simulate.err");
    const size_t at = summary.find("--until ");
    if (at == std::string::npos) return -1;
    const std::string until = summary.substr(at + 8, summary.find_first_of(" \n", at + 8) - at - 8);
    return RunBinary(absl::StrCat("replay --events ", Path("events.jsonl").string(), " --until ",
                                  until, " --out ", Path("state-alerts.jsonl").string(),
                                  " --state-dir ", Path(dir).string(), " --rejects ",
                                  Path(dir + ".rejects.jsonl").string(),
                                  rules.empty() ? "" : " --rules " + rules));
  }

  int Report(const std::string& extra = "") {
    return RunBinary(absl::StrCat(
        "report --alerts ", Path("alerts.jsonl").string(), " --truth ", Path("truth.csv").string(),
        " --csv ", Path("report.csv").string(), " ", extra, " >", Path("report.txt").string()));
  }

  std::string Read(const std::string& name) const {
    std::ifstream in(Path(name), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The report's CSV rows of one scope ("all", "group", "municipality"), by "key/rule".
  std::map<std::string, CsvShare> Csv(const std::string& scope) const {
    std::map<std::string, CsvShare> rows;
    std::istringstream in(Read("report.csv"));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      const std::vector<std::string> f = absl::StrSplit(line, ',');
      if (f.size() < 7 || f[0] != scope) continue;
      CsvShare& share = rows[f[1].empty() ? f[2] : absl::StrCat(f[1], "/", f[2])];
      share.obligations = std::stoi(f[3]);
      share.not_met = std::stoi(f[4]);
      share.measured = std::stod(f[5]);
      share.truth = f[6].empty() ? -1 : std::stod(f[6]);
      share.truth_obligations = f.size() > 7 ? std::stoi(f[7]) : share.obligations;
    }
    return rows;
  }

 private:
  TempDir dir_;
};

}  // namespace fristvagt::testing
