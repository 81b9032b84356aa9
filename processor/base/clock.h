#pragma once
// The processor's one source of time. Every room that needs "now" — the processing clock of a
// live partition, batch lingering, restore stall detection, instance announcements, the query
// API's "due soon" — is handed a Clock; nothing else in processor/ calls absl::Now(). So tests
// run the same code on a simulated clock, and an integration test checks the same thing on
// every day of the week. Implementations are thread-safe.

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace fristvagt::processor {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The real time; the only caller of absl::Now() in processor/.
class WallClock final : public Clock {
 public:
  absl::Time Now() const override;
  static const WallClock& Get();
};

// A clock that moves only when told (unit tests of rooms that take a Clock).
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(absl::Time start) : micros_(absl::ToUnixMicros(start)) {}
  absl::Time Now() const override { return absl::FromUnixMicros(micros_.load()); }
  void Set(absl::Time t) { micros_.store(absl::ToUnixMicros(t)); }
  void Advance(absl::Duration d) { micros_.fetch_add(absl::ToInt64Microseconds(d)); }

 private:
  std::atomic<int64_t> micros_;
};

// Another clock shifted by a fixed offset: it ticks at the real rate from a chosen start, so a
// process that runs on it still lingers, times out and fires deadlines in real time, but on
// the date the test chose.
class ShiftedClock final : public Clock {
 public:
  ShiftedClock(const Clock& base, absl::Time start)
      : base_(base), offset_(start - base.Now()) {}
  absl::Time Now() const override { return base_.Now() + offset_; }

 private:
  const Clock& base_;
  const absl::Duration offset_;
};

// The clock the binary runs on: the wall clock. In builds with test hooks
// (-DFRISTVAGT_TEST_HOOKS=ON, never a release build), FRISTVAGT_TEST_CLOCK=<RFC 3339 time>
// starts it at that moment instead (a ShiftedClock), so the integration tests are independent
// of the day they run on. A malformed value ends the process with a message.
const Clock& ProcessClock();

}  // namespace fristvagt::processor
