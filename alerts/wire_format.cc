#include "alerts/wire_format.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "proto/alert.pb.h"

namespace fristvagt::alerts {
namespace {

template <typename Message>
absl::StatusOr<std::string> Reencode(std::string_view bytes, WireFormat format) {
  if (format == WireFormat::kProtobuf) return std::string(bytes);
  Message message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("outbox value is not a ", Message::descriptor()->full_name()));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
      !status.ok()) {
    return absl::InternalError(std::string(status.message()));
  }
  return json;
}

}  // namespace

absl::StatusOr<std::string> EncodeForWire(WireMessage message, std::string_view protobuf_bytes,
                                          WireFormat format) {
  return message == WireMessage::kAlert ? Reencode<v1::Alert>(protobuf_bytes, format)
                                        : Reencode<v1::Obligation>(protobuf_bytes, format);
}

std::string WireContentType(WireMessage message, WireFormat format) {
  const char* type =
      message == WireMessage::kAlert ? "fristvagt.v1.Alert" : "fristvagt.v1.Obligation";
  return format == WireFormat::kJson ? absl::StrCat("application/json; messageType=", type)
                                     : absl::StrCat("application/x-protobuf; messageType=", type);
}

}  // namespace fristvagt::alerts
