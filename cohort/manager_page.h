#pragma once
// The manager's page (ledelsestilsyn): what needs attention now — the kontrolpunkter furthest
// below the fokusrevision and below the municipality's own average, the trend month by month,
// what falls due this week — then each team and caseworker by urgency (overdue, due soon,
// done late) with a drill-down to the obligation, its deadline, legal reference and the events
// behind it. Danish. Self-contained (no external resources) and printable: headless Chromium
// prints it to PDF for the quarterly review. Needs a report from MeasureObligations (it reads
// `ComplianceReport::obligations`).

#include <string>

#include "cohort/report.h"

namespace fristvagt::cohort {

std::string RenderManagerPage(const ComplianceReport& report);

}  // namespace fristvagt::cohort
