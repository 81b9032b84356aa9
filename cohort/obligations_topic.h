#pragma once
// `report --bootstrap`: the obligations of a running deployment from its compacted obligations
// topic (docs/integration.md §3), read from the beginning to the end each partition has when
// reached. The records carry no visitation group and no events, so the report has no group
// columns and no drill-down to events from this source.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/obligations.h"

namespace fristvagt::cohort {

// The latest record per obligation (tombstones remove it). `as_of` is the newest record's
// Kafka timestamp (when the processor wrote it), the best the topic says about its clock.
absl::StatusOr<ObligationSet> ReadObligationsTopic(const std::string& bootstrap,
                                                   const std::string& topic,
                                                   absl::Duration timeout = absl::Seconds(60));

}  // namespace fristvagt::cohort
