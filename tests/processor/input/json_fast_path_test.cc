// The simdjson fast path of EventDecoder::FromJson (issue 15) against the generic protobuf JSON
// path on lines chosen to sit at the edge of what the fast path takes: every one must decode to
// the same event bytes or the same rejection (code and message). The fuzz target makes the
// same comparison on mutated input.

#include <initializer_list>
#include <string>
#include <variant>

#include "gtest/gtest.h"
#include "processor/input/event_decoder.h"
#include "processor/input/json_fast_path.h"

namespace fristvagt::processor {
namespace {

std::string Describe(const DecodeResult& result) {
  if (const auto* event = std::get_if<v1::CaseEvent>(&result)) {
    return "event " + event->ShortDebugString();
  }
  const auto& rejection = std::get<Rejection>(result);
  return "rejection " + std::string(RejectCodeName(rejection.code)) + " " + rejection.message;
}

const std::string kEnvelope =
    R"("event_id":"e-1","person_key":"p-1","municipality_code":"851","caseworker_id":"cw-1",)"
    R"("occurred_at":"2024-03-04T09:30:00+01:00","recorded_at":"2024-03-04T09:30:00+01:00")";

TEST(JsonFastPathTest, TakesPlainEventsAndDecodesThemAsTheGenericPath) {
  const EventDecoder decoder;
  for (const std::string& payload :
       {std::string(R"("first_contact":{"has_youth_education":true,"age_years":22,)"
                    R"("benefit":"KONTANTHJAELP","last_valid_test_at":"2023-01-01T00:00:00Z"})"),
        std::string(R"("meetingHeld":{"channel":"PHONE","guidanceTopics":["RULE_225_HOURS",)"
                    R"("COORDINATING_CASEWORKER"],"educationFocus":false})"),
        std::string(R"("person_erased":{})"),
        std::string(R"("test_need_assessed":{"outcome":"TEST_NEEDED"},"unknown_scalar":5)")}) {
    const std::string line = "{" + kEnvelope + "," + payload + "}";
    v1::CaseEvent fast;
    EXPECT_TRUE(JsonToCaseEventFast(line, &fast)) << line;
    EXPECT_EQ(Describe(decoder.FromJson(line)), Describe(decoder.FromJsonGeneric(line))) << line;
    EXPECT_EQ(Describe(fast), Describe(decoder.FromJsonGeneric(line))) << line;
  }
}

TEST(JsonFastPathTest, EdgeCasesGiveWhatTheGenericPathGives) {
  const EventDecoder decoder;
  const std::string payload = R"("test_completed":{"course_needed":true})";
  for (const std::string& line : std::initializer_list<std::string>{
           "{" + kEnvelope + "," + payload + "," + payload + "}",  // key twice
           "{" + kEnvelope + R"(,"person_key":"p-2",)" + payload + "}",     // envelope key twice
           "{" + kEnvelope + R"(,"personKey":"p-1",)" + payload + "}",      // both names
           "{" + kEnvelope + R"(,"test_completed":null})",                  // null payload
           "{" + kEnvelope + R"(,"source_system":null,)" + payload + "}",   // null scalar
           "{" + kEnvelope + R"(,"first_contact":{"age_years":"22"}})",     // number as string
           "{" + kEnvelope + R"(,"first_contact":{"age_years":22.0}})",     // integral double
           "{" + kEnvelope + R"(,"first_contact":{"age_years":3000000000}})",  // out of range
           "{" + kEnvelope + R"(,"first_contact":{"benefit":2}})",          // enum number
           "{" + kEnvelope + R"(,"first_contact":{"benefit":"NOPE"}})",     // unknown enum
           "{" + kEnvelope + R"(,"first_contact":{"has_youth_education":"true"}})",
           "{" + kEnvelope + R"(,"future_payload":{"x":1}})",               // unknown object
           "{" + kEnvelope + R"(,"":1,)" + payload + "}",                   // empty key
           "{" + kEnvelope + R"(,"test_\u0063ompleted":{"course_needed":true}})",  // escaped key
           "{" + kEnvelope + R"(,"source_system":"\ud800",)" + payload + "}",     // lone surrogate
           "{" + kEnvelope + R"(,"source_system":"a\u0000b",)" + payload + "}",   // NUL
           "{" + kEnvelope + "," + payload + "} trailing",
           "\xEF\xBB\xBF{" + kEnvelope + "," + payload + "}",              // byte order mark
           "  {" + kEnvelope + "," + payload + "}\n",
           "{" + kEnvelope + R"(,"first_contact":{},"meeting_held":{}})",   // two payloads
           "{" + kEnvelope + R"(,"occurred_at":"2024-03-04T09:30:00")" + "," + payload + "}",
           "{" + kEnvelope + R"(,"nested":[[[[[[[[[[1]]]]]]]]]],)" + payload + "}",
           std::string("[]"), std::string("1"), std::string(), std::string("{}"),
           "{" + kEnvelope + "}"}) {
    EXPECT_EQ(Describe(decoder.FromJson(line)), Describe(decoder.FromJsonGeneric(line))) << line;
  }
}

}  // namespace
}  // namespace fristvagt::processor
