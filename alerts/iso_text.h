#pragma once
// Dates and times as text, written by hand on the stack: every evaluation diffs every
// obligation's deadline and every alert carries a timestamp, and the StrFormat calls with
// their strings were 6 % of replay's instructions (issue 15, callgrind; docs/benchmarks.md).

#include <cstdint>

namespace fristvagt::alerts {

// Two decimal digits of 0 <= value <= 99 at out[0..1].
inline void WriteTwoDigits(char* out, int value) {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
}

// "YYYY-MM-DD" at out[0..9]; the caller checks 0 <= year <= 9999.
inline void WriteIsoDate(char* out, int64_t year, int month, int day) {
  WriteTwoDigits(out, static_cast<int>(year / 100));
  WriteTwoDigits(out + 2, static_cast<int>(year % 100));
  out[4] = '-';
  WriteTwoDigits(out + 5, month);
  out[7] = '-';
  WriteTwoDigits(out + 8, day);
}

}  // namespace fristvagt::alerts
