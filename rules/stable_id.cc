#include "rules/stable_id.h"

#include <cstdint>

#include "absl/strings/str_format.h"

namespace fristvagt::rules {

std::string StableId(std::initializer_list<std::string_view> parts) {
  // Two independent 64-bit FNV-1a lanes: simple, portable and stable; collisions across a
  // caseload of millions are negligible at 128 bits.
  uint64_t a = 0xcbf29ce484222325ULL;
  uint64_t b = 0x84222325cbf29ce4ULL;
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  auto mix = [&](unsigned char c) {
    a = (a ^ c) * kPrime;
    b = (b ^ static_cast<unsigned char>(c + 0x5b)) * kPrime;
    b ^= b >> 29;
  };
  for (std::string_view part : parts) {
    for (char c : part) mix(static_cast<unsigned char>(c));
    mix(0x1f);
  }
  return absl::StrFormat("%016x%016x", a, b);
}

}  // namespace fristvagt::rules
