#pragma once
// One named spdlog logger per subsystem (conventions.md). On a terminal: text lines. Otherwise
// every line is one JSON object: {"ts", "level", "logger", "msg", then structured fields},
// properly escaped, so a collector can parse every line, fatal errors included.
// Person keys never reach a log in clear text: use RedactKey.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fristvagt::processor {

std::shared_ptr<spdlog::logger> Logger(const std::string& subsystem);

enum class LogFormat { kAuto, kJson, kText };  // kAuto: text on a terminal, JSON otherwise

// Sets the level (none: keep it) and format of every logger, present and future. Where the
// level comes from, the first that is given wins: --log-level (SetCommandLineLogLevel), the
// configuration's [log] level (ConfigureLogging), FRISTVAGT_LOG_LEVEL (read at the first
// Logger() call), info. The format: [log] format, FRISTVAGT_LOG_FORMAT, auto.
void ConfigureLogging(std::optional<spdlog::level::level_enum> level,
                      LogFormat format = LogFormat::kAuto);
// --log-level: sets the level and keeps it over later ConfigureLogging calls (flags over file).
void SetCommandLineLogLevel(spdlog::level::level_enum level);
// "trace", "debug", "info", "warn", "error", "critical", "off".
std::optional<spdlog::level::level_enum> ParseLogLevel(std::string_view name);
std::optional<LogFormat> ParseLogFormat(std::string_view name);

// Structured fields (partition, offset, topic, code, ...) added to every line this thread logs
// while the object lives; scopes nest. Integer values are JSON numbers.
class LogFields {
 public:
  struct Field {
    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    Field(std::string_view k, const std::string& v) : key(k), value(v) {}
    Field(std::string_view k, const char* v) : key(k), value(v) {}
    Field(std::string_view k, int64_t v) : key(k), value(std::to_string(v)), number(true) {}
    Field(std::string_view k, int32_t v) : Field(k, static_cast<int64_t>(v)) {}
    std::string key;
    std::string value;
    bool number = false;
  };
  LogFields(std::initializer_list<Field> fields);
  ~LogFields();
  LogFields(const LogFields&) = delete;
  LogFields& operator=(const LogFields&) = delete;

 private:
  size_t count_;
};

// A message that ends the process (start-up failures, usage errors): one line on stderr from
// the "fristvagt" logger, JSON when stderr is not a terminal, whatever the configured level.
void LogFatal(std::string_view message, std::initializer_list<LogFields::Field> fields = {});

// JSON string escaping (quotes included): control characters as \u00XX, invalid UTF-8 as
// U+FFFD. For anything written as JSON by hand.
std::string JsonQuote(std::string_view text);

// A short stable pseudonym for a person key ("p#3f9a1c2b"), so log lines about one person can
// be correlated without revealing who it is.
std::string RedactKey(std::string_view person_key);

}  // namespace fristvagt::processor
