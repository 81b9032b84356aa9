#pragma once
// The cohort commands of the CLI: `fristvagt simulate` (a synthetic cohort calibrated to the
// fokusrevision, cohort/simulator.h) and `fristvagt report` (compliance per kontrolpunkt from
// a state dir, the obligations topic or replay's alerts, cohort/report.h). Each returns the process exit code: 0 done, 1 the run
// failed (message on stderr), 2 a usage error or a feature not yet available.

#include <string>
#include <vector>

namespace fristvagt::processor {

int RunSimulate(const std::vector<std::string>& args);
int RunReport(const std::vector<std::string>& args);
// `fristvagt compare`: the same events replayed under two regime sets (cohort/compare.h).
int RunCompare(const std::vector<std::string>& args);

}  // namespace fristvagt::processor
