#pragma once
// The audit log of look-ups (issue 18; Danish public-sector practice for access to personal
// data): one JSON line per query API or report request that returned person data — when,
// which token (its name, never the secret), which endpoint, which person or filter, how many
// records. Its own append-only file (opened O_APPEND, mode 0600; reopened when rotated away),
// separate from the operational log, which keeps person keys out. fristvagt never rewrites or
// truncates it; rotation and retention are the operator's (access/README.md). Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fristvagt::access {

struct AuditEntry {
  absl::Time when = absl::UnixEpoch();
  std::string token;     // the token's name; "unauthenticated" when allowed without one
  std::string endpoint;  // "person", "overview", "report", …
  std::string person;    // the person key looked up; empty for a filter
  std::map<std::string, std::string> filter;  // the query parameters of an overview/report
  int64_t records = 0;   // person records (or obligations) returned
};

class AuditLog {
 public:
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();

  // Appends one line with a single write(2), so concurrent writers never interleave a line.
  absl::Status Record(const AuditEntry& entry);

  // The line Record writes (without the newline).
  static std::string Format(const AuditEntry& entry);

 private:
  AuditLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  const std::string path_;
  std::mutex mu_;
  int fd_;
};

}  // namespace fristvagt::access
