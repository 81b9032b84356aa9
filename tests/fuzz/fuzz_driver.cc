// Drives LLVMFuzzerTestOneInput without libFuzzer (which needs clang): reads seed files (JSON
// lines, one input per line, each also fed as its protobuf encoding), then applies
// `--iterations` deterministic mutations (bit flips, byte changes, truncation, duplication,
// splicing two seeds, interesting bytes) from `--seed`. Exits non-zero only by crashing, which
// is what the target does when a property breaks.
//
//   event_decoder_fuzz [--iterations N] [--seed S] SEED_FILE...

#include <cstdint>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/numbers.h"
#include "processor/event_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

std::vector<std::string> LoadSeeds(const std::vector<std::string>& files) {
  const fristvagt::processor::EventDecoder decoder;
  std::vector<std::string> seeds = {"", "{}", "null", "\x0a\x00", "{\"event_id\":1}"};
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "cannot read " << file << "\n";
      std::exit(2);
    }
    for (std::string line; std::getline(in, line);) {
      seeds.push_back(line);
      auto decoded = decoder.FromJson(line);
      if (auto* event = std::get_if<fristvagt::v1::CaseEvent>(&decoded)) {
        seeds.push_back(event->SerializeAsString());
      }
    }
  }
  return seeds;
}

std::string Mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  std::string s = seeds[pick(seeds.size())];
  const int rounds = 1 + static_cast<int>(pick(4));
  static const char kInteresting[] = {'\0', '\xff', '"', '{', '}', '\\', ':', ',', '\x80', '\x7f'};
  for (int r = 0; r < rounds; ++r) {
    switch (pick(6)) {
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
      default:  // insert random bytes
        for (size_t i = pick(8); i > 0; --i) {
          s.insert(pick(s.size() + 1), 1, static_cast<char>(rng() & 0xff));
        }
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t iterations = 20000;
  uint64_t seed = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--iterations" || arg == "--seed") && i + 1 < argc) {
      uint64_t* target = arg == "--iterations" ? &iterations : &seed;
      if (!absl::SimpleAtoi(argv[++i], target)) {
        std::cerr << arg << ": not a number\n";
        return 2;
      }
    } else {
      files.push_back(arg);
    }
  }
  const std::vector<std::string> seeds = LoadSeeds(files);
  for (const std::string& s : seeds) Run(s);
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < iterations; ++i) Run(Mutate(seeds, rng));
  std::cout << "event_decoder_fuzz: " << seeds.size() << " seeds, " << iterations
            << " mutations, no property broken\n";
  return 0;
}
