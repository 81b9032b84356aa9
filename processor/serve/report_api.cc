#include "processor/serve/report_api.h"

#include "cohort/manager_page.h"
#include "cohort/obligations.h"
#include "cohort/report.h"

namespace fristvagt::processor {

namespace {

cohort::ComplianceReport Measure(const LocalState& state, absl::Time now) {
  cohort::ObligationSet set;
  set.source = "denne instans' partitioner";
  set.as_of = now;
  state.Scan("", [&set](const v1::PersonState& person) {
    cohort::AddPerson(person, &set);
    return true;
  });
  return cohort::MeasureObligations(std::move(set), nullptr);
}

}  // namespace

void AddReportHandlers(const std::string& token, const LocalState* state, absl::Time (*now)(),
                       std::map<std::string, HttpHandler>* handlers) {
  if (token.empty()) return;
  auto handler = [token, state, now](bool page) {
    return [token, state, now, page](const HttpRequest& request) {
      auto auth = request.headers.find("authorization");
      if (auth == request.headers.end() || !BearerTokenMatches(auth->second, token)) {
        HttpResponse response{401, "application/json", "{\"error\":\"a valid bearer token is required\"}\n"};
        response.headers["WWW-Authenticate"] = "Bearer";
        return response;
      }
      const cohort::ComplianceReport report = Measure(*state, now());
      return page ? HttpResponse{200, "text/html; charset=utf-8", cohort::RenderManagerPage(report)}
                  : HttpResponse{200, "application/json", cohort::RenderJson(report)};
    };
  };
  (*handlers)["/v1/report"] = handler(false);
  (*handlers)["/report"] = handler(true);
}

}  // namespace fristvagt::processor
