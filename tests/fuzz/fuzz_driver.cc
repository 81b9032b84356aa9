// Drives a target's LLVMFuzzerTestOneInput without libFuzzer (which needs clang, not in
// Debian's default toolchain here): deterministic mutations of a seed corpus, so a failure in
// CI reproduces from its seed. Every target links this file; see tests/fuzz/README.md.
//
//   TARGET [--iterations N] [--seed S] [--max-len BYTES] [--lines] SEED...
//   TARGET --repro FILE     runs FILE (the whole file, one input) once
//   TARGET --dump-seeds DIR SEED...   writes every seed (hooks' included) as DIR/seed-N
//
// A SEED that is a directory is a libFuzzer-style corpus: each file in it is one input. A SEED
// that is a file is one input, or with --lines one input per line (JSON lines). Mutations: bit
// flips, interesting bytes, truncation, slice duplication, splicing two seeds, random bytes and
// tokens from the target's dictionary. When the target breaks a property it aborts; the driver
// first writes the input to fuzz-crash-TARGET.bin in the working directory, so the crash can be
// replayed with --repro and turned into a test.
//
// Optional hooks a target may define (weak here):
//   FristvagtFuzzSeeds(seeds)  adds derived seeds (e.g. a JSON event's protobuf encoding)
//   FristvagtFuzzDictionary()  tokens worth inserting (TOML keys, HTTP header names, ...)

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
void FristvagtFuzzSeeds(std::vector<std::string>* seeds) __attribute__((weak));
const std::vector<std::string>& FristvagtFuzzDictionary() __attribute__((weak));

namespace {

// The input being run, for the crash handler (which may only use async-signal-safe calls).
const std::string* g_current = nullptr;
char g_crash_path[512];

void OnCrash(int sig) {
  if (g_current != nullptr) {
    const int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ssize_t unused = write(fd, g_current->data(), g_current->size());
      (void)unused;
      close(fd);
    }
    static const char kMsg[] = "fuzz driver: input written to ";
    ssize_t unused = write(2, kMsg, sizeof(kMsg) - 1);
    unused = write(2, g_crash_path, strlen(g_crash_path));
    unused = write(2, "\n", 1);
    (void)unused;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void Run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void AddSeed(const std::filesystem::path& path, bool lines, std::vector<std::string>* seeds) {
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());  // directory order is not deterministic
    for (const auto& file : files) seeds->push_back(ReadAll(file));
    return;
  }
  const std::string text = ReadAll(path);
  if (!lines) {
    seeds->push_back(text);
    return;
  }
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) seeds->push_back(line);
}

std::string Mutate(const std::vector<std::string>& seeds, const std::vector<std::string>& dict,
                   size_t max_len, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  std::string s = seeds[pick(seeds.size())];
  const int rounds = 1 + static_cast<int>(pick(4));
  static const char kInteresting[] = {'\0', '\xff', '"', '{', '}',  '\\', ':', ',',
                                      '\x80', '\x7f', '\n', '[', ']', '=',  '%', '\r'};
  for (int r = 0; r < rounds; ++r) {
    switch (pick(dict.empty() ? 6 : 8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:  // replace a byte with an interesting one
        if (!s.empty()) s[pick(s.size())] = kInteresting[pick(sizeof(kInteresting))];
        break;
      case 2:  // truncate
        s.resize(pick(s.size() + 1));
        break;
      case 3: {  // duplicate a slice
        const size_t from = pick(s.size() + 1);
        const size_t len = pick(s.size() - from + 1);
        s.insert(pick(s.size() + 1), s.substr(from, len));
        break;
      }
      case 4: {  // splice another seed
        const std::string& other = seeds[pick(seeds.size())];
        s = s.substr(0, pick(s.size() + 1)) + other.substr(pick(other.size() + 1));
        break;
      }
      case 5:  // insert random bytes
        for (size_t i = pick(8); i > 0; --i) {
          s.insert(pick(s.size() + 1), 1, static_cast<char>(rng() & 0xff));
        }
        break;
      case 6:  // insert a dictionary token
        s.insert(pick(s.size() + 1), dict[pick(dict.size())]);
        break;
      default: {  // overwrite with a dictionary token
        const std::string& token = dict[pick(dict.size())];
        const size_t at = pick(s.size() + 1);
        s.replace(at, std::min(token.size(), s.size() - at), token);
      }
    }
  }
  if (s.size() > max_len) s.resize(max_len);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 20000;
  uint64_t seed = 1;
  uint64_t max_len = 1 << 20;
  bool lines = false;
  std::string repro, dump;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--iterations" || arg == "--seed" || arg == "--max-len") && i + 1 < argc) {
      uint64_t* target = arg == "--iterations" ? &iterations : arg == "--seed" ? &seed : &max_len;
      if (!absl::SimpleAtoi(argv[++i], target)) {
        std::cerr << arg << ": not a number\n";
        return 2;
      }
    } else if (arg == "--lines") {
      lines = true;
    } else if (arg == "--repro" && i + 1 < argc) {
      repro = argv[++i];
    } else if (arg == "--dump-seeds" && i + 1 < argc) {
      dump = argv[++i];
    } else {
      args.push_back(arg);
    }
  }
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  std::snprintf(g_crash_path, sizeof(g_crash_path), "fuzz-crash-%s.bin", name.c_str());
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, OnCrash);

  if (!repro.empty()) {
    Run(ReadAll(repro));
    std::cout << name << ": " << repro << " ran, no property broken\n";
    return 0;
  }
  std::vector<std::string> seeds = {""};
  for (const std::string& arg : args) AddSeed(arg, lines, &seeds);
  if (FristvagtFuzzSeeds) FristvagtFuzzSeeds(&seeds);
  if (!dump.empty()) {
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream(std::filesystem::path(dump) / ("seed-" + std::to_string(i)), std::ios::binary)
          << seeds[i];
    }
    return 0;
  }
  static const std::vector<std::string> kNoDictionary;
  const std::vector<std::string>& dict =
      FristvagtFuzzDictionary ? FristvagtFuzzDictionary() : kNoDictionary;

  const auto start = std::chrono::steady_clock::now();
  for (const std::string& s : seeds) Run(s);
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < iterations; ++i) {
    Run(Mutate(seeds, dict, max_len, rng));
    if ((i + 1) % 1000000 == 0) {  // long runs: how far they got, should they be stopped
      std::cout << name << ": " << i + 1 << " mutations, no property broken" << std::endl;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << name << ": " << seeds.size() << " seeds, " << iterations << " mutations (seed "
            << seed << ") in " << seconds << " s, no property broken\n";
  return 0;
}
