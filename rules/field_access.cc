#include "rules/field_access.h"

#include "proto/case_event.pb.h"

namespace fristvagt::rules {

namespace {
using google::protobuf::Message;
#include "rules/payload_accessors.inc"
}  // namespace

const FieldAccessor* FindFieldAccessor(int payload_case, std::string_view field) {
  for (const PayloadFieldAccessor& a : kPayloadFieldAccessors) {
    if (a.payload_case == payload_case && a.field.name == field) return &a.field;
  }
  return nullptr;
}

}  // namespace fristvagt::rules
