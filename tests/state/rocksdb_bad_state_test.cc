// A state dir that is not what the store expects is refused with an error that names the dir
// and the problem, and is left exactly as it was: never a crash, never a silent reset.

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "state/rocksdb_store.h"
#include "state/store_meta.h"
#include "tests/state/store_test_util.h"
#include "tests/testing/binary.h"

namespace fristvagt::state {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class BadStateTest : public ::testing::Test {
 protected:
  std::string Dir() const { return (dir_.path() / "db").string(); }

  // A healthy store holding one person, closed again.
  void MakeStore(const StoreIdentity& identity = {"replay", 0}) {
    absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(Dir(), identity);
    ASSERT_TRUE(store.ok()) << store.status();
    Batch batch;
    batch.PutPerson("p-1", testing::Person("p-1"));
    ASSERT_TRUE((*store)->Commit(batch).ok());
  }

  // The database's own files and their contents (RocksDB's info LOG and LOCK excluded: a
  // failed open may write to those).
  std::map<std::string, std::string> Files() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(Dir())) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("LOG", 0) == 0 || name == "LOCK") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      files[name] = std::string(std::istreambuf_iterator<char>(in), {});
    }
    return files;
  }

  // Opening must fail with a message containing the dir and `problem`, touching nothing.
  void ExpectRefused(const std::string& problem, const StoreIdentity& identity = {"replay", 0}) {
    const std::map<std::string, std::string> before = Files();
    absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(Dir(), identity);
    ASSERT_FALSE(store.ok());
    EXPECT_THAT(std::string(store.status().message()), AllOf(HasSubstr(Dir()), HasSubstr(problem)));
    EXPECT_EQ(Files(), before) << "the dir was changed";
  }

  void WriteFormatRecord(const std::string& record);

  void Overwrite(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  fs::path FileStartingWith(const std::string& prefix) {
    for (const auto& entry : fs::directory_iterator(Dir())) {
      if (entry.path().filename().string().rfind(prefix, 0) == 0) return entry.path();
    }
    ADD_FAILURE() << "no " << prefix << " file";
    return {};
  }

  fristvagt::testing::TempDir dir_;
};

TEST_F(BadStateTest, RegularFileInPlaceOfTheDir) {
  Overwrite(Dir(), "not a directory");
  absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(Dir(), {"replay", 0});
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(std::string(store.status().message()),
              AllOf(HasSubstr(Dir()), HasSubstr("not a directory")));
}

TEST_F(BadStateTest, DirWithOtherFilesButNoDatabase) {
  fs::create_directories(Dir());
  Overwrite(fs::path(Dir()) / "notes.txt", "my notes");
  ExpectRefused("no RocksDB database");
}

TEST_F(BadStateTest, GarbageCurrentFile) {
  MakeStore();
  Overwrite(fs::path(Dir()) / "CURRENT", "\x13garbage\xff");
  ExpectRefused("not a readable RocksDB database");
}

TEST_F(BadStateTest, CurrentNamingAMissingManifest) {
  MakeStore();
  Overwrite(fs::path(Dir()) / "CURRENT", "MANIFEST-999999\n");
  ExpectRefused("not a readable RocksDB database");
}

TEST_F(BadStateTest, GarbageManifest) {
  MakeStore();
  Overwrite(FileStartingWith("MANIFEST-"), std::string(4096, '\x5a'));
  ExpectRefused("not a readable RocksDB database");
}

TEST_F(BadStateTest, DamagedPersonsTableIsReportedNotReturned) {
  MakeStore();
  {
    // Reopening replays the WAL into table files; find the persons family's.
    absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(Dir(), {"replay", 0});
    ASSERT_TRUE(store.ok()) << store.status();
  }
  fs::path table;
  {
    rocksdb::DB* raw = nullptr;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), Dir(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(
        rocksdb::DB::OpenForReadOnly(rocksdb::Options(), Dir(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::vector<rocksdb::LiveFileMetaData> files;
    db->GetLiveFilesMetaData(&files);
    for (const auto& file : files) {
      if (file.column_family_name == "persons") table = fs::path(Dir()) / file.relative_filename;
    }
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  ASSERT_FALSE(table.empty());
  std::string bytes;
  {
    std::ifstream in(table, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (size_t i = 0; i < bytes.size() / 2; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  Overwrite(table, bytes);
  absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(Dir(), {"replay", 0});
  if (!store.ok()) {
    EXPECT_THAT(std::string(store.status().message()), HasSubstr(Dir()));
    return;
  }
  // Table files are checked when read: the read that meets the damage reports it.
  absl::StatusOr<std::optional<v1::PersonState>> person = (*store)->GetPerson("p-1");
  ASSERT_FALSE(person.ok()) << "a damaged table file went unnoticed";
  EXPECT_THAT(std::string(person.status().message()), HasSubstr(Dir()));
  EXPECT_EQ(person.status().code(), absl::StatusCode::kDataLoss);
}

// Rewrites the format record of a store made by this build.
void BadStateTest::WriteFormatRecord(const std::string& record) {
  MakeStore();
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), Dir(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), Dir(), families, &handles, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), kMetaKey, record).ok());
  for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
}

TEST_F(BadStateTest, NewerFormatVersion) {
  WriteFormatRecord("format_version=4\ntopic=replay\npartition=0\n");
  ExpectRefused("format version 4; this build reads version 3 only");
}

// Version 1 kept one timer per obligation moment (issue 15 made it one per person): its dir
// is refused with the way out, never read with the wrong timer index.
TEST_F(BadStateTest, OlderFormatVersionIsRefusedWithTheWayOut) {
  WriteFormatRecord("format_version=1\ntopic=replay\npartition=0\n");
  ExpectRefused("format version 1; this build reads version 3 only");
  ExpectRefused("start on an empty state dir");
}

TEST_F(BadStateTest, AnotherTopicOrPartition) {
  MakeStore({"case-events", 1});
  ExpectRefused("belongs to topic 'case-events' partition 1", {"case-events", 2});
  ExpectRefused("not to topic 'replay' partition 1", {"replay", 1});
  absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(Dir(), {"case-events", 1});
  EXPECT_TRUE(store.ok()) << store.status();
}

TEST_F(BadStateTest, PlainRocksDbDatabaseThatIsNotAStore) {
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, Dir(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", "v").ok());
  }
  ExpectRefused("not a fristvagt state store");
}

TEST_F(BadStateTest, StoreWithDataButNoFormatRecord) {
  MakeStore();
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), Dir(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), Dir(), families, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), kMetaKey).ok());
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  ExpectRefused("no format record");
}

TEST_F(BadStateTest, DirInUseByAnotherStore) {
  absl::StatusOr<std::unique_ptr<StateStore>> first = OpenRocksDbStore(Dir(), {"replay", 0});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<StateStore>> second = OpenRocksDbStore(Dir(), {"replay", 0});
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(Dir()));
}

TEST_F(BadStateTest, EmptyDirIsANewStore) {
  fs::create_directories(Dir());
  absl::StatusOr<std::unique_ptr<StateStore>> store = OpenRocksDbStore(Dir(), {"replay", 0});
  EXPECT_TRUE(store.ok()) << store.status();
}

TEST_F(BadStateTest, DumpOfAMissingDirSaysSo) {
  std::ostringstream out;
  const absl::Status status = DumpStore(Dir(), &out);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr(Dir()));
  EXPECT_FALSE(fs::exists(Dir())) << "a dump must not create a store";
}

}  // namespace
}  // namespace fristvagt::state
