#pragma once
// Interactive queries over local state (issue 6): a person's obligations, and a filtered,
// paginated overview for a caseworker or team leader. As in Kafka Streams, an instance answers
// for the partitions it owns and, for a key it does not own, says which instance does (HTTP 421
// with the owner's address; 503 with Retry-After while no instance is known to own it).
// Requires a bearer token unless explicitly configured otherwise.
// Handlers run on the HTTP thread; LocalState implementations must be safe to call from it.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/audit_log.h"
#include "access/token_file.h"
#include "alerts/alert_factory.h"
#include "processor/serve/http_server.h"
#include "proto/state.pb.h"
#include "rules/regime.h"

namespace fristvagt::processor {

// What the query API reads: the person records of the partitions this instance owns.
class LocalState {
 public:
  struct Owner {
    bool local = false;
    // host:port of the owning instance's HTTP server; empty while unknown (answered with 503)
    std::string address;
  };
  virtual ~LocalState() = default;
  virtual Owner OwnerOf(std::string_view person_key) const = 0;
  virtual std::optional<v1::PersonState> Person(std::string_view person_key) const = 0;
  // Non-empty once input records were seen on partitions the configured partitioner would
  // not choose: then a person may be in another partition than OwnerOf says, and the answer
  // says why it cannot be sure rather than "no obligations" (docs/configuration.md [input]).
  virtual std::string MisroutingHint() const { return {}; }
  // The person from whichever owned partition holds it.
  virtual std::optional<v1::PersonState> PersonInAnyPartition(std::string_view person_key) const {
    return Person(person_key);
  }
  // Persons of every owned partition in key order from `from` (inclusive; empty: the first),
  // until `visit` returns false.
  virtual void Scan(std::string_view from,
                    const std::function<bool(const v1::PersonState&)>& visit) const = 0;

  struct Instance {
    std::string address;
    std::vector<int32_t> partitions;
    bool self = false;
  };
  // The instances known to hold input partitions, this one first: a client that wants an
  // overview of every partition asks each of them.
  virtual std::vector<Instance> Instances() const { return {}; }
};

struct QueryApiOptions {
  std::string token;                   // required bearer token
  bool allow_unauthenticated = false;  // must be set explicitly to serve without a token
  alerts::Language language = alerts::Language::kDanish;
  int recently_closed_days = 90;  // closed obligations with a deadline this recent are shown
  int max_page_size = 500;
  const rules::Catalog* catalog = nullptr;  // for the texts
  // Scoped tokens (access/README.md); when set, `token` is not used. Out of scope: 403.
  access::TokenStore* tokens = nullptr;
  access::AuditLog* audit = nullptr;  // every answer with person data is recorded (issue 18)
  bool allow_plaintext = false;       // person data over plain text to non-loopback clients
};

// Adds /v1/persons/ and /v1/obligations to `handlers`. Returns false (adding nothing) when
// neither a token, a token file nor allow_unauthenticated is configured.
bool AddQueryHandlers(const QueryApiOptions& options, const LocalState* state, absl::Time (*now)(),
                      std::map<std::string, HttpHandler>* handlers);

// Compares "Bearer <token>" in constant time (no early exit on the first differing byte).
bool BearerTokenMatches(const std::string& authorization, const std::string& token);

}  // namespace fristvagt::processor
