#pragma once
// Shared helpers for tests that run the real `fristvagt` binary: where it and the source tree
// are (ctest sets FRISTVAGT_BINARY and FRISTVAGT_SOURCE_DIR), and a scratch directory that
// cleans up after itself.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fristvagt::testing {

inline std::filesystem::path SourceDir() {
  const char* dir = std::getenv("FRISTVAGT_SOURCE_DIR");
  return dir != nullptr ? dir : FRISTVAGT_TEST_SOURCE_DIR;
}

inline std::string BinaryPath() {
  const char* path = std::getenv("FRISTVAGT_BINARY");
  return path != nullptr ? path : FRISTVAGT_TEST_BINARY;
}

// Runs `fristvagt ARGS` through the shell; returns its exit code (or -1 on a signal).
inline int RunBinary(const std::string& args) {
  const int status = std::system((BinaryPath() + " " + args).c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Runs `fristvagt ARGS` with stdout and stderr captured into `output`.
inline int RunBinaryCapture(const std::string& args, std::string* output) {
  char path[] = "/tmp/fristvagt-out-XXXXXX";
  const int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  const int rc = RunBinary(args + " >" + path + " 2>&1");
  FILE* f = std::fopen(path, "r");
  output->clear();
  if (f != nullptr) {
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) output->append(buffer, n);
    std::fclose(f);
  }
  std::remove(path);
  return rc;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fristvagt-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace fristvagt::testing
