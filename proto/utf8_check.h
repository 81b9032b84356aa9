#pragma once
// The UTF-8 check proto3 requires of every string field, as the generated code of
// case_event.proto, alert.proto and state.proto calls it (proto/CMakeLists.txt points the
// generated calls here; protobuf 3.21 has no option for it).
//
// Why: the person record is serialized whole at every flush, so protobuf's own check ran ~95
// times per event on short ids and was 7.6 % of replay's instructions (issue 15). The answer is
// protobuf's, only reached faster: ASCII (almost every id and code) is accepted by a word-wise
// test inline, other valid UTF-8 by simdjson; what neither accepts goes to protobuf's function,
// which refuses it and logs exactly as before. tests/proto/utf8_check_test.cc holds the three
// to the same answers.

#include <cstdint>
#include <cstring>
#include <string>

#include "google/protobuf/stubs/stringpiece.h"
#include "google/protobuf/wire_format_lite.h"

namespace fristvagt::proto_utf8 {

inline bool IsAscii(const char* data, size_t size) {
  uint64_t any = 0;
  for (; size >= 8; data += 8, size -= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    any |= word;
  }
  for (; size > 0; ++data, --size) any |= static_cast<uint8_t>(*data);
  return (any & 0x8080808080808080ULL) == 0;
}

// Valid UTF-8 by simdjson (non-ASCII input).
bool IsValidNonAscii(const char* data, size_t size);

// protobuf's checks (they log the field name before answering false).
bool ProtobufVerifyUtf8String(const char* data, int size,
                              google::protobuf::internal::WireFormatLite::Operation op,
                              const char* field_name);
bool ProtobufVerifyUTF8(google::protobuf::StringPiece s, const char* field_name);

// Drop-in for WireFormatLite::VerifyUtf8String (serializing; the generated code ignores false).
inline bool VerifyUtf8String(const char* data, int size,
                             google::protobuf::internal::WireFormatLite::Operation op,
                             const char* field_name) {
  const size_t n = size < 0 ? 0 : static_cast<size_t>(size);
  if (IsAscii(data, n) || IsValidNonAscii(data, n)) return true;
  return ProtobufVerifyUtf8String(data, size, op, field_name);
}

// Drop-in for internal::VerifyUTF8 (parsing; false fails the parse).
inline bool VerifyUTF8(google::protobuf::StringPiece s, const char* field_name) {
  if (IsAscii(s.data(), s.size()) || IsValidNonAscii(s.data(), s.size())) return true;
  return ProtobufVerifyUTF8(s, field_name);
}
inline bool VerifyUTF8(const std::string* s, const char* field_name) {
  return VerifyUTF8(google::protobuf::StringPiece(*s), field_name);
}

}  // namespace fristvagt::proto_utf8
