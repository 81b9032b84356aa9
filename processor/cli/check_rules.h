#pragma once
// `fristvagt check-rules --scenarios DIR`: every scenario (NAME.events.jsonl + NAME.expected,
// format in tests/scenarios/scenario_test.cc) replayed against the regime files being checked,
// its alerts compared with the expected ones, and the rules that no scenario's alerts touch
// listed, so a new or changed rule without a scenario is visible before it is deployed.

#include <ostream>
#include <string>

namespace fristvagt::processor {

// Returns the number of scenarios whose alerts differ from their expectation (0: all pass).
int CheckScenarios(const std::string& rules_dir, const std::string& scenarios_dir,
                   std::ostream& out);

}  // namespace fristvagt::processor
