#pragma once
// A small deterministic random source for the cohort simulator. The standard library's
// distributions are implementation-defined, so the same seed could give different cohorts on
// different toolchains; everything here is plain integer arithmetic (SplitMix64), identical
// everywhere. Not thread-safe: each person gets its own stream (Rng::For).

#include <array>
#include <cstdint>
#include <initializer_list>

namespace fristvagt::cohort {

// SplitMix64's finaliser: a bijective 64-bit mix.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(Mix64(seed)) {}

  // An independent stream for one purpose, e.g. For(seed, {kPersonStream, index}).
  static Rng For(uint64_t seed, std::initializer_list<uint64_t> stream) {
    uint64_t h = Mix64(seed);
    for (uint64_t part : stream) h = Mix64(h ^ Mix64(part));
    return Rng(h);
  }

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  bool Chance(double p) { return Uniform() < p; }

  // Uniform integer in [lo, hi]; lo when hi < lo.
  int Between(int lo, int hi) {
    if (hi <= lo) return lo;
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int>(Next() % span);
  }

  // An index drawn with the given (not necessarily normalised) weights.
  template <size_t N>
  int Pick(const std::array<double, N>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = Uniform() * total;
    for (size_t i = 0; i < N; ++i) {
      if (r < weights[i]) return static_cast<int>(i);
      r -= weights[i];
    }
    return static_cast<int>(N - 1);
  }

 private:
  uint64_t state_;
};

}  // namespace fristvagt::cohort
