#include "processor/input/event_decoder.h"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "proto/case_event.pb.h"

namespace fristvagt::processor {
namespace {

using ::fristvagt::v1::CaseEvent;
using ::google::protobuf::util::MessageDifferencer;
using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using ::testing::Not;

// The first example of docs/events.md, shortened.
constexpr std::string_view kExampleLine =
    R"({"event_id":"m-1001","person_key":"p-7f3a","municipality_code":"851",)"
    R"("caseworker_id":"cw-12","occurred_at":"2019-03-04T09:30:00+01:00",)"
    R"("recorded_at":"2019-03-04T09:41:00+01:00",)"
    R"("first_contact":{"has_youth_education":false,"benefit":"UDDANNELSESHJAELP"}})";

// JSON text of `value` with object keys sorted: protobuf prints a Struct in its map's order,
// which differs between runs, and a test line must be the same every time.
std::string SortedJson(const google::protobuf::Value& value) {
  std::string out;
  if (value.kind_case() == google::protobuf::Value::kStructValue) {
    std::map<std::string, const google::protobuf::Value*> sorted;
    for (const auto& [key, field] : value.struct_value().fields()) {
      sorted[key] = &field;
    }
    for (const auto& [key, field] : sorted) {
      google::protobuf::Value name;
      name.set_string_value(key);
      out += (out.empty() ? "{" : ",") + SortedJson(name) + ":" + SortedJson(*field);
    }
    return out.empty() ? "{}" : out + "}";
  }
  if (value.kind_case() == google::protobuf::Value::kListValue) {
    for (const auto& item : value.list_value().values()) {
      out += (out.empty() ? "[" : ",") + SortedJson(item);
    }
    return out.empty() ? "[]" : out + "]";
  }
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(value, &out).ok());
  return out;
}

// Returns `line` with top-level `key` set to the raw JSON `value`, or removed when `value` is
// std::nullopt, keys sorted. Editing the parsed tree keeps each test's line valid but for the
// one thing it is about.
std::string Edit(std::string_view line, const std::string& key, std::optional<std::string> value) {
  google::protobuf::Value root;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &root).ok());
  auto& fields = *root.mutable_struct_value()->mutable_fields();
  if (value.has_value()) {
    google::protobuf::Value parsed;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(*value, &parsed).ok()) << *value;
    fields[key] = parsed;
  } else {
    fields.erase(key);
  }
  return SortedJson(root);
}

std::string Edit(const std::string& key, std::optional<std::string> value) {
  return Edit(kExampleLine, key, std::move(value));
}

