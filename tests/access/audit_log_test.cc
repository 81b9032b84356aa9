// The audit log: one line per look-up, appended, read back; survives rotation (issue 18).
#include "access/audit_log.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fristvagt::access {
namespace {

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(AuditLogTest, RecordsAreAppendedAndReadBack) {
  const std::string path = ::testing::TempDir() + "/audit-readback.jsonl";
  std::filesystem::remove(path);
  std::ofstream(path) << "{\"earlier\":true}\n";  // never truncated
  {
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    AuditEntry person;
    person.when = absl::FromUnixSeconds(1764800000);
    person.token = "aarhus";
    person.endpoint = "person";
    person.person = "p-1\n\"x";
    person.records = 1;
    ASSERT_TRUE((*log)->Record(person).ok());
    AuditEntry overview;
    overview.when = absl::FromUnixSeconds(1764800001);
    overview.token = "aarhus";
    overview.endpoint = "overview";
    overview.filter = {{"caseworker", "cw-Ø"}, {"status", "OPEN"}};
    overview.records = 17;
    ASSERT_TRUE((*log)->Record(overview).ok());
  }
  EXPECT_THAT(Lines(path),
              ::testing::ElementsAre(
                  "{\"earlier\":true}",
                  "{\"when\":\"2025-12-03T22:13:20+00:00\",\"token\":\"aarhus\",\"endpoint\":\"person\","
                  "\"person\":\"p-1\\u000a\\\"x\",\"filter\":{},\"records\":1}",
                  "{\"when\":\"2025-12-03T22:13:21+00:00\",\"token\":\"aarhus\",\"endpoint\":"
                  "\"overview\",\"person\":\"\",\"filter\":{\"caseworker\":\"cw-Ø\",\"status\":"
                  "\"OPEN\"},\"records\":17}"));
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  std::filesystem::remove(path);
}

TEST(AuditLogTest, NewFileIsOwnerOnlyAndRotationStartsANewOne) {
  const std::string path = ::testing::TempDir() + "/audit-rotate.jsonl";
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".1");
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok());
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  AuditEntry e;
  e.token = "t";
  e.endpoint = "person";
  e.person = "p";
  ASSERT_TRUE((*log)->Record(e).ok());
  std::filesystem::rename(path, path + ".1");  // logrotate
  ASSERT_TRUE((*log)->Record(e).ok());
  EXPECT_EQ(Lines(path + ".1").size(), 1u);
  EXPECT_EQ(Lines(path).size(), 1u);
  std::filesystem::remove(path);
  std::filesystem::remove(path + ".1");
}

TEST(AuditLogTest, UnwritablePathIsAnError) {
  EXPECT_FALSE(AuditLog::Open("/nonexistent/dir/audit.jsonl").ok());
}

}  // namespace
}  // namespace fristvagt::access
