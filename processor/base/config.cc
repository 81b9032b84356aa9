#include "processor/base/config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace fristvagt::processor {

namespace {

// "${NAME}" → the environment variable NAME, so one file serves every pod of a StatefulSet
// (deploy/kubernetes/configmap.yaml). nullopt with a problem when NAME is unset.
std::optional<std::string> ExpandEnvironment(const std::string& value, std::string* problem) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t start = value.find("${", pos);
    if (start == std::string::npos) break;
    const size_t end = value.find('}', start + 2);
    if (end == std::string::npos) break;
    const std::string name = value.substr(start + 2, end - start - 2);
    const char* env = std::getenv(name.c_str());
    if (env == nullptr) {
      *problem = absl::StrCat("the environment variable ", name, " is not set");
      return std::nullopt;
    }
    absl::StrAppend(&out, value.substr(pos, start - pos), env);
    pos = end + 1;
  }
  out += value.substr(pos);
  return out;
}

// Reads typed values out of one TOML section, reporting problems with file:line: key.
class Section {
 public:
  Section(const toml::table* table, std::string name, const std::string& file,
          std::vector<std::string>* errors)
      : table_(table), name_(std::move(name)), file_(file), errors_(errors) {}

  void Error(const toml::node& node, const std::string& key, const std::string& problem) {
    errors_->push_back(absl::StrCat(file_, ":", static_cast<uint64_t>(node.source().begin.line),
                                    ": ", name_, ".", key, ": ", problem));
  }

  // ${NAME} in the value is replaced by the environment variable NAME (an error when unset).
  void String(const std::string& key, std::string* out) {
    std::string value;
    if (!Read<std::string>(key, "a string", &value)) return;
    std::string problem;
    if (std::optional<std::string> expanded = ExpandEnvironment(value, &problem)) {
      *out = *expanded;
    } else {
      Error(*table_->get(key), key, problem);
    }
  }

  void Int(const std::string& key, int min, int max, int* out) {
    int64_t value = *out;
    if (Read<int64_t>(key, "an integer", &value)) {
      if (value < min || value > max) {
        Error(*table_->get(key), key, absl::StrCat("must be between ", min, " and ", max));
        return;
      }
      *out = static_cast<int>(value);
    }
  }

  void Bool(const std::string& key, bool* out) { Read<bool>(key, "true or false", out); }

  void Strings(const std::string& key, std::vector<std::string>* out) {
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    const toml::array* array = node->as_array();
    if (array == nullptr) return Error(*node, key, "must be an array of strings");
    out->clear();
    for (const toml::node& element : *array) {
      if (const auto* s = element.as_string()) {
        out->push_back(s->get());
      } else {
        Error(element, key, "must be an array of strings");
      }
    }
  }

  void Choice(const std::string& key, const std::map<std::string, std::function<void()>>& opts) {
    std::string value;
    if (!Read<std::string>(key, "a string", &value)) return;
    auto it = opts.find(value);
    if (it == opts.end()) {
      std::string names;
      for (const auto& [name, f] : opts) absl::StrAppend(&names, names.empty() ? "" : ", ", name);
      Error(*table_->get(key), key, absl::StrCat("\"", value, "\" is not one of: ", names));
      return;
    }
    it->second();
  }

  // Keys not in `known` are errors: a typo must not silently fall back to a default.
  void RejectUnknown(std::initializer_list<const char*> known) {
    if (table_ == nullptr) return;
    for (const auto& [key, node] : *table_) {
      bool found = false;
      for (const char* k : known) found = found || key.str() == k;
      if (!found) Error(node, std::string(key.str()), "unknown key");
    }
  }

 private:
  template <typename T>
  bool Read(const std::string& key, const char* expected, T* out) {
    if (table_ == nullptr) return false;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return false;
    std::optional<T> value = node->value_exact<T>();
    if (!value.has_value()) {
      Error(*node, key, absl::StrCat("must be ", expected));
      return false;
    }
    *out = *value;
    return true;
  }

  const toml::table* table_;
  std::string name_;
  const std::string& file_;
  std::vector<std::string>* errors_;
};

