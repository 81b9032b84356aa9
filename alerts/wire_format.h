#pragma once
// How alerts and obligation records look on their Kafka topics. The outbox always holds
// protobuf; the format is chosen when the message leaves, so changing `[alerts] format` never
// touches stored state. JSON uses protobuf's JSON mapping with the proto field names
// (snake_case, as in events.md), enums as their names, and omits empty fields.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace fristvagt::alerts {

enum class WireFormat { kProtobuf, kJson };

// The message types that travel in each format.
enum class WireMessage { kAlert, kObligation };

// The value to produce for `protobuf_bytes` of `message` type in `format`.
absl::StatusOr<std::string> EncodeForWire(WireMessage message, std::string_view protobuf_bytes,
                                          WireFormat format);

// The `content-type` header value for `message` in `format`, so a consumer can tell the two
// apart without guessing from the bytes.
std::string WireContentType(WireMessage message, WireFormat format);

}  // namespace fristvagt::alerts
