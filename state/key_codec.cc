#include "state/key_codec.h"

#include "absl/status/status.h"

namespace fristvagt::state::keys {

namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

void AppendBigEndian(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

}  // namespace

std::string EncodeDue(int64_t due_micros) {
  std::string out;
  out.reserve(8);
  AppendBigEndian(static_cast<uint64_t>(due_micros) ^ kSignBit, &out);
  return out;
}

std::string EncodeTimer(const TimerKey& key) {
  std::string out;
  out.reserve(9 + key.person_key.size() + key.obligation_id.size());
  AppendBigEndian(static_cast<uint64_t>(key.due_micros) ^ kSignBit, &out);
  out.append(key.person_key);
  out.push_back('\0');
  out.append(key.obligation_id);
  return out;
}

absl::StatusOr<TimerKey> DecodeTimer(std::string_view bytes) {
  const size_t separator = bytes.size() < 8 ? std::string_view::npos : bytes.find('\0', 8);
  if (separator == std::string_view::npos) {
    return absl::DataLossError("malformed timer key (no due prefix or no separator)");
  }
  TimerKey key;
  key.due_micros = static_cast<int64_t>(ReadBigEndian(bytes) ^ kSignBit);
  key.person_key = std::string(bytes.substr(8, separator - 8));
  key.obligation_id = std::string(bytes.substr(separator + 1));
  return key;
}

std::string EncodeSeq(uint64_t seq) {
  std::string out;
  out.reserve(8);
  AppendBigEndian(seq, &out);
  return out;
}

absl::StatusOr<uint64_t> DecodeSeq(std::string_view bytes) {
  if (bytes.size() != 8) return absl::DataLossError("malformed outbox key (not 8 bytes)");
  return ReadBigEndian(bytes);
}

}  // namespace fristvagt::state::keys
