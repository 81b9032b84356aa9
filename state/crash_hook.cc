#include "state/crash_hook.h"

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace fristvagt::state::crash_hook {

namespace {

enum class Point { kNone, kBefore, kAfter, kAfterOutput };

struct Config {
  Point point = Point::kNone;
  uint64_t at_commit = 0;
  uint64_t commits = 0;  // commits started so far in this process
};

Config& GetConfig() {
  static Config config = [] {
    Config c;
    const char* at = std::getenv("FRISTVAGT_CRASH_AT_COMMIT");
    const char* point = std::getenv("FRISTVAGT_CRASH_POINT");
    if (at == nullptr || point == nullptr) return c;
    c.at_commit = std::strtoull(at, nullptr, 10);
    const std::string_view p(point);
    if (p == "before") c.point = Point::kBefore;
    if (p == "after") c.point = Point::kAfter;
    if (p == "after_output") c.point = Point::kAfterOutput;
    if (c.at_commit == 0) c.point = Point::kNone;
    return c;
  }();
  return config;
}

[[noreturn]] void Kill() {
  std::raise(SIGKILL);
  std::abort();  // not reached
}

}  // namespace

void BeforeCommit() {
  Config& c = GetConfig();
  ++c.commits;
  if (c.point == Point::kBefore && c.commits == c.at_commit) Kill();
}

void AfterCommit() {
  const Config& c = GetConfig();
  if (c.point == Point::kAfter && c.commits == c.at_commit) Kill();
}

void AfterOutput() {
  const Config& c = GetConfig();
  if (c.point == Point::kAfterOutput && c.commits + 1 >= c.at_commit) Kill();
}

}  // namespace fristvagt::state::crash_hook
