#include "processor/base/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rules/stable_id.h"

namespace fristvagt::processor {

namespace {

thread_local std::vector<LogFields::Field> t_fields;

struct Settings {
  std::mutex mu;
  bool initialized = false;
  spdlog::level::level_enum level = spdlog::level::info;
  bool level_from_command_line = false;  // then the file's level does not change it
  bool json = true;
  spdlog::sink_ptr sink;
};

Settings& GetSettings() {
  static Settings* settings = new Settings;  // never destroyed: loggers outlive statics
  return *settings;
}

size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8 either.
  const unsigned char next = byte(i + 1);
  if ((c == 0xE0 && next < 0xA0) || (c == 0xED && next >= 0xA0) || (c == 0xF0 && next < 0x90) ||
      (c == 0xF4 && next >= 0x90)) {
    return 0;
  }
  return n;
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

// Formats a line as JSON or as text, with the thread's structured fields.
class LineFormatter : public spdlog::formatter {
 public:
  explicit LineFormatter(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const absl::Time time = absl::FromChrono(msg.time);
    const std::string_view text(msg.payload.data(), msg.payload.size());
    std::string line;
    if (json_) {
      line = "{\"ts\":\"" + absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()) +
             "\",\"level\":\"" + std::string(LevelName(msg.level)) + "\",\"logger\":" +
             JsonQuote(std::string_view(msg.logger_name.data(), msg.logger_name.size())) +
             ",\"msg\":" + JsonQuote(text);
      for (const LogFields::Field& f : t_fields) {
        line += "," + JsonQuote(f.key) + ":" + (f.number ? f.value : JsonQuote(f.value));
      }
      line += "}\n";
    } else {
      line = absl::FormatTime("%H:%M:%E3S", time, absl::LocalTimeZone()) + " " +
             std::string(LevelName(msg.level)) + " [" +
             std::string(msg.logger_name.data(), msg.logger_name.size()) + "] " +
             std::string(text);
      for (const LogFields::Field& f : t_fields) line += " " + f.key + "=" + f.value;
      line += "\n";
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(json_);
  }

 private:
  bool json_;
};

// With settings.mu held.
void InitializeLocked(Settings& s) {
  if (s.initialized) return;
  s.initialized = true;
  s.json = !isatty(STDERR_FILENO);
  if (const char* env = std::getenv("FRISTVAGT_LOG_LEVEL"); env != nullptr) {
    if (auto level = ParseLogLevel(env)) s.level = *level;
  }
  if (const char* env = std::getenv("FRISTVAGT_LOG_FORMAT"); env != nullptr) {
    if (auto format = ParseLogFormat(env); format.has_value() && *format != LogFormat::kAuto) {
      s.json = *format == LogFormat::kJson;
    }
  }
  s.sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  s.sink->set_formatter(std::make_unique<LineFormatter>(s.json));
}

}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& subsystem) {
  Settings& s = GetSettings();
  std::lock_guard<std::mutex> lock(s.mu);
  InitializeLocked(s);
  if (auto existing = spdlog::get(subsystem)) return existing;
  auto logger = std::make_shared<spdlog::logger>(subsystem, s.sink);
  logger->set_level(s.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::register_logger(logger);
  return logger;
}

namespace {

// With settings.mu held.
void SetLevelLocked(Settings& s, spdlog::level::level_enum level) {
  s.level = level;
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
}

}  // namespace

void ConfigureLogging(std::optional<spdlog::level::level_enum> level, LogFormat format) {
  Settings& s = GetSettings();
  std::lock_guard<std::mutex> lock(s.mu);
  InitializeLocked(s);
  if (format != LogFormat::kAuto) s.json = format == LogFormat::kJson;
  s.sink->set_formatter(std::make_unique<LineFormatter>(s.json));
  if (level.has_value() && !s.level_from_command_line) SetLevelLocked(s, *level);
}

void SetCommandLineLogLevel(spdlog::level::level_enum level) {
  Settings& s = GetSettings();
  std::lock_guard<std::mutex> lock(s.mu);
  InitializeLocked(s);
  s.level_from_command_line = true;
  SetLevelLocked(s, level);
}

std::optional<spdlog::level::level_enum> ParseLogLevel(std::string_view name) {
  for (auto level : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                     spdlog::level::warn, spdlog::level::err, spdlog::level::critical,
                     spdlog::level::off}) {
    if (LevelName(level) == name) return level;
  }
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "auto") return LogFormat::kAuto;
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  return std::nullopt;
}

LogFields::LogFields(std::initializer_list<Field> fields) : count_(fields.size()) {
  t_fields.insert(t_fields.end(), fields.begin(), fields.end());
}

LogFields::~LogFields() { t_fields.erase(t_fields.end() - static_cast<std::ptrdiff_t>(count_), t_fields.end()); }

void LogFatal(std::string_view message, std::initializer_list<LogFields::Field> fields) {
  LogFields scope(fields);
  std::shared_ptr<spdlog::logger> logger = Logger("fristvagt");
  // Whatever the configured level: the reason a process stops is always written.
  const spdlog::level::level_enum level = logger->level();
  logger->set_level(spdlog::level::trace);
  logger->critical("{}", message);
  logger->flush();
  logger->set_level(level);
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
    } else if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(text, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      out.append(text.substr(i, n));
      i += n;
      continue;
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
  return out;
}

std::string RedactKey(std::string_view person_key) {
  return "p#" + rules::StableId({"fristvagt-log", person_key}).substr(0, 8);
}

}  // namespace fristvagt::processor