void ReadKafka(const toml::table* table, const std::string& file, Config* config,
               std::vector<std::string>* errors) {
  if (table == nullptr) return;
  for (const auto& [key, node] : *table) {
    if (auto s = node.value_exact<std::string>()) {
      std::string problem;
      if (std::optional<std::string> expanded = ExpandEnvironment(*s, &problem)) {
        config->kafka[std::string(key.str())] = *expanded;
      } else {
        errors->push_back(absl::StrCat(file, ":", static_cast<uint64_t>(node.source().begin.line),
                                       ": kafka.", std::string(key.str()), ": ", problem));
      }
    } else if (auto i = node.value_exact<int64_t>()) {
      config->kafka[std::string(key.str())] = std::to_string(*i);
    } else if (auto b = node.value_exact<bool>()) {
      config->kafka[std::string(key.str())] = *b ? "true" : "false";
    } else {
      errors->push_back(absl::StrCat(file, ":", static_cast<uint64_t>(node.source().begin.line),
                                     ": kafka.", std::string(key.str()),
                                     ": must be a string, integer or boolean (quote dotted "
                                     "librdkafka names: \"bootstrap.servers\" = ...)"));
    }
  }
}

void ReadSections(const toml::table& root, const std::string& file, Config* c,
                  std::vector<std::string>* errors) {
  for (const auto& [key, node] : root) {
    static const char* kSections[] = {"kafka", "topics", "processing", "state", "http",
                                      "rules", "input",  "alerts",     "log"};
    bool known = false;
    for (const char* s : kSections) known = known || key.str() == s;
    if (!known || !node.is_table()) {
      errors->push_back(absl::StrCat(file, ":", static_cast<uint64_t>(node.source().begin.line),
                                     ": ", std::string(key.str()),
                                     known ? ": must be a table" : ": unknown section"));
    }
  }
  ReadKafka(root["kafka"].as_table(), file, c, errors);

  Section topics(root["topics"].as_table(), "topics", file, errors);
  topics.RejectUnknown({"input", "alerts", "obligations", "dead_letter", "changelog", "instances",
                        "partitions", "embedded_brokers", "create",
                        "dead_letter_retention_days"});
  topics.String("input", &c->topics.input);
  topics.String("alerts", &c->topics.alerts);
  topics.String("obligations", &c->topics.obligations);
  topics.String("dead_letter", &c->topics.dead_letter);
  topics.String("changelog", &c->topics.changelog);
  topics.String("instances", &c->topics.instances);
  topics.Int("partitions", 1, 1024, &c->partitions);
  topics.Int("embedded_brokers", 1, 9, &c->embedded_brokers);
  topics.Bool("create", &c->create_topics);
  topics.Int("dead_letter_retention_days", 1, 36500, &c->dead_letter_retention_days);

  Section processing(root["processing"].as_table(), "processing", file, errors);
  processing.RejectUnknown({"group_id", "group_instance_id", "batch_size", "batch_linger_ms",
                            "processing_guarantee", "shutdown_timeout_ms", "language",
                            "threads", "overlap_delivery"});
  processing.String("group_id", &c->group_id);
  processing.String("group_instance_id", &c->group_instance_id);
  if (c->group_instance_id.empty()) {
    if (const char* env = std::getenv("FRISTVAGT_GROUP_INSTANCE_ID"); env != nullptr) {
      c->group_instance_id = env;
    }
  }
  // Internal topics not named in [topics] take the group id as their prefix.
  const toml::table* topic_table = root["topics"].as_table();
  if (topic_table == nullptr || !topic_table->contains("changelog")) {
    c->topics.changelog = c->group_id + ".state-changelog";
  }
  if (topic_table == nullptr || !topic_table->contains("instances")) {
    c->topics.instances = c->group_id + ".instances";
  }
  processing.Int("batch_size", 1, 1000000, &c->batch_size);
  int linger_ms = static_cast<int>(absl::ToInt64Milliseconds(c->batch_linger));
  processing.Int("batch_linger_ms", 0, 60000, &linger_ms);
  c->batch_linger = absl::Milliseconds(linger_ms);
  processing.Int("threads", 1, 64, &c->threads);
  processing.Bool("overlap_delivery", &c->overlap_delivery);
  processing.Choice("processing_guarantee",
                    {{"at_least_once", [&] { c->guarantee = ProcessingGuarantee::kAtLeastOnce; }},
                     {"exactly_once", [&] { c->guarantee = ProcessingGuarantee::kExactlyOnce; }}});
  int shutdown_ms = static_cast<int>(absl::ToInt64Milliseconds(c->shutdown_timeout));
  processing.Int("shutdown_timeout_ms", 100, 600000, &shutdown_ms);
  c->shutdown_timeout = absl::Milliseconds(shutdown_ms);
  processing.Choice("language", {{"da", [&] { c->language = alerts::Language::kDanish; }},
                                 {"en", [&] { c->language = alerts::Language::kEnglish; }}});

  Section input(root["input"].as_table(), "input", file, errors);
  input.RejectUnknown({"max_event_bytes", "allow_cpr_keys", "max_clock_skew_minutes",
                       "late_course_window_days", "partitioner", "max_events_per_person"});
  int max_bytes = static_cast<int>(c->decode.max_event_bytes);
  input.Int("max_event_bytes", 1024, 64 * 1024 * 1024, &max_bytes);
  c->decode.max_event_bytes = static_cast<size_t>(max_bytes);
  input.Bool("allow_cpr_keys", &c->decode.allow_cpr_keys);
  int skew = static_cast<int>(absl::ToInt64Minutes(c->decode.max_clock_skew));
  input.Int("max_clock_skew_minutes", 0, 24 * 60, &skew);
  c->decode.max_clock_skew = absl::Minutes(skew);
  int window_days = static_cast<int>(c->late_course_window / absl::Hours(24));
  input.Int("late_course_window_days", 0, 365, &window_days);
  c->late_course_window = absl::Hours(24 * window_days);
  input.Int("max_events_per_person", 10, 10000000, &c->max_events_per_person);
  input.Choice(
      "partitioner",
      {{"murmur2_random", [&] { c->input_partitioner = KeyPartitioner::kMurmur2Random; }},
       {"consistent_random", [&] { c->input_partitioner = KeyPartitioner::kConsistentRandom; }}});

  Section state(root["state"].as_table(), "state", file, errors);
  state.RejectUnknown({"dir", "cached_persons"});
  state.String("dir", &c->state_dir);
  state.Int("cached_persons", 0, 10000000, &c->cached_persons);

  Section http(root["http"].as_table(), "http", file, errors);
  http.RejectUnknown(
      {"bind", "port", "token", "token_file", "allow_unauthenticated", "advertised_address",
       "tokens_file", "audit_log", "tls_cert_file", "tls_key_file", "allow_plaintext"});
  http.String("bind", &c->http_bind);
  http.Int("port", 0, 65535, &c->http_port);
  http.String("token", &c->http_token);
  http.String("token_file", &c->http_token_file);
  http.Bool("allow_unauthenticated", &c->http_allow_unauthenticated);
  http.String("advertised_address", &c->http_advertised_address);
  http.String("tokens_file", &c->http_tokens_file);
  http.String("audit_log", &c->http_audit_log);
  http.String("tls_cert_file", &c->http_tls_cert_file);
  http.String("tls_key_file", &c->http_tls_key_file);
  http.Bool("allow_plaintext", &c->http_allow_plaintext);
  if (const toml::table* table = root["http"].as_table()) {
    c->http_line = static_cast<int>(table->source().begin.line);
  }

  Section rules(root["rules"].as_table(), "rules", file, errors);
  rules.RejectUnknown({"dir", "drafts"});
  rules.String("dir", &c->rules_dir);
  rules.Strings("drafts", &c->rules_drafts);

  Section log(root["log"].as_table(), "log", file, errors);
  log.RejectUnknown({"level", "format"});
  log.Choice("level", {{"trace", [&] { c->log_level = "trace"; }},
                       {"debug", [&] { c->log_level = "debug"; }},
                       {"info", [&] { c->log_level = "info"; }},
                       {"warn", [&] { c->log_level = "warn"; }},
                       {"error", [&] { c->log_level = "error"; }},
                       {"off", [&] { c->log_level = "off"; }}});
  log.Choice("format", {{"auto", [&] { c->log_format = "auto"; }},
                        {"json", [&] { c->log_format = "json"; }},
                        {"text", [&] { c->log_format = "text"; }}});

  // Where each key is, for start-up checks that name file:line: key (state dir, librdkafka).
  for (const auto& [section, node] : root) {
    if (const toml::table* table = node.as_table()) {
      for (const auto& [key, value] : *table) {
        c->key_lines[std::string(section.str()) + "." + std::string(key.str())] =
            static_cast<int>(value.source().begin.line);
      }
    }
  }

  Section alert_section(root["alerts"].as_table(), "alerts", file, errors);
  alert_section.RejectUnknown(
      {"format", "obligation_retention_days", "digest", "digest_hour", "digest_working_days"});
  AlertOutput& out = c->alert_output;
  alert_section.Choice("format", {{"protobuf", [&] { out.format = alerts::WireFormat::kProtobuf; }},
                                  {"json", [&] { out.format = alerts::WireFormat::kJson; }}});
  alert_section.Int("obligation_retention_days", 0, 3650, &out.obligation_retention_days);
  alert_section.Bool("digest", &out.digest);
  alert_section.Int("digest_hour", 0, 23, &out.digest_hour);
  alert_section.Int("digest_working_days", 1, 30, &out.digest_working_days);
}

