#pragma once
// A start-up check of the `[kafka]` passthrough's security settings (issue 18): librdkafka
// treats a failed SASL authentication or TLS handshake as transient and retries forever,
// which looks healthy from outside. `run` asks the brokers for metadata once before it starts;
// an authentication or TLS failure is then a start-up error (exit 2) with the broker's reason.

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace fristvagt::processor {

// Unauthenticated when the brokers refuse the credentials or the TLS handshake fails; OK when
// metadata arrives, and also when no broker answers within `timeout` (an unreachable cluster
// is retried as before: it may come up later).
absl::Status CheckKafkaCredentials(const std::map<std::string, std::string>& kafka,
                                   absl::Duration timeout);

}  // namespace fristvagt::processor
