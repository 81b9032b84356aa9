#include "access/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fristvagt::access {
namespace {

// A JSON string; control bytes escaped so an entry is always exactly one line (UTF-8 passes).
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the audit log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(path, fd));
}

AuditLog::~AuditLog() { close(fd_); }

std::string AuditLog::Format(const AuditEntry& e) {
  std::string filter;
  for (const auto& [k, v] : e.filter) {
    absl::StrAppend(&filter, filter.empty() ? "" : ",", Quote(k), ":", Quote(v));
  }
  return absl::StrCat("{\"when\":", Quote(absl::FormatTime(absl::RFC3339_full, e.when,
                                                           absl::UTCTimeZone())),
                      ",\"token\":", Quote(e.token), ",\"endpoint\":", Quote(e.endpoint),
                      ",\"person\":", Quote(e.person), ",\"filter\":{", filter,
                      "},\"records\":", e.records, "}");
}

absl::Status AuditLog::Record(const AuditEntry& entry) {
  const std::string line = Format(entry) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  // Rotated away (renamed or deleted by logrotate): continue in a new file at the path.
  struct stat at_path{}, open_file{};
  if (stat(path_.c_str(), &at_path) != 0 || fstat(fd_, &open_file) != 0 ||
      at_path.st_ino != open_file.st_ino || at_path.st_dev != open_file.st_dev) {
    const int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::UnavailableError(absl::StrCat("audit log: cannot reopen: ", std::strerror(errno)));
    }
    close(fd_);
    fd_ = fd;
  }
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::UnavailableError(absl::StrCat("audit log: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace fristvagt::access
