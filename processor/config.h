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
#include "processor/event_decoder.h"

namespace fristvagt::processor {

struct TopicNames {
  std::string input = "case-events";
  std::string alerts = "fristvagt.alerts";
  std::string obligations = "fristvagt.obligations";
  std::string dead_letter = "case-events.dlq";
  std::string changelog = "fristvagt.state-changelog";
};

enum class ProcessingGuarantee { kAtLeastOnce, kExactlyOnce };

struct Config {
  std::map<std::string, std::string> kafka;  // librdkafka properties, e.g. bootstrap.servers
  TopicNames topics;
  int partitions = 3;        // created by the embedded broker
  int embedded_brokers = 3;  // the embedded broker's cluster size
  std::string group_id = "fristvagt";
  int batch_size = 500;
  absl::Duration batch_linger = absl::Milliseconds(20);
  ProcessingGuarantee guarantee = ProcessingGuarantee::kAtLeastOnce;
  absl::Duration shutdown_timeout = absl::Seconds(10);
  std::string state_dir = "fristvagt-state";
  std::string rules_dir;  // empty: the built-in default
  std::string http_bind = "127.0.0.1";
  int http_port = 8080;  // 0: no HTTP server
  alerts::Language language = alerts::Language::kDanish;
  DecodePolicy decode;
  absl::Duration late_course_window = absl::Hours(24 * 7);

  bool embedded() const { return kafka.find("bootstrap.servers") == kafka.end(); }
};

// Parses `path`; on failure every problem is appended to `errors` as "file:line: key: problem".
absl::StatusOr<Config> LoadConfig(const std::string& path, std::vector<std::string>* errors);
absl::StatusOr<Config> ParseConfig(std::string_view text, const std::string& file_name,
                                   std::vector<std::string>* errors);

}  // namespace fristvagt::processor
