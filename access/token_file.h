#pragma once
// Who may see whom (issue 18): the access tokens of the HTTP API, each with a name and a scope,
// read from a TOML file that the configuration names (`[http] tokens_file`, access/README.md
// has the format). The file holds only SHA-256 digests of the tokens, never the tokens; a
// presented bearer token is hashed and compared with every digest in constant time.
//
// TokenStore re-reads the file when it changes (ReloadIfChanged, called from the HTTP thread
// before each request), so tokens are added and revoked without a restart. Thread-safe.

#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace fristvagt::access {

// What a token may do besides /healthz, /readyz and /metrics (which every known token may use).
struct TokenScope {
  std::string name;  // appears in the audit log and in errors; never the secret
  bool query = false;   // the query API: /v1/persons/…, /v1/obligations
  bool report = false;  // the cohort report and the digest
  bool all_municipalities = false;       // municipalities = ["*"]
  std::set<std::string> municipalities;  // municipality codes whose persons it may read

  bool MayRead(std::string_view municipality_code) const {
    return all_municipalities || municipalities.count(std::string(municipality_code)) > 0;
  }
};

// The answer to a request for one person's data. A scope limited to some municipalities gets
// kForbidden both for a person of another municipality and for a person that does not exist,
// so the 403 reveals nothing about whether the person exists; only a scope of every
// municipality learns kNotFound (404). `municipality` is null when there is no such person.
enum class PersonAccess { kAllow, kForbidden, kNotFound };
inline PersonAccess DecidePerson(const TokenScope& scope, const std::string* municipality) {
  if (municipality == nullptr) {
    return scope.all_municipalities ? PersonAccess::kNotFound : PersonAccess::kForbidden;
  }
  return scope.MayRead(*municipality) ? PersonAccess::kAllow : PersonAccess::kForbidden;
}

struct TokenSet {
  struct Entry {
    uint8_t digest[32];
    TokenScope scope;
  };
  std::vector<Entry> entries;

  // The scope of `presented` (the bearer token as sent), or null. Compares the digest with
  // every entry, without an early exit, so the time taken does not depend on which matched.
  const TokenScope* Find(std::string_view presented) const;
};

// Hex SHA-256 of `text` (64 lower-case digits): what `fristvagt hash-token` prints and the
// token file stores.
std::string Sha256Hex(std::string_view text);

// Parses a token file; every problem is appended to `errors` as "file:line: key: problem".
absl::StatusOr<TokenSet> ParseTokenFile(std::string_view text, const std::string& file_name,
                                        std::vector<std::string>* errors);

class TokenStore {
 public:
  // Reads `path` once; a bad file is a start-up error.
  static absl::StatusOr<std::unique_ptr<TokenStore>> Open(const std::string& path,
                                                          std::vector<std::string>* errors);

  // Re-reads the file when its modification time or size changed. A file that no longer
  // parses keeps the previous tokens and returns the errors (an operator's typo must not
  // lock everyone out, nor let anyone in).
  absl::Status ReloadIfChanged();

  std::shared_ptr<const TokenSet> Current() const;

 private:
  explicit TokenStore(std::string path) : path_(std::move(path)) {}
  std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const TokenSet> current_;
  timespec mtime_{};
  int64_t size_ = -1;
};

}  // namespace fristvagt::access
