#include "state/crash_point.h"

#ifdef FRISTVAGT_TEST_HOOKS

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace fristvagt::crash_point {

namespace {

struct Target {
  std::string point;  // empty: no crash point armed
  uint64_t at = 0;
  uint64_t reached = 0;
  std::mutex mu;
};

Target* Parse(const char* variable) {
  auto* t = new Target;  // lives as long as the process
  const char* spec = std::getenv(variable);
  if (spec == nullptr || *spec == '\0') return t;
  const std::string s(spec);
  const size_t colon = s.rfind(':');
  char* end = nullptr;
  const unsigned long long at =
      colon == std::string::npos ? 0 : std::strtoull(s.c_str() + colon + 1, &end, 10);
  if (colon == std::string::npos || at == 0 || end == nullptr || *end != '\0') {
    std::fprintf(stderr, "%s=%s: expected <subsystem>.<point>:<N>, N >= 1\n", variable, spec);
    std::exit(2);
  }
  t->point = s.substr(0, colon);
  t->at = at;
  return t;
}

// True the Nth time `name` is reached, N as `variable` says.
bool Hit(const char* variable, std::string_view name) {
  static Target* crash = Parse("FRISTVAGT_CRASH_AT");
  static Target* stop = Parse("FRISTVAGT_STOP_AT");
  Target& t = std::string_view(variable) == "FRISTVAGT_CRASH_AT" ? *crash : *stop;
  if (t.point.empty() || name != t.point) return false;
  std::lock_guard<std::mutex> lock(t.mu);
  return ++t.reached == t.at;
}

}  // namespace

void Reached(std::string_view name) {
  if (Hit("FRISTVAGT_STOP_AT", name)) std::raise(SIGSTOP);  // until the test sends SIGCONT
  if (!Hit("FRISTVAGT_CRASH_AT", name)) return;
  std::raise(SIGKILL);
  std::abort();  // not reached
}

}  // namespace fristvagt::crash_point

#endif  // FRISTVAGT_TEST_HOOKS
