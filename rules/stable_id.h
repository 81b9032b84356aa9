#pragma once
// Stable identifiers: the same inputs give the same id in every build and process, so an
// obligation or alert recomputed after a crash or on another instance has the same id.
// (absl::Hash is deliberately unstable across builds and must not be used for ids.)

#include <initializer_list>
#include <string>
#include <string_view>

namespace fristvagt::rules {

// 128-bit FNV-1a over the parts (each followed by a separator), as 32 hex digits.
std::string StableId(std::initializer_list<std::string_view> parts);

}  // namespace fristvagt::rules
