#pragma once
// Turns the raw bytes of one case event (a Kafka message value or one `replay` JSON line) into a
// validated `fristvagt::v1::CaseEvent`, or into the rejection that sends it to the dead-letter
// topic (docs/events.md §8). Decoding never throws and never aborts: any byte
// string, however hostile, yields either an event or a rejection.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "absl/time/time.h"
#include "proto/case_event.pb.h"

namespace fristvagt::processor {

// The dead-letter codes of events.md. The names returned by RejectCodeName go into the
// `fristvagt.error.code` header and the rejects file, so they are part of the contract.
enum class RejectCode {
  kDecodeFailed,
  kMissingField,
  kNoPayload,
  kUnknownPayload,
  kKeyMismatch,
  kCprAsKey,
  kBadMunicipality,
  kBadTime,
  kNoCourse,  // Produced by the engine, never by the decoder.
  kTooLarge,
  kTooManyEvents,  // Produced by the engine (max_events_per_person), never by the decoder.
};

// "DECODE_FAILED", "MISSING_FIELD", ...; "UNKNOWN" for a value outside the enum.
std::string_view RejectCodeName(RejectCode code);

struct Rejection {
  RejectCode code;
  // Human readable and names the offending field. Never contains the person_key (nor the
  // Kafka key): it ends up in Kafka headers and log lines that are not access controlled.
  std::string message;
};

struct DecodePolicy {
  size_t max_event_bytes = 64 * 1024;
  // CPR numbers are personal data that must not become Kafka keys or RocksDB keys; only a
  // deployment whose fagsystem cannot pseudonymise may switch this on.
  bool allow_cpr_keys = false;
  // How far `occurred_at` may lie after `recorded_at` (clocks of source systems drift).
  absl::Duration max_clock_skew = absl::Minutes(15);
};

using DecodeResult = std::variant<fristvagt::v1::CaseEvent, Rejection>;

// Decodes and validates case events. Stateless and thread-compatible: each consumer thread
// owns one. Checks run in this order, and the first failing one decides the code:
// TOO_LARGE, DECODE_FAILED / BAD_TIME (unparsable timestamp), MISSING_FIELD, DECODE_FAILED
// (malformed person_key), CPR_AS_KEY, KEY_MISMATCH, BAD_MUNICIPALITY, NO_PAYLOAD /
// UNKNOWN_PAYLOAD, BAD_TIME (range and skew).
class EventDecoder {
 public:
  explicit EventDecoder(DecodePolicy policy = {});

  // One JSON line in protobuf's JSON mapping (snake_case or camelCase names). Unknown fields
  // are ignored; an unknown top-level object when no known payload is set is UNKNOWN_PAYLOAD.
  // Decoded by simdjson (processor/input/json_fast_path.h) when the line is plain; any line
  // that path does not take, and every rejection, goes through FromJsonGeneric, so the result
  // is always FromJsonGeneric's (issue 15: 16-19 µs per event there).
  DecodeResult FromJson(std::string_view line) const;
  // The same through protobuf's generic JSON converter only: the reference the fast path is
  // compared with (event_decoder_test, the fuzz target, bench/decode_bench).
  DecodeResult FromJsonGeneric(std::string_view line) const;

  // A Kafka message value. `kafka_key`, when present, must equal `person_key`. With no known
  // payload, an unknown length-delimited field numbered 100 or above (the payload range of
  // case_event.proto) is UNKNOWN_PAYLOAD; a lower one is a newer envelope field, ignored.
  // Note: libprotobuf logs invalid UTF-8 in a string field to stderr before we reject it.
  DecodeResult FromProtobuf(std::string_view bytes,
                            std::optional<std::string_view> kafka_key) const;

  // The checks that follow decoding, for events built in memory (simulator, tests).
  // std::nullopt when the event is acceptable.
  std::optional<Rejection> Validate(const fristvagt::v1::CaseEvent& event) const;

 private:
  std::optional<Rejection> Check(const fristvagt::v1::CaseEvent& event,
                                 std::optional<std::string_view> kafka_key) const;

  DecodePolicy policy_;
};

// True when `key` has the shape of a CPR number: DDMMYYSSSS or DDMMYY-SSSS with a plausible
// day (01-31, or 61-91 for erstatningspersonnumre) and month (01-12).
bool LooksLikeCpr(std::string_view key);

// One JSON line (snake_case field names, no whitespace, no trailing newline), readable by
// EventDecoder::FromJson. Timestamps are printed in UTC. Empty when the event holds a
// timestamp outside 0001-9999, which no event that passed Validate does.
std::string EventToJson(const fristvagt::v1::CaseEvent& event);

}  // namespace fristvagt::processor
