#include "processor/serve/access_gate.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "processor/base/logging.h"
#include "processor/serve/query_api.h"

namespace fristvagt::processor {

HttpResponse JsonError(int status, const std::string& message) {
  google::protobuf::Struct body;
  (*body.mutable_fields())["error"].set_string_value(message);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(body, &json, options);
  return HttpResponse{status, "application/json", json + "\n"};
}

HttpResponse ForbiddenPerson() {
  return JsonError(403, "this token may not read this person");
}

std::variant<access::TokenScope, HttpResponse> AccessGate::Admit(const HttpRequest& request,
                                                                 Need need) const {
  if (!request.secure && !request.loopback_peer && !options_.allow_plaintext) {
    return JsonError(403, "person data is served over TLS only (http.tls_cert_file), or set "
                          "http.allow_plaintext");
  }
  auto header = request.headers.find("authorization");
  const std::string authorization = header == request.headers.end() ? "" : header->second;
  access::TokenScope scope;
  if (options_.tokens != nullptr) {
    if (absl::Status s = options_.tokens->ReloadIfChanged(); !s.ok()) {
      Logger("http")->error("token file not reloaded, the previous tokens stay: {}", std::string(s.message()));
    }
    std::shared_ptr<const access::TokenSet> set = options_.tokens->Current();
    const std::string prefix = "Bearer ";
    const access::TokenScope* found =
        set != nullptr && authorization.rfind(prefix, 0) == 0
            ? set->Find(std::string_view(authorization).substr(prefix.size()))
            : nullptr;
    if (found == nullptr) {
      HttpResponse response = JsonError(401, "a valid bearer token is required");
      response.headers["WWW-Authenticate"] = "Bearer";
      return response;
    }
    scope = *found;
  } else if (!options_.token.empty()) {
    if (!BearerTokenMatches(authorization, options_.token)) {
      HttpResponse response = JsonError(401, "a valid bearer token is required");
      response.headers["WWW-Authenticate"] = "Bearer";
      return response;
    }
    scope.name = "http.token";
    scope.query = scope.report = scope.all_municipalities = true;
  } else if (options_.allow_unauthenticated) {
    scope.name = "unauthenticated";
    scope.query = scope.report = scope.all_municipalities = true;
  } else {
    return JsonError(401, "a valid bearer token is required");
  }
  if ((need == Need::kQuery && !scope.query) || (need == Need::kReport && !scope.report)) {
    return JsonError(403, need == Need::kQuery ? "this token may not use the query API"
                                               : "this token may not read the report");
  }
  return scope;
}

bool AccessGate::Audit(const access::TokenScope& scope, const std::string& endpoint,
                       const std::string& person, const std::map<std::string, std::string>& filter,
                       int64_t records) const {
  if (options_.audit == nullptr) return true;
  access::AuditEntry entry;
  entry.when = options_.now();
  entry.token = scope.name;
  entry.endpoint = endpoint;
  entry.person = person;
  entry.filter = filter;
  entry.records = records;
  if (absl::Status s = options_.audit->Record(entry); !s.ok()) {
    Logger("http")->error("audit log not written, answer withheld: {}", std::string(s.message()));
    return false;
  }
  return true;
}

}  // namespace fristvagt::processor
