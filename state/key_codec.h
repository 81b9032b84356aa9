#pragma once
// The byte layout of RocksDbStore's keys (state/README.md, "On-disk layout"). Keys are compared
// bytewise by RocksDB, so every encoding here sorts the way the store's readers need: timers by
// due moment (negative moments included), outbox entries by sequence number.
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "state/store.h"

namespace fristvagt::state::keys {

// The 8-byte prefix of every timer due at `due_micros`: big-endian with the sign bit flipped,
// so INT64_MIN encodes as 00..00 and INT64_MAX as ff..ff.
std::string EncodeDue(int64_t due_micros);

// EncodeDue(due) + person_key + '\0' + obligation_id. Person keys are printable (events.md),
// so the '\0' separator keeps the bytewise order equal to TimerKey's operator<=>.
std::string EncodeTimer(const TimerKey& key);
absl::StatusOr<TimerKey> DecodeTimer(std::string_view bytes);

// 8-byte big-endian sequence number.
std::string EncodeSeq(uint64_t seq);
absl::StatusOr<uint64_t> DecodeSeq(std::string_view bytes);

}  // namespace fristvagt::state::keys
