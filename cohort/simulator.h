#pragma once
// `fristvagt simulate`: a synthetic cohort of young people on uddannelseshjælp in N
// municipalities, as the case events their job centres' case systems would deliver (one JSON
// line each, ordered by recorded_at), and the ground truth of every obligation. Calibrated to
// STAR's fokusrevision (docs/cohort.md); deterministic for a seed. It decides what
// happens and writes the decision down; it never asks the rules engine.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cohort/person.h"
#include "proto/case_event.pb.h"

namespace fristvagt::cohort {

struct SimulateOptions {
  int persons = 0;
  int municipalities = 25;
  uint64_t seed = 1;
  // The lab2016 regime's last year, the fokusrevision's period.
  absl::CivilDay start = absl::CivilDay(2019, 1, 1);
  int months = 12;
  // How many passes over the cohort, one per window of recorded_at; 0 chooses by size.
  int windows = 0;
};

absl::Status ValidateOptions(const SimulateOptions& options);

// The first instant after the period: replay with --until this moment.
absl::Time PeriodEnd(const SimulateOptions& options);

// The municipalities of the cohort with their rates and caseworkers (deterministic).
std::vector<MunicipalityProfile> BuildMunicipalities(const SimulateOptions& options);

// Person number `index` of the cohort ("p-" and 16 hex digits; never CPR-shaped).
std::string PersonKey(uint64_t seed, int index);

struct SimulateSinks {
  // One case event as a JSON line (the processor's EventToJson).
  std::function<std::string(const v1::CaseEvent&)> format;
  // Receives every events line, in recorded_at order.
  std::function<absl::Status(std::string_view line)> events;
  // Receives the truth CSV lines (header first); may be empty.
  std::function<absl::Status(std::string_view line)> truth;
  // Called now and then with the share done, 0..1; may be empty.
  std::function<void(double done)> progress;
};

struct SimulateStats {
  int persons = 0;
  int out_of_scope = 0;
  size_t lines = 0;
  int redelivered = 0;
  int voided = 0;
  int malformed = 0;
  size_t truth_rows = 0;
};

// Runs the cohort. Memory stays bounded for large cohorts: the period is cut into windows of
// recorded_at and the (deterministic) persons are generated again for each window.
absl::StatusOr<SimulateStats> Simulate(const SimulateOptions& options, const SimulateSinks& sinks);

}  // namespace fristvagt::cohort
