#include "processor/base/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

#include <mutex>

#include "rules/stable_id.h"

namespace fristvagt::processor {

std::shared_ptr<spdlog::logger> Logger(const std::string& subsystem) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(subsystem)) return existing;
  auto logger = spdlog::stderr_color_mt(subsystem);
  if (isatty(STDERR_FILENO)) {
    logger->set_pattern("%H:%M:%S.%e %^%-5l%$ [%n] %v");
  } else {
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","logger":"%n","msg":"%v"})");
  }
  return logger;
}

std::string RedactKey(std::string_view person_key) {
  return "p#" + rules::StableId({"fristvagt-log", person_key}).substr(0, 8);
}

}  // namespace fristvagt::processor
