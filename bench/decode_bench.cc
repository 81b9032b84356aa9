// decode_bench: CPU time per JSON case event through EventDecoder::FromJson (the simdjson fast
// path, issue 15) against the generic protobuf JSON path it replaced (FromJsonGeneric),
// measured in the same run over the same lines. A plain program, not a test
// (conventions.md); figures and command in docs/benchmarks.md.
//
//   decode_bench [--events N] [--runs N] [--markdown FILE] [FILE.jsonl ...]
//
// The lines are replay_bench's cohort (first contact, meeting, test need assessment, printed
// by EventToJson) followed by every line of the given files (e.g. the scenario events), so the
// mix holds every payload kind the files do, rejected lines included. Every line is decoded
// both ways first and the results compared (same event bytes, or same rejection code and
// message); a difference stops the program.

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/bench_events.h"
#include "processor/input/event_decoder.h"

namespace {

namespace processor = fristvagt::processor;

double ThreadCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string Describe(const processor::DecodeResult& result) {
  if (const auto* event = std::get_if<fristvagt::v1::CaseEvent>(&result)) {
    return "event " + event->SerializeAsString();
  }
  const auto& rejection = std::get<processor::Rejection>(result);
  return "rejection " + std::string(processor::RejectCodeName(rejection.code)) + " " +
         rejection.message;
}

// µs of CPU per line, decoding every line `passes` times.
template <typename Decode>
double MicrosPerLine(const std::vector<std::string>& lines, int passes, Decode decode) {
  size_t accepted = 0;
  const double began = ThreadCpuSeconds();
  for (int pass = 0; pass < passes; ++pass) {
    for (const std::string& line : lines) {
      accepted += std::holds_alternative<fristvagt::v1::CaseEvent>(decode(line));
    }
  }
  const double seconds = ThreadCpuSeconds() - began;
  if (accepted == 0) std::cerr << "decode_bench: nothing accepted\n";
  return seconds * 1e6 / (static_cast<double>(lines.size()) * passes);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string Runs(const std::vector<double>& v) {
  std::string out;
  for (double x : v) absl::StrAppend(&out, out.empty() ? "" : ", ", absl::StrFormat("%.2f", x));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = 30000;
  int runs = 3;
  std::string markdown_path;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--events" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &events)) {
      ++i;
    } else if (flag == "--runs" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &runs) &&
               runs > 0) {
      ++i;
    } else if (flag == "--markdown" && i + 1 < argc) {
      markdown_path = argv[++i];
    } else if (flag.rfind("--", 0) == 0) {
      std::cerr << "usage: decode_bench [--events N] [--runs N] [--markdown FILE] [FILE ...]\n";
      return 2;
    } else {
      files.push_back(flag);
    }
  }
  std::vector<std::string> lines;
  const absl::Time start = absl::FromUnixSeconds(1704092400);  // 2024-01-01T07:00:00Z
  for (uint64_t i = 0; lines.size() < events; ++i) {
    for (auto kind : {fristvagt::bench::Kind::kFirstContact, fristvagt::bench::Kind::kMeeting,
                      fristvagt::bench::Kind::kTestNeed}) {
      const absl::Time at = start + absl::Minutes(static_cast<int64_t>(i));
      lines.push_back(processor::EventToJson(fristvagt::bench::MakeEvent({at, i, kind})));
    }
  }
  const size_t cohort_lines = lines.size();
  for (const std::string& path : files) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  const processor::EventDecoder decoder;
  for (const std::string& line : lines) {
    const std::string fast = Describe(decoder.FromJson(line));
    const std::string generic = Describe(decoder.FromJsonGeneric(line));
    if (fast != generic) {
      std::cerr << "decode_bench: the two paths differ on a line:\n" << line << '\n';
      return 1;
    }
  }
  std::vector<double> fast, generic, ratio;
  for (int run = 0; run < runs; ++run) {
    generic.push_back(MicrosPerLine(lines, 1, [&](const std::string& line) {
      return decoder.FromJsonGeneric(line);
    }));
    fast.push_back(MicrosPerLine(lines, 5, [&](const std::string& line) {
      return decoder.FromJson(line);
    }));
    ratio.push_back(generic.back() / fast.back());
    std::cout << "run " << run + 1 << ": fast " << fast.back() << " µs/event, generic "
              << generic.back() << " µs/event\n";
  }
  const std::string markdown = absl::StrCat(
      "### decode_bench: ", lines.size(), " JSON lines (", cohort_lines, " cohort events + ",
      lines.size() - cohort_lines, " lines of ", files.size(), " files), ", runs, " runs\n\n",
      "| figure | median | runs | baseline (median) | ratio (median) |\n|---|---|---|---|---|\n",
      "| JSON decode, µs of CPU per event (simdjson fast path) | **",
      absl::StrFormat("%.2f", Median(fast)), "** | ", Runs(fast), " | ",
      absl::StrFormat("%.2f", Median(generic)),
      " (generic protobuf JSON path, same lines; runs ", Runs(generic), ") | ",
      absl::StrFormat("%.1fx faster", Median(ratio)), " |\n");
  std::cout << '\n' << markdown;
  if (!markdown_path.empty()) {
    std::ofstream out(markdown_path);
    out << markdown;
  }
  return 0;
}
