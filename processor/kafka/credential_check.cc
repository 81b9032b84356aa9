#include "processor/kafka/credential_check.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fristvagt::processor {
namespace {

// rd_kafka_version() of librdkafka 2.6.1 (0xMMmmrrxx).
constexpr int kScramFixedVersion = 0x020601ff;

struct Failure {
  std::mutex mu;
  std::string reason;  // the first authentication or TLS error
};

void OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  if (err != RD_KAFKA_RESP_ERR__AUTHENTICATION && err != RD_KAFKA_RESP_ERR__SSL) return;
  auto* failure = static_cast<Failure*>(opaque);
  std::lock_guard<std::mutex> lock(failure->mu);
  if (failure->reason.empty()) {
    failure->reason = absl::StrCat(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)), ": ",
                                   reason == nullptr ? "" : reason);
  }
}

void Quiet(const rd_kafka_t*, int, const char*, const char*) {}

std::string Setting(const std::map<std::string, std::string>& kafka, const std::string& key) {
  auto it = kafka.find(key);
  return it == kafka.end() ? "(unset)" : it->second;
}

// The settings to look at, named as in the TOML file's [kafka] table, and for SCRAM the one
// cause that is not a setting: librdkafka before 2.6.1 puts the client nonce twice into its
// SCRAM client-final message, which brokers from Kafka 4.0 on refuse (they check the nonce
// strictly), so even the right password fails there; Kafka 3.9 accepts it
// (tests/integration/kafka_sasl_test.cc runs SCRAM-SHA-512 over SASL_SSL on 3.9.1).
absl::Status Refused(const std::map<std::string, std::string>& kafka, const std::string& reason) {
  if (absl::StartsWith(reason, "_SSL")) {
    return absl::UnauthenticatedError(absl::StrCat(
        "fristvagt: kafka: the TLS handshake with the brokers failed (", reason,
        "); check [kafka] ssl.* (ssl.ca.location, ssl.certificate.location, ssl.key.location)"));
  }
  std::string message = absl::StrCat(
      "fristvagt: kafka: the brokers refused the SASL login of [kafka] sasl.username = \"",
      Setting(kafka, "sasl.username"), "\" with sasl.mechanism = ", Setting(kafka, "sasl.mechanism"),
      " (", reason, "); check [kafka] sasl.username and sasl.password");
  const std::string mechanism = absl::AsciiStrToUpper(Setting(kafka, "sasl.mechanism"));
  if (absl::StartsWith(mechanism, "SCRAM-") && rd_kafka_version() < kScramFixedVersion) {
    absl::StrAppend(&message, ". Note: this fristvagt uses librdkafka ", rd_kafka_version_str(),
                    ", whose SCRAM login Kafka 4.0 and later brokers refuse even with the right "
                    "password (fixed in librdkafka 2.6.1). With a Kafka 4.x broker, use a "
                    "fristvagt built with librdkafka 2.6.1 or later, or sasl.mechanism = PLAIN "
                    "over security.protocol = SASL_SSL; a Kafka 3.x broker (3.9.1 is tested) "
                    "accepts this SCRAM login (docs/operations.md, Kafka security)");
  }
  return absl::UnauthenticatedError(message);
}

}  // namespace

absl::Status CheckKafkaCredentials(const std::map<std::string, std::string>& kafka,
                                   absl::Duration timeout) {
  Failure failure;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : kafka) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("fristvagt: [kafka] ", key, ": ", error));
    }
  }
  rd_kafka_conf_set_opaque(conf, &failure);
  rd_kafka_conf_set_error_cb(conf, &OnError);
  rd_kafka_conf_set_log_cb(conf, &Quiet);  // the reason comes back in the error
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> rk(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error)), &rd_kafka_destroy);
  if (rk == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("kafka: ", error));  // conf freed by librdkafka
  }
  // Real time: this waits for the network at start-up, before any processing clock exists.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout));
  while (std::chrono::steady_clock::now() < deadline) {
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk.get(), 0, nullptr, &metadata, 1000);
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_poll(rk.get(), 0);  // delivers the error callbacks
    {
      std::lock_guard<std::mutex> lock(failure.mu);
      if (!failure.reason.empty()) return Refused(kafka, failure.reason);
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace fristvagt::processor
