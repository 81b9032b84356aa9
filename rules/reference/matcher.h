#pragma once
// The evaluator before compile-at-load (issue 14), kept as the oracle of
// tests/rules/compiled_vs_reference_test.cc and the baseline of bench/rules_bench.
// Decides whether one event satisfies an EventMatcher's payload conditions, through protobuf
// reflection, so a regime file can name any payload field without new code. Timing relative
// to the trigger (`EventMatcher::when`) is the evaluator's business, not this file's.

#include <optional>
#include <string>
#include <string_view>

#include "rules/course.h"
#include "rules/regime.h"

namespace fristvagt::rules::reference {

// `trigger` may be null (when matching the trigger itself); `instance` is the obligation's
// instance key for "$instance" conditions.
bool MatchesPayload(const EventMatcher& matcher, const Fact& candidate, const Fact* trigger,
                    std::string_view instance);

// A payload field rendered as text (bools "true"/"false", enums by name, numbers in decimal);
// nullopt when the event has no such field.
std::optional<std::string> FieldText(const v1::CaseEvent& event, std::string_view field);

// A Timestamp field of the payload (start_at, period_end), when set.
std::optional<absl::Time> FieldTime(const v1::CaseEvent& event, std::string_view field);

// Documentation is present: a bool field is true, a string non-empty, a message set.
bool FieldIsPresent(const v1::CaseEvent& event, std::string_view field);

}  // namespace fristvagt::rules::reference
