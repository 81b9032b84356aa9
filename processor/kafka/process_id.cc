#include "processor/kafka/process_id.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace fristvagt::processor {
namespace {

constexpr size_t kIdLength = 32;

bool IsId(const std::string& text) {
  if (text.size() != kIdLength) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

std::string NewId() {
  std::random_device random;  // /dev/urandom on Linux
  std::string id;
  static constexpr char kHex[] = "0123456789abcdef";
  while (id.size() < kIdLength) {
    uint32_t word = random();
    for (int i = 0; i < 8; ++i, word >>= 4) id.push_back(kHex[word & 0xf]);
  }
  return id;
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status FsyncPath(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("cannot fsync", path);
}

// Writes a new id beside the final name and links it there: a crash leaves either no file or
// a whole one, and of two processes starting at once on one dir only one id wins.
absl::StatusOr<std::string> Create(const std::string& state_dir, const std::string& path) {
  const std::string id = NewId();
  const std::string tmp = absl::StrCat(path, ".tmp-", getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  const std::string line = id + "\n";
  const bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       fsync(fd) == 0;
  const int saved = errno;
  close(fd);
  if (!written) {
    unlink(tmp.c_str());
    errno = saved;
    return Errno("cannot write", tmp);
  }
  const int linked = link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    errno = link_errno;
    return Errno("cannot create", path);
  }
  if (absl::Status s = FsyncPath(state_dir, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  if (linked == 0) return id;
  return LoadOrCreateProcessId(state_dir);  // another process created it first: read theirs
}

}  // namespace

absl::StatusOr<std::string> LoadOrCreateProcessId(const std::string& state_dir) {
  const std::string path = absl::StrCat(state_dir, "/", kProcessIdFile);
  const char* hint =
      "; it names this state dir's transactional identity: restore it from a backup, or delete "
      "it to start under a new one (then read_committed readers may wait up to "
      "transaction.timeout.ms for a transaction the previous process left open)";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read the process id file ", path, ": ", std::strerror(errno), hint));
    }
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create the state dir ", state_dir, ": ", ec.message()));
    }
    return Create(state_dir, path);
  }
  char buffer[128];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  const int saved = errno;
  close(fd);
  if (n < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the process id file ", path, ": ", std::strerror(saved), hint));
  }
  std::string id(buffer, static_cast<size_t>(n));
  absl::StripAsciiWhitespace(&id);
  if (!IsId(id)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " does not hold a process id (32 lower-case hex digits)", hint));
  }
  return id;
}

}  // namespace fristvagt::processor
