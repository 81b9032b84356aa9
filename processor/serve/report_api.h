#pragma once
// The live compliance report of one instance: GET /v1/report (JSON, cohort::RenderJson) and
// GET /report (the manager's page, cohort/manager_page.h), measured from the person records
// of the partitions this instance owns, as `fristvagt report --state-dir` measures a stopped
// one. With several instances each answers for its own partitions (like /v1/obligations).
// The report spans every municipality of those partitions and lists person keys in its
// drill-down, so it takes the instance's own bearer token ([http] token) only.

#include <map>
#include <string>

#include "absl/time/time.h"
#include "processor/serve/http_server.h"
#include "processor/serve/query_api.h"

namespace fristvagt::processor {

// Adds /v1/report and /report; nothing when `token` is empty (an unauthenticated instance
// serves no report).
void AddReportHandlers(const std::string& token, const LocalState* state, absl::Time (*now)(),
                       std::map<std::string, HttpHandler>* handlers);

}  // namespace fristvagt::processor
