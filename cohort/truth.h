#pragma once
// The simulator's ground truth: one row per obligation whose fate was settled by the end of
// the simulated period, saying whether the simulator had it met in time. `fristvagt report
// --truth` reads it for the denominators (alerts exist only for obligations that went wrong or
// were reminded) and to compare what fristvagt measured with what really happened.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "proto/case_event.pb.h"

namespace fristvagt::cohort {

struct TruthRow {
  std::string person_key;
  std::string municipality_code;
  // The visitation group in force at the end of the period (the final visitation, when one
  // was made): the grouping of the fokusrevision's per-group figures.
  v1::VisitationGroup group = v1::UDDANNELSESPARAT;
  std::string rule_id;
  std::string instance;  // the trigger's event id (":WISHES"/":APPLICATION" for pålæg steps)
  absl::CivilDay deadline;
  bool met_in_time = false;
};

// CSV with a header line; fields never contain commas (ids, codes, enum names).
std::string TruthCsvHeader();
std::string ToCsvLine(const TruthRow& row);
absl::StatusOr<std::vector<TruthRow>> ReadTruthFile(const std::string& path);

// What becomes of one obligation (rules.md §4-5), from the dates the simulator chose.
struct ObligationDates {
  absl::CivilDay deadline;
  absl::Time due_at;                     // the breach (or MISSING) moment
  std::optional<absl::CivilDay> met;     // the first event that meets it, if any
  std::optional<absl::CivilDay> waived;  // what waives it (course end, exemption), if any
};

enum class Outcome {
  kMetInTime,
  kNotMetInTime,  // breached, whether or not made good later
  kWaived,        // no longer owed: not an obligation the report counts
  kOpen,          // neither met nor due by the end of the period
};

Outcome Classify(const ObligationDates& dates, absl::Time period_end);

}  // namespace fristvagt::cohort