// A token goes into an HTTP header: printable ASCII without spaces.
bool UsableToken(const std::string& token) {
  if (token.empty()) return false;
  for (char ch : token) {
    if (ch <= ' ' || ch > '~') return false;
  }
  return true;
}

}  // namespace

absl::Status ResolveHttpToken(const std::string& file_name, Config* config,
                              std::vector<std::string>* errors) {
  const size_t before = errors->size();
  auto error = [&](const std::string& key, const std::string& problem) {
    errors->push_back(
        file_name.empty()
            ? absl::StrCat("http.", key, ": ", problem, " (no --config given)")
            : absl::StrCat(file_name, ":", config->http_line, ": http.", key, ": ", problem));
  };
  if (config->http_tls_cert_file.empty() != config->http_tls_key_file.empty()) {
    error(config->http_tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file",
          "set both http.tls_cert_file and http.tls_key_file, or neither");
  }
  if (!config->http_tokens_file.empty()) {
    // Scoped tokens replace the single token; the file itself is read by `run` (TokenStore).
    if (!config->http_token.empty() || !config->http_token_file.empty()) {
      error("tokens_file", "set either http.tokens_file or http.token/http.token_file, not both");
    }
  } else if (!config->http_token.empty() && !config->http_token_file.empty()) {
    error("token_file", "set either http.token or http.token_file, not both");
  } else if (!config->http_token_file.empty()) {
    std::ifstream in(config->http_token_file);
    std::stringstream text;
    if (in) text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (!in || token.empty()) {
      error("token_file", absl::StrCat("cannot read a token from ", config->http_token_file));
    }
    config->http_token = token;
  } else if (config->http_token.empty()) {
    if (const char* env = std::getenv("FRISTVAGT_HTTP_TOKEN"); env != nullptr) {
      config->http_token = env;
    }
  }
  if (errors->size() == before && !config->http_token.empty() && !UsableToken(config->http_token)) {
    error(config->http_token_file.empty() ? "token" : "token_file",
          "the token must be printable ASCII without spaces");
  }
  if (errors->size() == before && config->http_port != 0 && config->http_token.empty() &&
      config->http_tokens_file.empty() && !config->http_allow_unauthenticated) {
    error("token",
          "the query API needs a bearer token: set http.token or http.token_file (or the "
          "environment variable FRISTVAGT_HTTP_TOKEN), or http.allow_unauthenticated = true to "
          "serve it without one, or http.port = 0 for no HTTP server");
  }
  if (errors->size() > before) {
    return absl::InvalidArgumentError(absl::StrCat("invalid configuration in ", file_name));
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> ParseConfig(std::string_view text, const std::string& file_name,
                                   std::vector<std::string>* errors) {
  const size_t before = errors->size();
  Config config;
  try {
    const toml::table root = toml::parse(text, file_name);
    ReadSections(root, file_name, &config, errors);
    config.file = file_name;
  } catch (const toml::parse_error& e) {
    errors->push_back(absl::StrCat(file_name, ":", static_cast<uint64_t>(e.source().begin.line),
                                   ": ", std::string(e.description())));
  }
  if (errors->size() > before) {
    return absl::InvalidArgumentError(absl::StrCat("invalid configuration in ", file_name));
  }
  return config;
}

absl::StatusOr<Config> LoadConfig(const std::string& path, std::vector<std::string>* errors) {
  std::ifstream in(path);
  if (!in) {
    errors->push_back(
        absl::StrCat(path, ": cannot read the configuration file: ", std::strerror(errno)));
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path, errors);
}

}  // namespace fristvagt::processor
