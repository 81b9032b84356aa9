#include "proto/utf8_check.h"

#include "google/protobuf/parse_context.h"
#include "simdjson.h"

namespace fristvagt::proto_utf8 {

bool IsValidNonAscii(const char* data, size_t size) { return simdjson::validate_utf8(data, size); }

bool ProtobufVerifyUtf8String(const char* data, int size,
                              google::protobuf::internal::WireFormatLite::Operation op,
                              const char* field_name) {
  return google::protobuf::internal::WireFormatLite::VerifyUtf8String(data, size, op, field_name);
}

bool ProtobufVerifyUTF8(google::protobuf::StringPiece s, const char* field_name) {
  return google::protobuf::internal::VerifyUTF8(s, field_name);
}

}  // namespace fristvagt::proto_utf8
