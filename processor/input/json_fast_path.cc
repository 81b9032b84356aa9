#include "processor/input/json_fast_path.h"

#include <simdjson.h>

#include <bitset>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace fristvagt::processor {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;
using ::google::protobuf::Timestamp;

// JSON key -> field for every message reachable from CaseEvent, built once: protobuf's JSON
// mapping accepts the proto name and the lowerCamel JSON name.
class FieldIndex {
 public:
  FieldIndex() { Add(v1::CaseEvent::descriptor()); }

  const FieldDescriptor* Find(const Descriptor* message, std::string_view key) const {
    auto it = by_message_.find(message);
    if (it == by_message_.end()) return nullptr;
    auto field = it->second.find(key);
    return field == it->second.end() ? nullptr : field->second;
  }

 private:
  void Add(const Descriptor* message) {
    if (by_message_.contains(message)) return;
    auto& keys = by_message_[message];
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      keys.emplace(field->name(), field);
      keys.emplace(field->json_name(), field);
      if (field->message_type() != nullptr && !IsTimestamp(field)) Add(field->message_type());
    }
  }

 public:
  static bool IsTimestamp(const FieldDescriptor* field) {
    return field->message_type() == Timestamp::descriptor();
  }

 private:
  // std::string keys: the descriptor's names outlive nothing here; lookups by string_view.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<const Descriptor*,
                     std::unordered_map<std::string, const FieldDescriptor*, Hash, std::equal_to<>>>
      by_message_;
};

const FieldIndex& Index() {
  static const FieldIndex* index = new FieldIndex();
  return *index;
}

// Our schema nests three deep; deeper input is left to the generic path (its own limit).
constexpr int kMaxDepth = 8;

bool SetEnum(const FieldDescriptor* field, simdjson::dom::element value, int* number) {
  std::string_view name;
  if (value.get_string().get(name) != simdjson::SUCCESS) return false;  // numbers: generic
  const auto* known = field->enum_type()->FindValueByName(std::string(name));
  if (known == nullptr) return false;  // unknown names: the generic path's rules
  *number = known->number();
  return true;
}

bool SetMessage(simdjson::dom::object object, Message* message, int depth) {
  if (depth > kMaxDepth) return false;
  const Descriptor* descriptor = message->GetDescriptor();
  const Reflection* reflection = message->GetReflection();
  std::bitset<64> seen;  // by field index: a field given twice (either name) is left to protobuf
  if (descriptor->field_count() > 64) return false;
  for (simdjson::dom::key_value_pair entry : object) {
    const simdjson::dom::element value = entry.value;
    const FieldDescriptor* field = Index().Find(descriptor, entry.key);
    if (field == nullptr) {
      // Unknown scalars are ignored as protobuf ignores them; an unknown object may be a newer
      // payload kind (UNKNOWN_PAYLOAD), which the generic path decides. protobuf refuses an
      // empty key ("Proto fields must have a name").
      if (entry.key.empty() || value.is_object() || value.is_array()) return false;
      continue;
    }
    if (seen[field->index()]) return false;
    seen[field->index()] = true;
    if (value.is_null()) return false;
    if (const auto* oneof = field->containing_oneof();
        oneof != nullptr && reflection->HasOneof(*message, oneof)) {
      return false;  // more than one payload
    }
    if (field->is_repeated()) {
      simdjson::dom::array items;
      if (value.get_array().get(items) != simdjson::SUCCESS) return false;
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_ENUM) return false;  // none other here
      for (simdjson::dom::element item : items) {
        int number = 0;
        if (!SetEnum(field, item, &number)) return false;
        reflection->AddEnumValue(message, field, number);
      }
      continue;
    }
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string_view text;
        if (field->type() != FieldDescriptor::TYPE_STRING ||
            value.get_string().get(text) != simdjson::SUCCESS) {
          return false;
        }
        reflection->SetString(message, field, std::string(text));
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool flag = false;
        if (value.get_bool().get(flag) != simdjson::SUCCESS) return false;
        reflection->SetBool(message, field, flag);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        int64_t number = 0;
        if (!value.is_int64() || value.get_int64().get(number) != simdjson::SUCCESS ||
            number < std::numeric_limits<int32_t>::min() ||
            number > std::numeric_limits<int32_t>::max()) {
          return false;
        }
        reflection->SetInt32(message, field, static_cast<int32_t>(number));
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        int number = 0;
        if (!SetEnum(field, value, &number)) return false;
        reflection->SetEnumValue(message, field, number);
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        if (FieldIndex::IsTimestamp(field)) {
          std::string_view text;
          if (value.get_string().get(text) != simdjson::SUCCESS) return false;
          Timestamp parsed;
          // The parser protobuf's JSON converter uses for Timestamp (internal::ParseTime).
          if (!google::protobuf::util::TimeUtil::FromString(std::string(text), &parsed)) {
            return false;
          }
          static_cast<Timestamp*>(reflection->MutableMessage(message, field))->Swap(&parsed);
          break;
        }
        simdjson::dom::object child;
        if (value.get_object().get(child) != simdjson::SUCCESS) return false;
        if (!SetMessage(child, reflection->MutableMessage(message, field), depth + 1)) {
          return false;
        }
        break;
      }
      default:
        return false;  // int64, double, bytes...: not in case_event.proto today
    }
  }
  return true;
}

}  // namespace

bool JsonToCaseEventFast(std::string_view line, v1::CaseEvent* event) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(line.data(), line.size()).get_object().get(root) != simdjson::SUCCESS) {
    return false;
  }
  return SetMessage(root, event, 0);
}

}  // namespace fristvagt::processor
