#include "processor/serve/report_api.h"

#include <memory>
#include <variant>

#include "cohort/manager_page.h"
#include "cohort/obligations.h"
#include "cohort/report.h"

namespace fristvagt::processor {

namespace {

// Only the persons `scope` may read are counted (and listed in the drill-down).
cohort::ComplianceReport Measure(const LocalState& state, absl::Time now,
                                 const access::TokenScope& scope, int64_t* persons) {
  cohort::ObligationSet set;
  set.source = "denne instans' partitioner";
  set.as_of = now;
  state.Scan("", [&](const v1::PersonState& person) {
    if (!scope.MayRead(person.municipality_code())) return true;
    cohort::AddPerson(person, &set);
    ++*persons;
    return true;
  });
  return cohort::MeasureObligations(std::move(set), nullptr);
}

}  // namespace

void AddReportHandlers(AccessGateOptions options, const LocalState* state, absl::Time (*now)(),
                       std::map<std::string, HttpHandler>* handlers) {
  if (options.token.empty() && options.tokens == nullptr) return;
  options.allow_unauthenticated = false;
  options.now = now;
  auto gate = std::make_shared<AccessGate>(std::move(options));
  auto handler = [gate, state, now](bool page) {
    return [gate, state, now, page](const HttpRequest& request) {
      auto admitted = gate->Admit(request, AccessGate::Need::kReport);
      if (auto* denied = std::get_if<HttpResponse>(&admitted)) return *denied;
      const access::TokenScope& scope = std::get<access::TokenScope>(admitted);
      int64_t persons = 0;
      const cohort::ComplianceReport report = Measure(*state, now(), scope, &persons);
      if (!gate->Audit(scope, page ? "report_page" : "report", "", request.query, persons)) {
        return JsonError(503, "the audit log cannot be written; no person data is served");
      }
      return page ? HttpResponse{200, "text/html; charset=utf-8", cohort::RenderManagerPage(report)}
                  : HttpResponse{200, "application/json", cohort::RenderJson(report)};
    };
  };
  (*handlers)["/v1/report"] = handler(false);
  (*handlers)["/report"] = handler(true);
}

}  // namespace fristvagt::processor
