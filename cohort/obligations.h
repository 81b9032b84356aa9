#pragma once
// Obligations as the report reads them: one row per obligation with its status, deadline,
// legal reference, the person's municipality, caseworker and visitation group, and the events
// behind it. Three sources give the same rows: a state dir (a replay's or a stopped
// instance's, through state/'s StateStore), the person records of a running instance (the
// HTTP server), and the compacted obligations topic (no group nor events there). Unlike
// alerts, these include the obligations met in time, so the report needs no ground truth for
// its denominators.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "proto/alert.pb.h"
#include "proto/state.pb.h"

namespace fristvagt::cohort {

// One event behind an obligation, for the drill-down.
struct EventRef {
  std::string event_id;
  std::string kind;  // the payload's name, "meeting_held"
  absl::CivilDay day;  // local date of occurred_at
};

struct ObligationFact {
  std::string obligation_id;
  std::string person_key;
  std::string municipality_code;
  std::string caseworker_id;
  std::string rule_id;
  std::string regime;
  std::string legal_ref;
  v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
  v1::ObligationStatus status = v1::OPEN;
  absl::CivilDay deadline;
  // The visitation group in force (latest visitation_decided; UDDANNELSESPARAT before any, as
  // the rules count it). Unknown when read from the obligations topic.
  std::optional<v1::VisitationGroup> group;
  std::vector<EventRef> causes;
};

struct ObligationSet {
  std::vector<ObligationFact> obligations;
  size_t persons = 0;
  // The processing clock of the source (a replay's last clock, an instance's); InfinitePast
  // when the source does not say.
  absl::Time as_of = absl::InfinitePast();
  std::string source;  // "state dir /x", for the report's heading
};

// Settled obligations are those the kontrolpunkter count: met in time, met late, breached.
// Open ones (not yet due) and waived ones (no longer owed) are not counted.
bool IsSettled(v1::ObligationStatus status);
bool IsMetInTime(v1::ObligationStatus status);

// Appends the person's obligations.
void AddPerson(const v1::PersonState& person, ObligationSet* set);
// Appends one record of the obligations topic (a tombstone is not a record: skip those).
void AddObligation(const v1::Obligation& obligation, ObligationSet* set);

// Reads a state dir: a replay's (one store) or a `fristvagt run` instance's ([state] dir, one
// store per input partition, `<topic>-<n>`). Opens each store as the processor does, so a
// store of another format is refused, never misread; the processor must not be running on it.
absl::StatusOr<ObligationSet> ReadStateDir(const std::string& dir);

}  // namespace fristvagt::cohort
