#include "rules/stable_id.h"

#include <cstdint>
#include <string>

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
  // Hand-rolled "%016x%016x": StrFormat was 2 % of the replay profile (issue 8).
  constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int i = 15; i >= 0; --i, a >>= 4, b >>= 4) {
    id[i] = kHex[a & 0xf];
    id[16 + i] = kHex[b & 0xf];
  }
  return id;
}

}  // namespace fristvagt::rules
