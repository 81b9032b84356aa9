#pragma once
// The query API's door (issue 18): who is asking (a scoped token from access/token_file.h,
// or the single configured token, which sees everything), whether the connection may carry
// person data, and the audit record of what was shown. query_api.cc asks it before answering;
// the decisions themselves (scope, 403 without revealing existence) live in access/.

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "access/audit_log.h"
#include "absl/time/time.h"
#include "access/token_file.h"
#include "processor/serve/http_server.h"

namespace fristvagt::processor {

struct AccessGateOptions {
  std::string token;                       // the single token (all municipalities, query)
  bool allow_unauthenticated = false;      // serve without a token: everything
  access::TokenStore* tokens = nullptr;    // scoped tokens; when set, `token` is not used
  access::AuditLog* audit = nullptr;       // every answer with person data goes here
  bool allow_plaintext = false;            // person data over plain text to non-loopback peers
  absl::Time (*now)() = nullptr;           // the audit record's time (the query API's clock)
};

class AccessGate {
 public:
  enum class Need { kQuery, kReport };
  explicit AccessGate(AccessGateOptions options) : options_(std::move(options)) {}

  // The caller's scope, or the answer to send instead: 401 without a known token, 403 for a
  // token without `need`, 403 for person data over plain text from outside loopback.
  std::variant<access::TokenScope, HttpResponse> Admit(const HttpRequest& request,
                                                       Need need) const;

  // Records one answer with person data; false when it could not be recorded, and then the
  // data must not be sent (the caller answers 503).
  bool Audit(const access::TokenScope& scope, const std::string& endpoint,
             const std::string& person, const std::map<std::string, std::string>& filter,
             int64_t records) const;

 private:
  AccessGateOptions options_;
};

// The 403 a scoped token gets for a person of another municipality and for a person that does
// not exist: the same status and body, so it learns nothing about existence.
HttpResponse ForbiddenPerson();

// A JSON error body {"error": message}.
HttpResponse JsonError(int status, const std::string& message);

}  // namespace fristvagt::processor