// kExampleLine with its first_contact replaced by `payload_key` set to `payload_value`.
std::string WithPayload(const std::string& payload_key, const std::string& payload_value) {
  return Edit(Edit("first_contact", std::nullopt), payload_key, payload_value);
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

CaseEvent ExampleEvent() {
  const DecodeResult result = EventDecoder().FromJson(kExampleLine);
  EXPECT_TRUE(std::holds_alternative<CaseEvent>(result));
  return std::holds_alternative<CaseEvent>(result) ? std::get<CaseEvent>(result) : CaseEvent();
}

// Asserts `result` is a rejection with `code` and returns it for further checks.
Rejection ExpectRejected(const DecodeResult& result, RejectCode code) {
  if (const auto* event = std::get_if<CaseEvent>(&result)) {
    ADD_FAILURE() << "expected " << RejectCodeName(code) << ", decoded "
                  << event->ShortDebugString();
    return {code, ""};
  }
  const Rejection& rejection = std::get<Rejection>(result);
  EXPECT_EQ(RejectCodeName(rejection.code), RejectCodeName(code)) << rejection.message;
  EXPECT_FALSE(rejection.message.empty());
  return rejection;
}

CaseEvent ExpectDecoded(const DecodeResult& result) {
  if (const auto* rejection = std::get_if<Rejection>(&result)) {
    ADD_FAILURE() << "rejected " << RejectCodeName(rejection->code) << ": " << rejection->message;
    return CaseEvent();
  }
  return std::get<CaseEvent>(result);
}

TEST(RejectCodeNameTest, NamesEveryCodeAsInTheContract) {
  EXPECT_EQ(RejectCodeName(RejectCode::kDecodeFailed), "DECODE_FAILED");
  EXPECT_EQ(RejectCodeName(RejectCode::kMissingField), "MISSING_FIELD");
  EXPECT_EQ(RejectCodeName(RejectCode::kNoPayload), "NO_PAYLOAD");
  EXPECT_EQ(RejectCodeName(RejectCode::kUnknownPayload), "UNKNOWN_PAYLOAD");
  EXPECT_EQ(RejectCodeName(RejectCode::kKeyMismatch), "KEY_MISMATCH");
  EXPECT_EQ(RejectCodeName(RejectCode::kCprAsKey), "CPR_AS_KEY");
  EXPECT_EQ(RejectCodeName(RejectCode::kBadMunicipality), "BAD_MUNICIPALITY");
  EXPECT_EQ(RejectCodeName(RejectCode::kBadTime), "BAD_TIME");
  EXPECT_EQ(RejectCodeName(RejectCode::kNoCourse), "NO_COURSE");
  EXPECT_EQ(RejectCodeName(RejectCode::kTooLarge), "TOO_LARGE");
  EXPECT_EQ(RejectCodeName(RejectCode::kTooManyEvents), "TOO_MANY_EVENTS");
}

TEST(EventDecoderJsonTest, DecodesTheContractExampleWithAllFields) {
  const CaseEvent event = ExpectDecoded(EventDecoder().FromJson(kExampleLine));
  EXPECT_EQ(event.event_id(), "m-1001");
  EXPECT_EQ(event.person_key(), "p-7f3a");
  EXPECT_EQ(event.municipality_code(), "851");
  EXPECT_EQ(event.caseworker_id(), "cw-12");
  // The +01:00 offset is honoured: 09:30 in Copenhagen in winter is 08:30 UTC.
  EXPECT_EQ(TimeUtil::ToString(event.occurred_at()), "2019-03-04T08:30:00Z");
  EXPECT_EQ(TimeUtil::ToString(event.recorded_at()), "2019-03-04T08:41:00Z");
  ASSERT_EQ(event.payload_case(), CaseEvent::kFirstContact);
  EXPECT_FALSE(event.first_contact().has_youth_education());
  EXPECT_EQ(event.first_contact().benefit(), fristvagt::v1::UDDANNELSESHJAELP);
}

TEST(EventDecoderJsonTest, AcceptsCamelCaseNamesAndFractionalSeconds) {
  const CaseEvent event = ExpectDecoded(EventDecoder().FromJson(
      R"({"eventId":"e1","personKey":"p1","municipalityCode":"101",)"
      R"("occurredAt":"2019-07-01T10:00:00.250+02:00","recordedAt":"2019-07-01T08:00:01Z",)"
      R"("meetingHeld":{"channel":"PHONE"}})"));
  EXPECT_EQ(TimeUtil::ToString(event.occurred_at()), "2019-07-01T08:00:00.250Z");
  EXPECT_EQ(event.meeting_held().channel(), fristvagt::v1::PHONE);
}

TEST(EventDecoderJsonTest, IgnoresUnknownFields) {
  std::string line = Edit("schema_version", "7");
  line = Edit(line, "source_batch", R"({"id":"b-1"})");  // Unknown object beside a payload.
  line =
      Edit(line, "first_contact", R"({"benefit":"KONTANTHJAELP","age_years":24,"shoe_size":44})");
  const CaseEvent event = ExpectDecoded(EventDecoder().FromJson(line));
  EXPECT_EQ(event.first_contact().benefit(), fristvagt::v1::KONTANTHJAELP);
  EXPECT_EQ(event.first_contact().age_years(), 24);
}

TEST(EventDecoderJsonTest, DecodesEveryPayloadKindFromItsSnakeCaseName) {
  const auto* payload = CaseEvent::descriptor()->FindOneofByName("payload");
  ASSERT_NE(payload, nullptr);
  ASSERT_GE(payload->field_count(), 35);
  for (int i = 0; i < payload->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = payload->field(i);
    SCOPED_TRACE(field->name());
    const CaseEvent event =
        ExpectDecoded(EventDecoder().FromJson(WithPayload(field->name(), "{}")));
    EXPECT_EQ(static_cast<int>(event.payload_case()), field->number());
  }
}

TEST(EventDecoderJsonTest, TooLargeComesFirst) {
  const EventDecoder decoder(DecodePolicy{.max_event_bytes = 100});
  ExpectRejected(decoder.FromJson(kExampleLine), RejectCode::kTooLarge);
  ExpectRejected(decoder.FromJson(std::string(101, '#')), RejectCode::kTooLarge);

  const std::string padding(64 * 1024, 'x');
  const std::string big = Edit("padding", Quoted(padding));
  ExpectRejected(EventDecoder().FromJson(big), RejectCode::kTooLarge);
}

TEST(EventDecoderJsonTest, AcceptsALineOfExactlyTheLimit) {
  const EventDecoder decoder(DecodePolicy{.max_event_bytes = kExampleLine.size()});
  ExpectDecoded(decoder.FromJson(kExampleLine));
}

TEST(EventDecoderJsonTest, GarbageIsDecodeFailed) {
  const EventDecoder decoder;
  ExpectRejected(decoder.FromJson("hello, world"), RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromJson(""), RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromJson("[1,2,3]"), RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromJson("null"), RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromJson(std::string(kExampleLine) + " {}"), RejectCode::kDecodeFailed);
}

TEST(EventDecoderJsonTest, TruncatedLineIsDecodeFailed) {
  const EventDecoder decoder;
  for (size_t cut : {size_t{1}, size_t{10}, kExampleLine.size() / 2}) {
    ExpectRejected(decoder.FromJson(kExampleLine.substr(0, kExampleLine.size() - cut)),
                   RejectCode::kDecodeFailed);
  }
}

TEST(EventDecoderJsonTest, WrongValueTypeIsDecodeFailedNamingTheField) {
  const Rejection rejection =
      ExpectRejected(EventDecoder().FromJson(Edit("first_contact", R"({"age_years":"twenty"})")),
                     RejectCode::kDecodeFailed);
  EXPECT_THAT(rejection.message, HasSubstr("first_contact.age_years"));
  EXPECT_THAT(rejection.message, Not(HasSubstr("twenty")));
}

TEST(EventDecoderJsonTest, TwoPayloadsAreDecodeFailed) {
  const Rejection rejection = ExpectRejected(EventDecoder().FromJson(Edit("meeting_held", "{}")),
                                             RejectCode::kDecodeFailed);
  EXPECT_THAT(rejection.message, HasSubstr("meeting_held"));
}

class MissingFieldTest : public ::testing::TestWithParam<std::string> {};

TEST_P(MissingFieldTest, AbsentFieldIsNamed) {
  const Rejection rejection = ExpectRejected(
      EventDecoder().FromJson(Edit(GetParam(), std::nullopt)), RejectCode::kMissingField);
  EXPECT_THAT(rejection.message, HasSubstr(GetParam()));
}

TEST_P(MissingFieldTest, NullFieldIsNamed) {
  const Rejection rejection =
      ExpectRejected(EventDecoder().FromJson(Edit(GetParam(), "null")), RejectCode::kMissingField);
  EXPECT_THAT(rejection.message, HasSubstr(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Envelope, MissingFieldTest,
                         ::testing::Values("event_id", "person_key", "municipality_code",
                                           "occurred_at", "recorded_at"));

TEST(EventDecoderJsonTest, EmptyStringsAreMissing) {
  for (const std::string field : {"event_id", "person_key", "municipality_code"}) {
    SCOPED_TRACE(field);
    const Rejection rejection =
        ExpectRejected(EventDecoder().FromJson(Edit(field, R"("")")), RejectCode::kMissingField);
    EXPECT_THAT(rejection.message, HasSubstr(field));
  }
}

TEST(EventDecoderJsonTest, OptionalEnvelopeFieldsMayBeAbsent) {
  std::string line = Edit("caseworker_id", std::nullopt);
  line = Edit(line, "source_system", std::nullopt);
  ExpectDecoded(EventDecoder().FromJson(line));
}

TEST(EventDecoderJsonTest, MalformedPersonKeyIsDecodeFailed) {
  const EventDecoder decoder;
  ExpectRejected(decoder.FromJson(Edit("person_key", Quoted(std::string(129, 'k')))),
                 RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromJson(Edit("person_key", R"("p\u0001x")")), RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromJson(Edit("person_key", R"("s\u00f8ren")")),
                 RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromJson(Edit("person_key", "12345")), RejectCode::kDecodeFailed);
  ExpectDecoded(decoder.FromJson(Edit("person_key", Quoted(std::string(128, 'k')))));
  ExpectDecoded(decoder.FromJson(Edit("person_key", R"("k")")));
}

TEST(EventDecoderJsonTest, UnknownPayloadIsNamed) {
  const Rejection rejection = ExpectRejected(
      EventDecoder().FromJson(WithPayload("frobnicate", "{}")), RejectCode::kUnknownPayload);
  EXPECT_THAT(rejection.message, HasSubstr("frobnicate"));
}

TEST(EventDecoderJsonTest, UnknownPayloadNameIsShortenedForTheHeader) {
  const std::string name = "frob\nnicate" + std::string(200, 'x');
  const Rejection rejection =
      ExpectRejected(EventDecoder().FromJson(WithPayload(name, "{}")), RejectCode::kUnknownPayload);
  EXPECT_THAT(rejection.message, HasSubstr("frob?nicate"));
  EXPECT_LT(rejection.message.size(), 120u);
}

TEST(EventDecoderJsonTest, NoPayload) {
  ExpectRejected(EventDecoder().FromJson(Edit("first_contact", std::nullopt)),
                 RejectCode::kNoPayload);
  ExpectRejected(EventDecoder().FromJson(Edit("first_contact", "null")), RejectCode::kNoPayload);
  // An unknown scalar is an envelope field from a newer producer, not a payload.
  ExpectRejected(EventDecoder().FromJson(WithPayload("frobnicate", "1")), RejectCode::kNoPayload);
}

TEST(EventDecoderJsonTest, CprLikeKeysAreRejectedUnlessAllowed) {
  const EventDecoder strict;
  const EventDecoder lenient(DecodePolicy{.allow_cpr_keys = true});
  for (const std::string key : {"0101901234", "010190-1234", "3112999999", "6101901234"}) {
    SCOPED_TRACE(key);
    const std::string line = Edit("person_key", Quoted(key));
    const Rejection rejection = ExpectRejected(strict.FromJson(line), RejectCode::kCprAsKey);
    EXPECT_THAT(rejection.message, HasSubstr("person_key"));
    EXPECT_EQ(ExpectDecoded(lenient.FromJson(line)).person_key(), key);
  }
}

TEST(EventDecoderJsonTest, KeysThatOnlyResembleCprAreAccepted) {
  const EventDecoder decoder;
  // Day 32, month 13, day 00, wrong length, wrong separator, a prefix: no CPR number.
  for (const std::string key : {"3201901234", "0113901234", "0001901234", "010190123",
                                "01019012345", "010190/1234", "p-0101901234", "0101-901234"}) {
    SCOPED_TRACE(key);
    ExpectDecoded(decoder.FromJson(Edit("person_key", Quoted(key))));
  }
}

TEST(LooksLikeCprTest, ChecksShapeDayAndMonth) {
  EXPECT_TRUE(LooksLikeCpr("0101901234"));
  EXPECT_TRUE(LooksLikeCpr("010190-1234"));
  EXPECT_TRUE(LooksLikeCpr("9112001234"));  // Erstatningspersonnummer: day + 60.
  EXPECT_FALSE(LooksLikeCpr("9212001234"));
  EXPECT_FALSE(LooksLikeCpr("0100901234"));
  EXPECT_FALSE(LooksLikeCpr("010190-123"));
  EXPECT_FALSE(LooksLikeCpr(""));
}

TEST(EventDecoderJsonTest, MunicipalityMustBeThreeDigits) {
  const EventDecoder decoder;
  for (const std::string code : {"85", "8510", "a51", " 85", "८५१"}) {
    SCOPED_TRACE(code);
    const Rejection rejection = ExpectRejected(
        decoder.FromJson(Edit("municipality_code", Quoted(code))), RejectCode::kBadMunicipality);
    EXPECT_THAT(rejection.message, HasSubstr("municipality_code"));
  }
  EXPECT_EQ(
      ExpectDecoded(decoder.FromJson(Edit("municipality_code", R"("101")"))).municipality_code(),
      "101");
}

TEST(EventDecoderJsonTest, UnparsableTimestampIsBadTime) {
  const EventDecoder decoder;
  for (const std::string value : {R"("2019-13-45T09:30:00+01:00")", R"("2019-02-29T09:30:00Z")",
                                  R"("yesterday")", R"("")", "1551688200", "{}"}) {
    SCOPED_TRACE(value);
    const Rejection rejection =
        ExpectRejected(decoder.FromJson(Edit("occurred_at", value)), RejectCode::kBadTime);
    EXPECT_THAT(rejection.message, HasSubstr("occurred_at"));
  }
  const Rejection rejection = ExpectRejected(
      decoder.FromJson(Edit("first_contact", R"({"last_valid_test_at":"2019-03-32T00:00:00Z"})")),
      RejectCode::kBadTime);
  EXPECT_THAT(rejection.message, HasSubstr("first_contact.last_valid_test_at"));
}

TEST(EventDecoderJsonTest, UnparsableTimestampIsBadTimeEvenWithDuplicateKeys) {
  // Duplicate keys defeat the generic JSON tree; the classification must still hold.
  std::string line(kExampleLine);
  line.insert(1, R"("recorded_at":"soon",)");
  const Rejection rejection = ExpectRejected(EventDecoder().FromJson(line), RejectCode::kBadTime);
  EXPECT_THAT(rejection.message, HasSubstr("recorded_at"));
  EXPECT_THAT(rejection.message, Not(HasSubstr("soon")));
}

TEST(EventDecoderJsonTest, TimestampBefore2000IsBadTime) {
  const EventDecoder decoder;
  std::string line = Edit("occurred_at", R"("1999-12-31T23:00:00Z")");
  EXPECT_THAT(ExpectRejected(decoder.FromJson(line), RejectCode::kBadTime).message,
              HasSubstr("occurred_at"));
  // Midnight in Copenhagen on New Year 2000 is still 1999 in UTC.
  line = Edit("occurred_at", R"("2000-01-01T00:30:00+01:00")");
  ExpectRejected(decoder.FromJson(line), RejectCode::kBadTime);
  line = Edit("occurred_at", R"("2000-01-01T00:00:00Z")");
  ExpectDecoded(decoder.FromJson(line));

  line = WithPayload("education_admitted", R"({"start_at":"1999-08-01T00:00:00Z"})");
  EXPECT_THAT(ExpectRejected(decoder.FromJson(line), RejectCode::kBadTime).message,
              HasSubstr("education_admitted.start_at"));
}

TEST(EventDecoderJsonTest, OccurredAfterRecordedBeyondSkewIsBadTime) {
  // recorded_at is 09:41+01:00; the default skew is 15 minutes.
  std::string line = Edit("occurred_at", R"("2019-03-04T09:57:00+01:00")");
  EXPECT_THAT(ExpectRejected(EventDecoder().FromJson(line), RejectCode::kBadTime).message,
              HasSubstr("occurred_at"));
  ExpectDecoded(EventDecoder(DecodePolicy{.max_clock_skew = absl::Hours(1)}).FromJson(line));

  line = Edit("occurred_at", R"("2019-03-04T09:56:00+01:00")");  // Exactly the skew.
  ExpectDecoded(EventDecoder().FromJson(line));
  // Late registration is normal.
  line = Edit("occurred_at", R"("2018-11-04T09:30:00+01:00")");
  ExpectDecoded(EventDecoder().FromJson(line));
}

TEST(EventDecoderProtobufTest, BinaryRoundTrip) {
  const CaseEvent event = ExampleEvent();
  const CaseEvent decoded =
      ExpectDecoded(EventDecoder().FromProtobuf(event.SerializeAsString(), "p-7f3a"));
  EXPECT_TRUE(MessageDifferencer::Equals(event, decoded)) << decoded.ShortDebugString();
  ExpectDecoded(EventDecoder().FromProtobuf(event.SerializeAsString(), std::nullopt));
}

TEST(EventDecoderProtobufTest, KeyMismatch) {
  const Rejection rejection =
      ExpectRejected(EventDecoder().FromProtobuf(ExampleEvent().SerializeAsString(), "p-0000"),
                     RejectCode::kKeyMismatch);
  EXPECT_THAT(rejection.message, Not(HasSubstr("p-0000")));
  EXPECT_THAT(rejection.message, Not(HasSubstr("p-7f3a")));
  ExpectRejected(EventDecoder().FromProtobuf(ExampleEvent().SerializeAsString(), ""),
                 RejectCode::kKeyMismatch);
}

TEST(EventDecoderProtobufTest, GarbageIsDecodeFailed) {
  const EventDecoder decoder;
  ExpectRejected(decoder.FromProtobuf(std::string("\xff\xff\xff\xff", 4), std::nullopt),
                 RejectCode::kDecodeFailed);
  ExpectRejected(decoder.FromProtobuf(std::string(kExampleLine), std::nullopt),
                 RejectCode::kDecodeFailed);
  const std::string bytes = ExampleEvent().SerializeAsString();
  ExpectRejected(decoder.FromProtobuf(bytes.substr(0, bytes.size() - 3), std::nullopt),
                 RejectCode::kDecodeFailed);
}

TEST(EventDecoderProtobufTest, EmptyValueIsMissingFields) {
  ExpectRejected(EventDecoder().FromProtobuf("", std::nullopt), RejectCode::kMissingField);
}

TEST(EventDecoderProtobufTest, TooLarge) {
  const EventDecoder decoder(DecodePolicy{.max_event_bytes = 10});
  ExpectRejected(decoder.FromProtobuf(ExampleEvent().SerializeAsString(), "p-7f3a"),
                 RejectCode::kTooLarge);
}

// A field of `number` holding an empty length-delimited value, as a newer producer writes it.
std::string UnknownMessageField(int number) {
  std::string out;
  uint32_t tag = static_cast<uint32_t>(number) << 3 | 2;
  while (tag >= 0x80) {
    out.push_back(static_cast<char>((tag & 0x7f) | 0x80));
    tag >>= 7;
  }
  out.push_back(static_cast<char>(tag));
  out.push_back('\0');
  return out;
}

TEST(EventDecoderProtobufTest, UnknownPayloadFromNewerProducer) {
  CaseEvent event = ExampleEvent();
  event.clear_payload();
  const std::string bytes = event.SerializeAsString() + UnknownMessageField(150);
  const Rejection rejection =
      ExpectRejected(EventDecoder().FromProtobuf(bytes, "p-7f3a"), RejectCode::kUnknownPayload);
  EXPECT_THAT(rejection.message, HasSubstr("150"));
}

TEST(EventDecoderProtobufTest, UnknownEnvelopeFieldIsNotAPayload) {
  CaseEvent event = ExampleEvent();
  ExpectDecoded(
      EventDecoder().FromProtobuf(event.SerializeAsString() + UnknownMessageField(50), "p-7f3a"));
  event.clear_payload();
  ExpectRejected(
      EventDecoder().FromProtobuf(event.SerializeAsString() + UnknownMessageField(50), "p-7f3a"),
      RejectCode::kNoPayload);
}

TEST(EventDecoderProtobufTest, OutOfRangeTimestampIsBadTime) {
  CaseEvent event = ExampleEvent();
  event.mutable_recorded_at()->set_nanos(-1);
  ExpectRejected(EventDecoder().FromProtobuf(event.SerializeAsString(), std::nullopt),
                 RejectCode::kBadTime);
  event = ExampleEvent();
  event.mutable_occurred_at()->set_seconds(INT64_MAX);
  ExpectRejected(EventDecoder().FromProtobuf(event.SerializeAsString(), std::nullopt),
                 RejectCode::kBadTime);
  event = ExampleEvent();
  event.mutable_first_contact()->mutable_last_valid_test_at()->set_seconds(0);
  EXPECT_THAT(ExpectRejected(EventDecoder().FromProtobuf(event.SerializeAsString(), std::nullopt),
                             RejectCode::kBadTime)
                  .message,
              HasSubstr("first_contact.last_valid_test_at"));
}

TEST(EventDecoderTest, ValidateChecksEventsBuiltInMemory) {
  CaseEvent event = ExampleEvent();
  EXPECT_FALSE(EventDecoder().Validate(event).has_value());
  event.set_municipality_code("8510");
  const std::optional<Rejection> rejection = EventDecoder().Validate(event);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_EQ(rejection->code, RejectCode::kBadMunicipality);
}

TEST(EventToJsonTest, RoundTripsThroughTheDecoder) {
  const CaseEvent event = ExampleEvent();
  const std::string json = EventToJson(event);
  EXPECT_THAT(json, HasSubstr(R"("person_key":"p-7f3a")"));
  EXPECT_THAT(json, HasSubstr(R"("first_contact":{)"));
  EXPECT_THAT(json, Not(HasSubstr(" ")));
  EXPECT_THAT(json, Not(HasSubstr("\n")));
  const CaseEvent decoded = ExpectDecoded(EventDecoder().FromJson(json));
  EXPECT_TRUE(MessageDifferencer::Equals(event, decoded)) << json;
}

TEST(EventToJsonTest, KeepsAnEmptyPayload) {
  CaseEvent event = ExampleEvent();
  event.mutable_person_erased();
  const std::string json = EventToJson(event);
  EXPECT_THAT(json, HasSubstr(R"("person_erased":{})"));
  EXPECT_EQ(ExpectDecoded(EventDecoder().FromJson(json)).payload_case(), CaseEvent::kPersonErased);
}

// The privacy rule: whatever is wrong, the rejection message does not carry the key.
TEST(EventDecoderPrivacyTest, RejectionNeverContainsThePersonKey) {
  const std::string key = "p-secret-4711";
  // Sorted keys put recorded_at after person_key, so the cut lines below stay malformed.
  const std::string line = Edit("person_key", Quoted(key));
  ASSERT_LT(line.find(key), line.find("recorded_at"));
  const std::vector<std::string> bad_lines = {
      Edit(line, "event_id", std::nullopt),
      Edit(line, "municipality_code", R"("a51")"),
      Edit(line, "occurred_at", R"("1999-12-31T23:00:00Z")"),
      Edit(line, "occurred_at", Quoted(key)),
      Edit(line, "recorded_at", R"("2019-13-45T09:30:00+01:00")"),
      Edit(Edit(line, "first_contact", std::nullopt), key, "{}"),
      Edit(Edit(line, "first_contact", std::nullopt), "frobnicate", "{}"),
      Edit(line, "first_contact", std::nullopt),
      Edit(line, "first_contact", Quoted(key)),
      Edit(line, "meeting_held", "{}"),
      Edit(line, "caseworker_id", "[" + Quoted(key) + "]"),
      Edit(line, "event_id", R"({"a":1})"),
      line.substr(0, line.find(key) + key.size() + 3),
      // Malformed right after the key, where the parser's error context would quote it.
      line.substr(0, line.find(key) + key.size() + 1) + "tru" +
          line.substr(line.find(key) + key.size() + 1),
  };
  for (const std::string& bad : bad_lines) {
    SCOPED_TRACE(bad);
    const DecodeResult result = EventDecoder().FromJson(bad);
    ASSERT_TRUE(std::holds_alternative<Rejection>(result));
    EXPECT_THAT(std::get<Rejection>(result).message, Not(HasSubstr(key)));
  }

  CaseEvent event = ExampleEvent();
  event.set_person_key(key);
  event.set_municipality_code("85");
  const DecodeResult result = EventDecoder().FromProtobuf(event.SerializeAsString(), key);
  ASSERT_TRUE(std::holds_alternative<Rejection>(result));
  EXPECT_THAT(std::get<Rejection>(result).message, Not(HasSubstr(key)));

  // A CPR number sent as a JSON number: protobuf's own error text would quote it.
  const Rejection rejection = ExpectRejected(
      EventDecoder().FromJson(Edit("person_key", "2512901234")), RejectCode::kDecodeFailed);
  EXPECT_THAT(rejection.message, HasSubstr("person_key"));
  EXPECT_THAT(rejection.message, Not(HasSubstr("2512901234")));
}

// Not a fuzzer, but the cheap version of one: every prefix and a few thousand corruptions of a
// valid event must come back as an event or a rejection, never a crash.
TEST(EventDecoderRobustnessTest, SurvivesPrefixesAndCorruptions) {
  const EventDecoder decoder;
  const std::string json(kExampleLine);
  const std::string binary = ExampleEvent().SerializeAsString();
  for (size_t n = 0; n <= json.size(); ++n) {
    (void)decoder.FromJson(json.substr(0, n));
  }
  for (size_t n = 0; n <= binary.size(); ++n) {
    (void)decoder.FromProtobuf(binary.substr(0, n), "k");
  }

  std::mt19937 random(4711);  // Fixed seed: a failure must reproduce.
  for (int i = 0; i < 3000; ++i) {
    std::string j = json;
    std::string b = binary;
    for (int flips = 0; flips < 3; ++flips) {
      j[random() % j.size()] = static_cast<char>(random() % 256);
      b[random() % b.size()] = static_cast<char>(random() % 256);
    }
    (void)decoder.FromJson(j);
    (void)decoder.FromProtobuf(b, std::nullopt);
  }
}

TEST(EventDecoderRobustnessTest, DeepNestingIsRejectedNotACrash) {
  const EventDecoder decoder;
  const size_t depth = 30000;
  const std::string arrays =
      R"({"first_contact":{},"x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  ASSERT_TRUE(std::holds_alternative<Rejection>(decoder.FromJson(arrays)));
  std::string objects;
  for (size_t i = 0; i < depth / 6; ++i) {
    objects += R"({"a":)";
  }
  objects += "1" + std::string(depth / 6, '}');
  ExpectRejected(decoder.FromJson(objects), RejectCode::kDecodeFailed);
  // 20000 nested start-group tags of an unknown field 200: (200 << 3 | 3) as a varint.
  std::string groups;
  for (int i = 0; i < 20000; ++i) {
    groups += "\xc3\x0c";
  }
  ExpectRejected(decoder.FromProtobuf(groups, std::nullopt), RejectCode::kDecodeFailed);
}

}  // namespace
}  // namespace fristvagt::processor
