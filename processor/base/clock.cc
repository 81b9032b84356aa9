#include "processor/base/clock.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"

namespace fristvagt::processor {

absl::Time WallClock::Now() const { return absl::Now(); }

const WallClock& WallClock::Get() {
  static const WallClock clock;
  return clock;
}

const Clock& ProcessClock() {
#ifdef FRISTVAGT_TEST_HOOKS
  static const Clock* clock = []() -> const Clock* {
    const char* start = std::getenv("FRISTVAGT_TEST_CLOCK");
    if (start == nullptr || *start == '\0') return &WallClock::Get();
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, start, &t, &error)) {
      std::fprintf(stderr, "FRISTVAGT_TEST_CLOCK=%s: %s\n", start, error.c_str());
      std::exit(2);
    }
    return new ShiftedClock(WallClock::Get(), t);  // lives as long as the process
  }();
  return *clock;
#else
  return WallClock::Get();
#endif
}

}  // namespace fristvagt::processor
