#pragma once
// The processor's configuration: one TOML file (docs/configuration.md lists every key with its
// default). Unknown keys and bad values are errors naming file, line and key; `[kafka]` keys pass
// through to librdkafka unchanged. Loaded once at start-up; read-only afterwards.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "alerts/alert_factory.h"
#include "alerts/wire_format.h"
#include "processor/input/event_decoder.h"
#include "processor/input/key_partitioner.h"

namespace fristvagt::processor {

struct TopicNames {
  std::string input = "case-events";
  std::string alerts = "fristvagt.alerts";
  std::string obligations = "fristvagt.obligations";
  std::string dead_letter = "case-events.dlq";
  // The internal topics' names derive from the group id unless set, as Kafka Streams prefixes
  // its internal topics with the application id: "<group_id>.state-changelog" and
  // "<group_id>.instances" (a second group must not take the first group's state for its own).
  std::string changelog = "fristvagt.state-changelog";
  std::string instances = "fristvagt.instances";  // which instance holds which partitions
};

enum class ProcessingGuarantee { kAtLeastOnce, kExactlyOnce };

// `[alerts]`: what case systems receive, beyond the alerts themselves.
struct AlertOutput {
  alerts::WireFormat format = alerts::WireFormat::kProtobuf;  // alerts and obligations topics
  // An obligation's record leaves the compacted obligations topic (a tombstone) this long after
  // its course ended (benefit_ended), once it is no longer open.
  int obligation_retention_days = 90;
  bool digest = false;          // one DIGEST per caseworker each working morning
  int digest_hour = 7;          // local (Danish) hour of the digest
  int digest_working_days = 5;  // the digest lists what falls due within this many working days
};

struct Config {
  std::map<std::string, std::string> kafka;  // librdkafka properties, e.g. bootstrap.servers
  TopicNames topics;
  int partitions = 3;        // created by the embedded broker
  int embedded_brokers = 3;  // the embedded broker's cluster size
  // With a real cluster: create missing topics and check existing ones (kafka/topic_admin.h).
  bool create_topics = true;
  int dead_letter_retention_days = 365;  // retention.ms of a dead-letter topic it creates
  std::string group_id = "fristvagt";
  // Static membership (KIP-345): [processing] group_instance_id, else the environment variable
  // FRISTVAGT_GROUP_INSTANCE_ID (e.g. a StatefulSet pod's name); empty: dynamic membership.
  std::string group_instance_id;
  int batch_size = 500;
  absl::Duration batch_linger = absl::Milliseconds(20);
  // Threads that apply the assigned partitions' events (one partition per task at a time);
  // consuming, producing and committing stay on the main thread (kafka/partition_workers.h).
  int threads = 1;
  // Produce a batch's outbox on a delivery thread while the next batch is applied
  // (kafka/outbox_delivery.cc). Off by default: on the 2-core machine it cost CPU per event and
  // gained no throughput (docs/benchmarks.md, issue 15, session 11).
  bool overlap_delivery = false;
  ProcessingGuarantee guarantee = ProcessingGuarantee::kAtLeastOnce;
  absl::Duration shutdown_timeout = absl::Seconds(10);
  std::string state_dir = "fristvagt-state";
  int cached_persons = 50000;  // parsed persons kept between batches, shared by the partitions
  std::string rules_dir;       // empty: the built-in default
  std::vector<std::string> rules_drafts;  // [rules] drafts: draft regimes switched on (lab2027)
  std::string http_bind = "127.0.0.1";
  int http_port = 8080;  // 0: no HTTP server
  // The query API's bearer token; `run` resolves http_token_file and FRISTVAGT_HTTP_TOKEN into
  // it (ResolveHttpToken). Without a token it serves only with http_allow_unauthenticated.
  std::string http_token;
  std::string http_token_file;
  bool http_allow_unauthenticated = false;
  // Scoped tokens (access/README.md); instead of http_token. Re-read when the file changes.
  std::string http_tokens_file;
  std::string http_audit_log;  // the audit log of look-ups; empty: <state_dir>/audit-lookups.jsonl
  std::string http_tls_cert_file, http_tls_key_file;  // PEM; both or neither
  bool http_allow_plaintext = false;  // person data over plain text to non-loopback clients
  std::string http_advertised_address;  // empty: bind:port (the host name for a wildcard bind)
  int http_line = 1;                    // where [http] starts in the file, for messages
  KeyPartitioner input_partitioner = KeyPartitioner::kMurmur2Random;
  alerts::Language language = alerts::Language::kDanish;
  DecodePolicy decode;
  absl::Duration late_course_window = absl::Hours(24 * 7);
  int max_events_per_person = 10000;  // [input]; beyond it TOO_MANY_EVENTS (EngineOptions)
  AlertOutput alert_output;
  std::string log_level;   // [log] level; empty: FRISTVAGT_LOG_LEVEL or info
  std::string log_format;  // [log] format: auto, json, text; empty: auto
  std::string file;        // the configuration file, empty without --config
  std::map<std::string, int> key_lines;  // "section.key" → its line in `file`

  bool embedded() const { return kafka.find("bootstrap.servers") == kafka.end(); }
};

// Parses `path`; on failure every problem is appended to `errors` as "file:line: key: problem".
absl::StatusOr<Config> LoadConfig(const std::string& path, std::vector<std::string>* errors);
absl::StatusOr<Config> ParseConfig(std::string_view text, const std::string& file_name,
                                   std::vector<std::string>* errors);

// What `run` checks beyond the file's syntax: with an HTTP port the query API needs a bearer
// token, taken from http.token, else the file http.token_file names, else the environment
// variable FRISTVAGT_HTTP_TOKEN, unless http.allow_unauthenticated = true. Problems are appended
// to `errors` as "file:line: http.key: problem" (`file_name` empty: no configuration file).
absl::Status ResolveHttpToken(const std::string& file_name, Config* config,
                              std::vector<std::string>* errors);

}  // namespace fristvagt::processor
