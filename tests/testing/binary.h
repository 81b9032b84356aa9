#pragma once
// Shared helpers for tests that run the real `fristvagt` binary: where it and the source tree
// are (ctest sets FRISTVAGT_BINARY and FRISTVAGT_SOURCE_DIR), and a scratch directory that
// cleans up after itself.

#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

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
