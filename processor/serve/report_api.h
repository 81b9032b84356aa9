#pragma once
// The live compliance report of one instance: GET /v1/report (JSON, cohort::RenderJson) and
// GET /report (the manager's page, cohort/manager_page.h), measured from the person records
// of the partitions this instance owns, as `fristvagt report --state-dir` measures a stopped
// one. With several instances each answers for its own partitions (like /v1/obligations).
// The report lists person keys in its drill-down, so it takes the instance's own bearer token
// ([http] token, every municipality) or a scoped token that may read the report ([http]
// tokens_file), and then counts only the persons of that token's municipalities (issue 18).
// Each answer is recorded in the audit log.

#include <map>
#include <string>

#include "absl/time/time.h"
#include "processor/serve/access_gate.h"
#include "processor/serve/http_server.h"
#include "processor/serve/query_api.h"

namespace fristvagt::processor {

// Adds /v1/report and /report; nothing without a token or a tokens file (an unauthenticated
// instance serves no report). `gate.now` is set from `now`.
void AddReportHandlers(AccessGateOptions gate, const LocalState* state, absl::Time (*now)(),
                       std::map<std::string, HttpHandler>* handlers);

}  // namespace fristvagt::processor
