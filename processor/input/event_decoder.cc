#include "processor/input/event_decoder.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "processor/input/json_fast_path.h"

namespace fristvagt::processor {
namespace {

using ::fristvagt::v1::CaseEvent;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Struct;
using ::google::protobuf::Timestamp;
using ::google::protobuf::Value;

constexpr size_t kMaxPersonKeyLength = 128;
// google.protobuf.Timestamp's range, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z. Outside it
// the JSON printer fails, so such a value is as unusable as an unparsable string.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
// Payloads start at this field number (case_event.proto): an unknown length-delimited field
// from here on is a payload kind from a newer producer, below it a newer envelope field.
constexpr int kFirstPayloadFieldNumber = 100;

// Debian builds abseil with its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so the
// std::string_view of the interface is converted once at each boundary.
absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

Rejection Reject(RejectCode code, std::string message) { return {code, std::move(message)}; }

// Last line of defence for the privacy rule: whatever a message was built from, the person key
// (or Kafka key) does not leave in it.
Rejection Redact(Rejection rejection, absl::string_view secret) {
  if (!secret.empty()) {
    rejection.message = absl::StrReplaceAll(rejection.message, {{secret, "<redacted>"}});
  }
  return rejection;
}

// protobuf's parse errors quote the input (a context line, string values, key names); only
// the first line with quoted text elided is safe to pass on.
std::string SanitizeParserMessage(absl::string_view message) {
  message = message.substr(0, message.find('\n'));
  message = absl::StripLeadingAsciiWhitespace(absl::StripPrefix(message, ":"));
  std::string out;
  char open_quote = 0;
  for (char c : message) {
    if (open_quote == 0) {
      out.push_back(c);
      if (c == '"' || c == '\'') {
        open_quote = c;
      }
    } else if (c == open_quote) {
      out.append("...");
      out.push_back(c);
      open_quote = 0;
    }
  }
  return out;
}

// For a conversion error protobuf names the field first, "(a.b): invalid value <value> ...";
// the path alone (schema names, never input) is what may be passed on.
std::optional<std::string> ErrorFieldPath(absl::string_view message) {
  if (!absl::StartsWith(message, "(")) {
    return std::nullopt;
  }
  const size_t close = message.find("):");
  if (close == absl::string_view::npos || close < 2) {
    return std::nullopt;
  }
  return std::string(message.substr(1, close - 1));
}

bool IsTimestamp(const FieldDescriptor& field) {
  return field.message_type() != nullptr &&
         field.message_type()->full_name() == Timestamp::descriptor()->full_name();
}

// The JSON parser accepts both the proto name and the lowerCamel JSON name.
const FieldDescriptor* FieldForJsonKey(const Descriptor& message, absl::string_view key) {
  for (int i = 0; i < message.field_count(); ++i) {
    const FieldDescriptor* field = message.field(i);
    if (field->name() == key || field->json_name() == key) {
      return field;
    }
  }
  return nullptr;
}

// The field a protobuf error path such as "first_contact.last_valid_test_at" or
// "meeting_held.guidance_topics[0]" names, or nullptr.
const FieldDescriptor* ResolveFieldPath(absl::string_view path) {
  const Descriptor* message = CaseEvent::descriptor();
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (message == nullptr) {
      return nullptr;
    }
    field = FieldForJsonKey(*message, part.substr(0, part.find('[')));
    if (field == nullptr) {
      return nullptr;
    }
    message = field->message_type();
  }
  return field;
}

// A JSON object's members in key order. protobuf's Map iterates in an order seeded per
// instance, so walking it directly named a different one of two bad fields from one parse to
// the next (found by the fuzz target's comparison of the two JSON paths, issue 15).
std::vector<std::pair<const std::string*, const Value*>> SortedFields(const Struct& object) {
  std::vector<std::pair<const std::string*, const Value*>> fields;
  fields.reserve(object.fields().size());
  for (const auto& [key, value] : object.fields()) fields.emplace_back(&key, &value);
  std::sort(fields.begin(), fields.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return fields;
}

std::string JoinPath(absl::string_view prefix, absl::string_view name) {
  return prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
}

// Finds the first timestamp the JSON parser would refuse, so that it is reported as BAD_TIME
// rather than DECODE_FAILED. Walks the schema alongside the generic JSON tree.
std::optional<std::string> FindUnparsableTimestamp(const Struct& object, const Descriptor& message,
                                                   absl::string_view prefix) {
  for (const auto& [key_ptr, value_ptr] : SortedFields(object)) {
    const std::string& key = *key_ptr;
    const Value& value = *value_ptr;
    const FieldDescriptor* field = FieldForJsonKey(message, key);
    if (field == nullptr || value.kind_case() == Value::kNullValue) {
      continue;
    }
    const std::string path = JoinPath(prefix, field->name());
    if (IsTimestamp(*field) && !field->is_repeated()) {
      Timestamp parsed;
      if (value.kind_case() != Value::kStringValue ||
          !google::protobuf::util::TimeUtil::FromString(value.string_value(), &parsed)) {
        return path;
      }
    } else if (field->message_type() != nullptr && !field->is_map()) {
      std::vector<const Struct*> children;
      if (value.kind_case() == Value::kStructValue) {
        children.push_back(&value.struct_value());
      }
      if (value.kind_case() == Value::kListValue) {
        for (const Value& item : value.list_value().values()) {
          if (item.kind_case() == Value::kStructValue) {
            children.push_back(&item.struct_value());
          }
        }
      }
      for (const Struct* child : children) {
        if (auto bad = FindUnparsableTimestamp(*child, *field->message_type(), path)) {
          return bad;
        }
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string> PayloadKeys(const Struct& root) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : SortedFields(root)) {
    const FieldDescriptor* field = FieldForJsonKey(*CaseEvent::descriptor(), *key);
    if (field != nullptr && field->containing_oneof() != nullptr &&
        value->kind_case() != Value::kNullValue) {
      keys.push_back(field->name());
    }
  }
  return keys;
}

// A top-level object under a name this version does not know is taken as a payload kind
// added by a newer producer; unknown scalars are just unknown envelope fields.
std::optional<std::string> FindUnknownObjectKey(const Struct& root) {
  for (const auto& [key, value] : SortedFields(root)) {
    if (value->kind_case() == Value::kStructValue &&
        FieldForJsonKey(*CaseEvent::descriptor(), *key) == nullptr) {
      return *key;
    }
  }
  return std::nullopt;
}

std::string PersonKeyOf(const Struct& root) {
  for (const char* name : {"person_key", "personKey"}) {
    auto it = root.fields().find(name);
    if (it != root.fields().end() && it->second.kind_case() == Value::kStringValue) {
      return it->second.string_value();
    }
  }
  return "";
}

std::optional<Struct> ParseJsonObject(std::string_view line) {
  google::protobuf::util::JsonParseOptions options;
  Struct root;
  if (!google::protobuf::util::JsonStringToMessage(line, &root, options).ok()) {
    return std::nullopt;
  }
  return root;
}

bool IsPrintableAscii(absl::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

// An input-chosen name (an unknown payload key) bound for a Kafka header: short, one line.
std::string Printable(absl::string_view name) {
  constexpr size_t kMaxNameLength = 64;
  std::string out(name.substr(0, kMaxNameLength));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) {
      c = '?';
    }
  }
  return name.size() > kMaxNameLength ? out + "..." : out;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

int TwoDigits(absl::string_view s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

absl::Time EarliestAcceptedTime() {
  return absl::FromCivil(absl::CivilSecond(2000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// Range check of one timestamp; `name` is the field path used in the message.
std::optional<Rejection> CheckTimestamp(const Timestamp& ts, absl::string_view name,
                                        absl::Time* out) {
  if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    return Reject(RejectCode::kBadTime, absl::StrCat(name, " is not a valid timestamp"));
  }
  const absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  if (t < EarliestAcceptedTime()) {
    return Reject(RejectCode::kBadTime,
                  absl::StrCat(name, " ", FormatUtc(t), " is before 2000-01-01T00:00:00Z"));
  }
  if (out != nullptr) {
    *out = t;
  }
  return std::nullopt;
}

// Every timestamp the payload sets must be as plausible as the envelope's.
std::optional<Rejection> CheckPayloadTimestamps(const CaseEvent& event) {
  const auto* reflection = event.GetReflection();
  const FieldDescriptor* payload_field =
      reflection->GetOneofFieldDescriptor(event, CaseEvent::descriptor()->oneof_decl(0));
  if (payload_field == nullptr) {
    return std::nullopt;
  }
  const Message& payload = reflection->GetMessage(event, payload_field);
  const Descriptor& descriptor = *payload.GetDescriptor();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* field = descriptor.field(i);
    if (!IsTimestamp(*field) || field->is_repeated() ||
        !payload.GetReflection()->HasField(payload, field)) {
      continue;
    }
    Timestamp ts;
    ts.CopyFrom(payload.GetReflection()->GetMessage(payload, field));
    if (auto rejection =
            CheckTimestamp(ts, JoinPath(payload_field->name(), field->name()), nullptr)) {
      return rejection;
    }
  }
  return std::nullopt;
}

std::optional<Rejection> CheckTimes(const CaseEvent& event, absl::Duration max_clock_skew) {
  absl::Time occurred;
  absl::Time recorded;
  if (auto r = CheckTimestamp(event.occurred_at(), "occurred_at", &occurred)) {
    return r;
  }
  if (auto r = CheckTimestamp(event.recorded_at(), "recorded_at", &recorded)) {
    return r;
  }
  if (occurred > recorded + max_clock_skew) {
    return Reject(RejectCode::kBadTime,
                  absl::StrCat("occurred_at is ", absl::FormatDuration(occurred - recorded),
                               " after recorded_at; at most ", absl::FormatDuration(max_clock_skew),
                               " is allowed"));
  }
  return CheckPayloadTimestamps(event);
}

// Binary events from a newer producer carry their payload as an unknown field.
std::optional<int> UnknownPayloadNumber(const CaseEvent& event) {
  const auto& unknown = event.GetReflection()->GetUnknownFields(event);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const auto& field = unknown.field(i);
    if (field.number() >= kFirstPayloadFieldNumber &&
        field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      return field.number();
    }
  }
  return std::nullopt;
}

// Classifies a line protobuf refused. The generic JSON tree tells a malformed line from a
// well-formed one with a bad value without relying on protobuf's error texts; the error's field
// path is the fallback for lines the tree cannot hold (duplicate keys, deep nesting).
Rejection ClassifyJsonFailure(std::string_view line, absl::string_view error) {
  const std::optional<Struct> root = ParseJsonObject(line);
  const std::string person_key = root.has_value() ? PersonKeyOf(*root) : "";
  const auto reject = [&](RejectCode code, std::string message) {
    return Redact(Reject(code, std::move(message)), person_key);
  };
  if (root.has_value()) {
    if (auto path = FindUnparsableTimestamp(*root, *CaseEvent::descriptor(), "")) {
      return reject(RejectCode::kBadTime, absl::StrCat(*path, " is not an RFC 3339 timestamp"));
    }
    if (const auto payloads = PayloadKeys(*root); payloads.size() > 1) {
      return reject(RejectCode::kDecodeFailed,
                    absl::StrCat("more than one payload: ", absl::StrJoin(payloads, ", ")));
    }
  }
  // Only a path that resolves in the schema is echoed: then it cannot carry input.
  const std::optional<std::string> path = ErrorFieldPath(error);
  if (const FieldDescriptor* field = path ? ResolveFieldPath(*path) : nullptr) {
    if (IsTimestamp(*field)) {
      return reject(RejectCode::kBadTime, absl::StrCat(*path, " is not an RFC 3339 timestamp"));
    }
    return reject(RejectCode::kDecodeFailed,
                  absl::StrCat("field ", *path, " has a value of the wrong type or format"));
  }
  if (path.has_value()) {
    return reject(RejectCode::kDecodeFailed, "a field has a value of the wrong type or format");
  }
  return reject(RejectCode::kDecodeFailed,
                absl::StrCat(root.has_value() ? "not a CaseEvent: " : "malformed JSON: ",
                             SanitizeParserMessage(error)));
}

}  // namespace

std::string_view RejectCodeName(RejectCode code) {
  switch (code) {
    case RejectCode::kDecodeFailed:
      return "DECODE_FAILED";
    case RejectCode::kMissingField:
      return "MISSING_FIELD";
    case RejectCode::kNoPayload:
      return "NO_PAYLOAD";
    case RejectCode::kUnknownPayload:
      return "UNKNOWN_PAYLOAD";
    case RejectCode::kKeyMismatch:
      return "KEY_MISMATCH";
    case RejectCode::kCprAsKey:
      return "CPR_AS_KEY";
    case RejectCode::kBadMunicipality:
      return "BAD_MUNICIPALITY";
    case RejectCode::kBadTime:
      return "BAD_TIME";
    case RejectCode::kNoCourse:
      return "NO_COURSE";
    case RejectCode::kTooLarge:
      return "TOO_LARGE";
    case RejectCode::kTooManyEvents:
      return "TOO_MANY_EVENTS";
  }
  return "UNKNOWN";
}

bool LooksLikeCpr(std::string_view key) {
  std::string digits;
  if (key.size() == 10 && AllDigits(key)) {
    digits = std::string(key);
  } else if (key.size() == 11 && key[6] == '-' && AllDigits(key.substr(0, 6)) &&
             AllDigits(key.substr(7))) {
    digits = std::string(key.substr(0, 6)).append(key.substr(7));
  } else {
    return false;
  }
  const int day = TwoDigits(digits);
  const int month = TwoDigits(absl::string_view(digits).substr(2));
  const bool plausible_day = (day >= 1 && day <= 31) || (day >= 61 && day <= 91);
  return plausible_day && month >= 1 && month <= 12;
}

EventDecoder::EventDecoder(DecodePolicy policy) : policy_(std::move(policy)) {}

DecodeResult EventDecoder::FromJson(std::string_view line) const {
  if (line.size() <= policy_.max_event_bytes) {
    CaseEvent event;
    if (JsonToCaseEventFast(line, &event) && !Check(event, std::nullopt).has_value()) {
      return event;
    }
  }
  return FromJsonGeneric(line);
}

DecodeResult EventDecoder::FromJsonGeneric(std::string_view line) const {
  if (line.size() > policy_.max_event_bytes) {
    return Reject(RejectCode::kTooLarge, absl::StrCat("event is ", line.size(), " bytes; at most ",
                                                      policy_.max_event_bytes, " are allowed"));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // Forward compatibility (events.md).
  CaseEvent event;
  const auto status = google::protobuf::util::JsonStringToMessage(line, &event, options);
  if (!status.ok()) {
    return ClassifyJsonFailure(line, std::string(status.message()));
  }
  std::optional<Rejection> rejection = Check(event, std::nullopt);
  if (!rejection.has_value()) {
    return event;
  }
  if (rejection->code == RejectCode::kNoPayload) {
    // Only a line without a known payload pays for the second parse.
    if (const std::optional<Struct> root = ParseJsonObject(line)) {
      if (auto key = FindUnknownObjectKey(*root)) {
        rejection = Reject(RejectCode::kUnknownPayload,
                           absl::StrCat("unknown payload kind ", Printable(*key)));
      }
    }
  }
  return Redact(*std::move(rejection), event.person_key());
}

DecodeResult EventDecoder::FromProtobuf(std::string_view bytes,
                                        std::optional<std::string_view> kafka_key) const {
  if (bytes.size() > policy_.max_event_bytes) {
    return Reject(RejectCode::kTooLarge, absl::StrCat("event is ", bytes.size(), " bytes; at most ",
                                                      policy_.max_event_bytes, " are allowed"));
  }
  CaseEvent event;
  // ParseFromArray takes an int size; the size check above keeps it in range for any sane
  // policy, and a policy above 2 GiB is refused here rather than truncated.
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Reject(RejectCode::kDecodeFailed, "value is not a protobuf CaseEvent");
  }
  if (std::optional<Rejection> rejection = Check(event, kafka_key)) {
    return Redact(Redact(*std::move(rejection), event.person_key()),
                  AsAbsl(kafka_key.value_or("")));
  }
  return event;
}

std::optional<Rejection> EventDecoder::Validate(const CaseEvent& event) const {
  if (auto rejection = Check(event, std::nullopt)) {
    return Redact(*std::move(rejection), event.person_key());
  }
  return std::nullopt;
}

std::optional<Rejection> EventDecoder::Check(const CaseEvent& event,
                                             std::optional<std::string_view> kafka_key) const {
  const auto missing = [](absl::string_view field) {
    return Reject(RejectCode::kMissingField, absl::StrCat(field, " is missing or empty"));
  };
  if (event.event_id().empty()) {
    return missing("event_id");
  }
  if (event.person_key().empty()) {
    return missing("person_key");
  }
  if (event.municipality_code().empty()) {
    return missing("municipality_code");
  }
  if (!event.has_occurred_at()) {
    return missing("occurred_at");
  }
  if (!event.has_recorded_at()) {
    return missing("recorded_at");
  }

  // A key that is present but malformed is not "missing"; it makes the message something
  // other than a CaseEvent of the contract, hence DECODE_FAILED.
  if (event.person_key().size() > kMaxPersonKeyLength || !IsPrintableAscii(event.person_key())) {
    return Reject(
        RejectCode::kDecodeFailed,
        absl::StrCat("person_key must be 1-", kMaxPersonKeyLength, " printable ASCII characters"));
  }
  if (!policy_.allow_cpr_keys && LooksLikeCpr(event.person_key())) {
    return Reject(RejectCode::kCprAsKey,
                  "person_key looks like a CPR number; pseudonymise it in the source adapter");
  }
  if (kafka_key.has_value() && *kafka_key != event.person_key()) {
    return Reject(RejectCode::kKeyMismatch, "Kafka message key differs from person_key");
  }
  if (event.municipality_code().size() != 3 || !AllDigits(event.municipality_code())) {
    return Reject(RejectCode::kBadMunicipality, "municipality_code must be exactly 3 digits");
  }
  if (event.payload_case() == CaseEvent::PAYLOAD_NOT_SET) {
    if (auto number = UnknownPayloadNumber(event)) {
      return Reject(RejectCode::kUnknownPayload,
                    absl::StrCat("unknown payload kind, field number ", *number));
    }
    return Reject(RejectCode::kNoPayload, "event has no payload");
  }
  return CheckTimes(event, policy_.max_clock_skew);
}

std::string EventToJson(const CaseEvent& event) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = false;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(event, &json, options).ok()) {
    return "";
  }
  return json;
}

}  // namespace fristvagt::processor
