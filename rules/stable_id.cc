#include "rules/stable_id.h"

#include <algorithm>
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

void StableIdHasher::AddInterleaved(StableIdHasher* hashers, const std::string_view* bytes,
                                    size_t n) {
  size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    StableIdHasher h0 = hashers[k], h1 = hashers[k + 1], h2 = hashers[k + 2], h3 = hashers[k + 3];
    const std::string_view b0 = bytes[k], b1 = bytes[k + 1], b2 = bytes[k + 2], b3 = bytes[k + 3];
    const size_t common = std::min(std::min(b0.size(), b1.size()), std::min(b2.size(), b3.size()));
    for (size_t i = 0; i < common; ++i) {
      h0.Mix(static_cast<unsigned char>(b0[i]));
      h1.Mix(static_cast<unsigned char>(b1[i]));
      h2.Mix(static_cast<unsigned char>(b2[i]));
      h3.Mix(static_cast<unsigned char>(b3[i]));
    }
    h0.Add(b0.substr(common));
    h1.Add(b1.substr(common));
    h2.Add(b2.substr(common));
    h3.Add(b3.substr(common));
    hashers[k] = h0;
    hashers[k + 1] = h1;
    hashers[k + 2] = h2;
    hashers[k + 3] = h3;
  }
  for (; k < n; ++k) hashers[k].Add(bytes[k]);
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
