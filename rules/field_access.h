#pragma once
// Typed accessors of every CaseEvent payload field, generated at build time from the proto
// (rules/gen/payload_accessors_gen.cc): each reads one field through the generated protobuf
// accessor, so the compiled evaluator never goes through protobuf Reflection or asks a
// FieldDescriptor anything while it evaluates. The compiler (compiled.cc) looks an accessor up
// by payload case and field name once, at regime load.

#include <cstdint>
#include <string>
#include <string_view>

#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace fristvagt::rules {

enum class FieldType : uint8_t {
  kInt,        // bool, enum number, int32, int64 as int64
  kText,       // string
  kTimestamp,  // google.protobuf.Timestamp (the only message type in the payloads)
};

struct FieldAccessor {
  std::string_view name;
  FieldType type = FieldType::kInt;
  bool repeated = false;
  bool is_enum = false;
  // The set member for the type; `index` is ignored unless `repeated`.
  int64_t (*get_int)(const google::protobuf::Message&, int index) = nullptr;
  const std::string& (*get_text)(const google::protobuf::Message&, int index) = nullptr;
  const google::protobuf::Timestamp* (*get_time)(const google::protobuf::Message&) = nullptr;
  int (*size)(const google::protobuf::Message&) = nullptr;  // repeated only
};

struct PayloadFieldAccessor {
  int payload_case;  // CaseEvent::PayloadCase of the payload message the field belongs to
  FieldAccessor field;
};

// The accessor of `field` in the payload of case `payload_case`; nullptr if there is none.
// Load time only (a linear scan).
const FieldAccessor* FindFieldAccessor(int payload_case, std::string_view field);

}  // namespace fristvagt::rules
