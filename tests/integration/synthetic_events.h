#pragma once
// A deterministic synthetic cohort as `replay` input lines, for tests that run the binary:
// persons with a first contact spread over the first months, then meetings (some late), test
// need assessments, visitations and CVs; plus a few of each irregular case (an event before
// the first contact, a late registration, a re-delivered line, a voided meeting, an erased
// person, a garbage line). Lines are ordered by recorded_at, as a case system would send them.

#include <cstdint>
#include <string>
#include <vector>

namespace fristvagt::testing {

struct CohortSpec {
  int persons = 200;
  std::string start = "2023-01-02T08:00:00Z";  // first contacts spread over the next 60 days
  uint64_t seed = 1;
};

std::vector<std::string> SyntheticEventLines(const CohortSpec& spec);

}  // namespace fristvagt::testing
