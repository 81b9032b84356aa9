#pragma once
// One simulated young person: the case events a job centre's case system would register
// about them over the period, with the case system's noise, and the ground truth of every
// obligation the simulator decided. Pure: the same spec always gives the same history.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cohort/truth.h"
#include "proto/case_event.pb.h"

namespace fristvagt::cohort {

// A municipality as the simulator sees it: its own rate for every kontrolpunkt (the
// fokusrevision's mean moved by the municipality's effect), its caseworkers, its case system.
struct MunicipalityProfile {
  std::string code;
  std::string source_system;
  std::vector<std::string> caseworkers;
  std::vector<std::array<double, 3>> rates;  // parallel to Kontrolpunkter(), per group

  // The probability of meeting `rule_id` in time for a person of `group`.
  double Rate(std::string_view rule_id, v1::VisitationGroup group) const;
};

struct PersonSpec {
  uint64_t seed = 0;
  int index = 0;  // the person's number in the cohort: selects its random stream
  std::string person_key;
  const MunicipalityProfile* municipality = nullptr;
  absl::CivilDay intake_from;  // first contacts fall in [intake_from, intake_to)
  absl::CivilDay intake_to;
  absl::Time period_end;  // nothing occurs or is registered at or after this moment
};

// How a malformed line is broken (events.md, "Bad input").
enum class Malformation {
  kNone,
  kTruncated,        // DECODE_FAILED
  kUnknownPayload,   // UNKNOWN_PAYLOAD
  kMissingOccurred,  // MISSING_FIELD
  kBadMunicipality,  // BAD_MUNICIPALITY
  kClockSkew,        // BAD_TIME: occurred hours after recorded
};

// One line of the events file before formatting.
struct SimLine {
  absl::Time sort_time;  // recorded_at (a malformed line: just before the good one)
  int seq = 0;           // order within the person, for ties
  v1::CaseEvent event;
  Malformation malformation = Malformation::kNone;
};

struct PersonHistory {
  std::vector<SimLine> lines;
  std::vector<TruthRow> truth;
  bool in_scope = true;
  int redelivered = 0;
  int voided = 0;
  int malformed = 0;
};

PersonHistory SimulatePerson(const PersonSpec& spec);

}  // namespace fristvagt::cohort
