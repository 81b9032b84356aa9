#include "rules/stable_id.h"

#include <cstdint>
#include <string>

namespace fristvagt::rules {

std::string StableIdText(uint64_t a, uint64_t b) {
  // Hand-rolled "%016x%016x": StrFormat was 2 % of the replay profile (issue 8).
  constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int i = 15; i >= 0; --i, a >>= 4, b >>= 4) {
    id[i] = kHex[a & 0xf];
    id[16 + i] = kHex[b & 0xf];
  }
  return id;
}

std::string StableId(std::initializer_list<std::string_view> parts) {
  // Two independent 64-bit FNV-1a lanes: simple, portable and stable; collisions across a
  // caseload of millions are negligible at 128 bits.
  StableIdHasher hasher;
  for (std::string_view part : parts) {
    hasher.Add(part);
    hasher.EndPart();
  }
  return StableIdText(hasher.a(), hasher.b());
}

}  // namespace fristvagt::rules
