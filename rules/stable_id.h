#pragma once
// Stable identifiers: the same inputs give the same id in every build and process, so an
// obligation or alert recomputed after a crash or on another instance has the same id.
// (absl::Hash is deliberately unstable across builds and must not be used for ids.)

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace fristvagt::rules {

// 128-bit FNV-1a over the parts (each followed by a separator), as 32 hex digits.
std::string StableId(std::initializer_list<std::string_view> parts);

// The same hash fed piece by piece, so an id can be computed without building its parts as
// strings (the evaluator hashes person, course, rule and instance for every obligation).
class StableIdHasher {
 public:
  StableIdHasher() = default;
  // Resumes a hash from the lanes of an earlier state (a prefix hashed once, then extended).
  static StableIdHasher Resume(uint64_t a, uint64_t b) {
    StableIdHasher h;
    h.a_ = a;
    h.b_ = b;
    return h;
  }
  void Add(std::string_view bytes) {
    for (char c : bytes) Mix(static_cast<unsigned char>(c));
  }
  void EndPart() { Mix(0x1f); }
  uint64_t a() const { return a_; }
  uint64_t b() const { return b_; }

  // Adds bytes[k] to hashers[k] for every k < n: the same result as hashers[k].Add(bytes[k]),
  // computed four at a time in lockstep. Each lane is a chain of dependent multiplies (about six
  // cycles a byte), so one hash leaves the multiplier mostly idle; four independent chains run
  // in little more than the time of one (issue 14: ids were a quarter of an evaluation).
  static void AddInterleaved(StableIdHasher* hashers, const std::string_view* bytes, size_t n);

 private:
  void Mix(unsigned char c) {
    constexpr uint64_t kPrime = 0x100000001b3ULL;
    a_ = (a_ ^ c) * kPrime;
    b_ = (b_ ^ static_cast<unsigned char>(c + 0x5b)) * kPrime;
    b_ ^= b_ >> 29;
  }
  uint64_t a_ = 0xcbf29ce484222325ULL;
  uint64_t b_ = 0x84222325cbf29ce4ULL;
};

// "%016x%016x" of the two lanes.
std::string StableIdText(uint64_t a, uint64_t b);

}  // namespace fristvagt::rules
