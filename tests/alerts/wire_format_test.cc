// Alerts and obligation records leave in the configured format; the stored protobuf is the
// source either way, and the content-type header tells the consumer which one it got.

#include "alerts/wire_format.h"

#include "gtest/gtest.h"
#include "proto/alert.pb.h"

namespace fristvagt::alerts {
namespace {

TEST(WireFormatTest, ProtobufIsPassedThroughAndJsonUsesTheProtoFieldNames) {
  v1::Alert alert;
  alert.set_alert_id("a1");
  alert.set_kind(v1::BREACH);
  alert.set_person_key("p-1");
  const std::string bytes = alert.SerializeAsString();

  absl::StatusOr<std::string> proto =
      EncodeForWire(WireMessage::kAlert, bytes, WireFormat::kProtobuf);
  ASSERT_TRUE(proto.ok());
  EXPECT_EQ(*proto, bytes);

  absl::StatusOr<std::string> json = EncodeForWire(WireMessage::kAlert, bytes, WireFormat::kJson);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(*json, R"({"alert_id":"a1","person_key":"p-1","kind":"BREACH"})");
}

TEST(WireFormatTest, ObligationsToo) {
  v1::Obligation ob;
  ob.set_obligation_id("o1");
  ob.set_status(v1::MET_LATE);
  absl::StatusOr<std::string> json =
      EncodeForWire(WireMessage::kObligation, ob.SerializeAsString(), WireFormat::kJson);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json, R"({"obligation_id":"o1","status":"MET_LATE"})");
}

TEST(WireFormatTest, BytesThatAreNotTheMessageAreAnErrorNotGarbage) {
  EXPECT_FALSE(EncodeForWire(WireMessage::kAlert, "\xff\xff\xff", WireFormat::kJson).ok());
}

TEST(WireFormatTest, ContentTypeNamesFormatAndMessage) {
  EXPECT_EQ(WireContentType(WireMessage::kAlert, WireFormat::kJson),
            "application/json; messageType=fristvagt.v1.Alert");
  EXPECT_EQ(WireContentType(WireMessage::kObligation, WireFormat::kProtobuf),
            "application/x-protobuf; messageType=fristvagt.v1.Obligation");
}

}  // namespace
}  // namespace fristvagt::alerts
