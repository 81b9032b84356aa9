// The state dir's process id: created once and fsync'd, the same on every later start, and a
// file that exists but holds no id stops start-up instead of being replaced.
#include "processor/kafka/process_id.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace fristvagt::processor {
namespace {

namespace fs = std::filesystem;

class ProcessIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/process-id-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Read() {
    std::ifstream in(dir_ / kProcessIdFile);
    std::string text;
    std::getline(in, text);
    return text;
  }
  fs::path dir_;
};

TEST_F(ProcessIdTest, CreatedOnceThenReadBack) {
  const fs::path state = dir_ / "state" / "nested";  // a dir that does not exist yet
  absl::StatusOr<std::string> first = LoadOrCreateProcessId(state.string());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), 32u);
  absl::StatusOr<std::string> again = LoadOrCreateProcessId(state.string());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *first);
  // Only the id file is left behind, no temporary.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(state)) {
    EXPECT_EQ(entry.path().filename(), kProcessIdFile);
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(ProcessIdTest, TwoStateDirsHaveDifferentIds) {
  absl::StatusOr<std::string> a = LoadOrCreateProcessId((dir_ / "a").string());
  absl::StatusOr<std::string> b = LoadOrCreateProcessId((dir_ / "b").string());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST_F(ProcessIdTest, GarbledOrEmptyFileStopsStartInsteadOfANewId) {
  for (const std::string text : {"", "not-an-id\n", "0123456789ABCDEF0123456789abcdef\n",
                                 "0123456789abcdef0123456789abcdef0\n"}) {
    std::ofstream(dir_ / kProcessIdFile) << text;
    absl::StatusOr<std::string> id = LoadOrCreateProcessId(dir_.string());
    ASSERT_FALSE(id.ok()) << "accepted '" << text << "'";
    EXPECT_NE(id.status().message().find((dir_ / kProcessIdFile).string()), std::string::npos)
        << id.status();
    EXPECT_EQ(Read(), text.empty() ? "" : text.substr(0, text.size() - 1))
        << "the file was replaced";
  }
}

TEST_F(ProcessIdTest, UnreadableFileStopsStart) {
  fs::create_directory(dir_ / kProcessIdFile);  // read() fails with EISDIR, even as root
  absl::StatusOr<std::string> id = LoadOrCreateProcessId(dir_.string());
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("cannot read the process id file"), std::string::npos)
      << id.status();
  EXPECT_TRUE(fs::is_directory(dir_ / kProcessIdFile));
}

TEST_F(ProcessIdTest, SurroundingWhitespaceIsAccepted) {
  std::ofstream(dir_ / kProcessIdFile) << "  0123456789abcdef0123456789abcdef \n";
  absl::StatusOr<std::string> id = LoadOrCreateProcessId(dir_.string());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, "0123456789abcdef0123456789abcdef");
}

}  // namespace
}  // namespace fristvagt::processor
