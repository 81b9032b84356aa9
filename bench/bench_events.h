#pragma once
// The synthetic case events both benchmark programs feed the engine: per person a first
// contact, a meeting and a test-need assessment (replay_bench.cc says when), with
// pseudonymous keys in no particular order, as a real input topic would bring them.

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "proto/case_event.pb.h"

namespace fristvagt::bench {

// "p-" and 16 hex digits, a bijective mix of `i`.
std::string PersonKey(uint64_t i);

void SetTime(absl::Time t, google::protobuf::Timestamp* ts);

enum class Kind { kFirstContact, kMeeting, kTestNeed };

// One event still to be generated; ordered by time, then person.
struct Pending {
  absl::Time at;
  uint64_t person;
  Kind kind;
  bool operator>(const Pending& o) const { return at > o.at || (at == o.at && person > o.person); }
};

v1::CaseEvent MakeEvent(const Pending& p);

}  // namespace fristvagt::bench
