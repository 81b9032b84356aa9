#include "rules/reference/matcher.h"

#include <algorithm>
#include <cstdlib>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"

namespace fristvagt::rules::reference {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

std::string ScalarText(const Message& msg, const FieldDescriptor* field, int index) {
  const auto* refl = msg.GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? refl->GetRepeatedBool(msg, field, index) : refl->GetBool(msg, field)) ? "true"
                                                                                          : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? refl->GetRepeatedEnum(msg, field, index) : refl->GetEnum(msg, field))->name();
    case FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(rep ? refl->GetRepeatedInt32(msg, field, index)
                                : refl->GetInt32(msg, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(rep ? refl->GetRepeatedInt64(msg, field, index)
                                : refl->GetInt64(msg, field));
    case FieldDescriptor::CPPTYPE_STRING:
      return rep ? refl->GetRepeatedString(msg, field, index) : refl->GetString(msg, field);
    default:
      return "";
  }
}

const FieldDescriptor* FindField(const Message& payload, std::string_view name) {
  return payload.GetDescriptor()->FindFieldByName(std::string(name));
}

bool ConditionHolds(const FieldCondition& cond, const Fact& candidate, const Fact* trigger,
                    std::string_view instance) {
  const Message* payload = PayloadOf(*candidate.event);
  if (payload == nullptr) return false;
  const FieldDescriptor* field = FindField(*payload, cond.field);
  if (field == nullptr) return false;
  if (field->is_repeated()) {
    const int size = payload->GetReflection()->FieldSize(*payload, field);
    for (int i = 0; i < size; ++i) {
      if (!cond.values.empty() && ScalarText(*payload, field, i) == cond.values[0]) return true;
    }
    return false;
  }
  const std::string value = ScalarText(*payload, field, 0);
  switch (cond.op) {
    case FieldCondition::Op::kEquals:
    case FieldCondition::Op::kContains:
      return !cond.values.empty() && value == cond.values[0];
    case FieldCondition::Op::kIn:
      return std::find(cond.values.begin(), cond.values.end(), value) != cond.values.end();
    case FieldCondition::Op::kNot:
      return cond.values.empty() || value != cond.values[0];
    case FieldCondition::Op::kAtLeast:
      return !cond.values.empty() && std::strtoll(value.c_str(), nullptr, 10) >=
                                         std::strtoll(cond.values[0].c_str(), nullptr, 10);
    case FieldCondition::Op::kEqualsInstance:
      return value == instance;
    case FieldCondition::Op::kSameAsTrigger: {
      if (trigger == nullptr) return true;
      const std::optional<std::string> other = FieldText(*trigger->event, cond.field);
      return other.has_value() && *other == value;
    }
  }
  return false;
}

}  // namespace

bool MatchesPayload(const EventMatcher& matcher, const Fact& candidate, const Fact* trigger,
                    std::string_view instance) {
  if (candidate.payload != matcher.event) return false;
  return std::all_of(matcher.where.begin(), matcher.where.end(), [&](const FieldCondition& c) {
    return ConditionHolds(c, candidate, trigger, instance);
  });
}

std::optional<std::string> FieldText(const v1::CaseEvent& event, std::string_view name) {
  const Message* payload = PayloadOf(event);
  if (payload == nullptr) return std::nullopt;
  const FieldDescriptor* field = FindField(*payload, name);
  if (field == nullptr || field->is_repeated()) return std::nullopt;
  return ScalarText(*payload, field, 0);
}

std::optional<absl::Time> FieldTime(const v1::CaseEvent& event, std::string_view name) {
  const Message* payload = PayloadOf(event);
  if (payload == nullptr) return std::nullopt;
  const FieldDescriptor* field = FindField(*payload, name);
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      field->is_repeated() || !payload->GetReflection()->HasField(*payload, field)) {
    return std::nullopt;
  }
  const auto& ts = static_cast<const google::protobuf::Timestamp&>(
      payload->GetReflection()->GetMessage(*payload, field));
  return ToAbslTime(ts);
}

bool FieldIsPresent(const v1::CaseEvent& event, std::string_view name) {
  const Message* payload = PayloadOf(event);
  if (payload == nullptr) return false;
  const FieldDescriptor* field = FindField(*payload, name);
  if (field == nullptr || field->is_repeated()) return false;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return payload->GetReflection()->HasField(*payload, field);
  }
  const std::string text = ScalarText(*payload, field, 0);
  return !text.empty() && text != "false" && text != "0";
}

}  // namespace fristvagt::rules::reference
