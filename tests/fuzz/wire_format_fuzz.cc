// Fuzz target for the alert and obligation wire formats (alerts/wire_format.h). The outbox
// holds protobuf; EncodeForWire re-encodes it when it leaves. The property, for any bytes and
// both message types: protobuf passes the bytes through unchanged; JSON either refuses with
// DataLoss (not a message of that type) or gives JSON that parses back into the same message
// (unknown fields aside, which JSON cannot carry).

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/wire_format.h"
#include "proto/alert.pb.h"

namespace {

using fristvagt::alerts::WireFormat;
using fristvagt::alerts::WireMessage;

template <typename Message>
void Check(WireMessage type, std::string_view bytes) {
  absl::StatusOr<std::string> proto = EncodeForWire(type, bytes, WireFormat::kProtobuf);
  if (!proto.ok() || *proto != bytes) {
    std::cerr << "wire: protobuf did not pass the bytes through\n";
    std::abort();
  }
  absl::StatusOr<std::string> json = EncodeForWire(type, bytes, WireFormat::kJson);
  Message parsed;
  const bool parses = parsed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  if (!json.ok()) {
    if (parses || !absl::IsDataLoss(json.status())) {
      std::cerr << "wire: json refused a parsable message: " << json.status() << "\n";
      std::abort();
    }
    return;
  }
  Message back;
  if (!google::protobuf::util::JsonStringToMessage(*json, &back).ok()) {
    std::cerr << "wire: json does not parse back: " << *json << "\n";
    std::abort();
  }
  parsed.DiscardUnknownFields();
  if (!google::protobuf::util::MessageDifferencer::Equals(parsed, back)) {
    std::cerr << "wire: json round trip differs: " << *json << "\n";
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check<fristvagt::v1::Alert>(WireMessage::kAlert, bytes);
  Check<fristvagt::v1::Obligation>(WireMessage::kObligation, bytes);
  return 0;
}

// An alert with every kind of field set, an obligation, and a digest carrying obligations.
void FristvagtFuzzSeeds(std::vector<std::string>* seeds) {
  fristvagt::v1::Obligation obligation;
  obligation.set_obligation_id("p-1/first_meeting");
  obligation.set_person_key("p-1");
  obligation.set_municipality_code("0101");
  obligation.set_caseworker_id("cw-7");
  obligation.set_rule_id("first_meeting");
  obligation.set_regime("lab2026");
  obligation.set_severity(static_cast<fristvagt::v1::Severity>(1));
  obligation.set_legal_ref("LAB § 30");
  obligation.set_deadline("2026-03-02");
  obligation.set_status(static_cast<fristvagt::v1::ObligationStatus>(2));
  obligation.set_message("Første samtale æøå");
  seeds->push_back(obligation.SerializeAsString());
  fristvagt::v1::Alert alert;
  alert.set_alert_id("p-1/first_meeting#1");
  alert.set_obligation_id(obligation.obligation_id());
  alert.set_person_key("p-1");
  alert.set_kind(static_cast<fristvagt::v1::AlertKind>(2));
  alert.set_due_at("2026-03-02T23:59:59+01:00");
  alert.add_cause_event_ids("e-1");
  alert.add_cause_event_ids("e-2");
  seeds->push_back(alert.SerializeAsString());
  alert.Clear();
  *alert.add_digest_items() = obligation;
  *alert.add_digest_items() = obligation;
  alert.set_digest_until("2026-03-09");
  seeds->push_back(alert.SerializeAsString());
}
