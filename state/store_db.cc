#include "state/store_db.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "state/rocksdb_options.h"
#include "state/rocksdb_status.h"

namespace fristvagt::state {

namespace {

namespace fs = std::filesystem;

// Whether `dir` is to be created (true), opened as an existing database (false), or refused.
absl::StatusOr<bool> InspectDir(const std::string& dir) {
  std::error_code error;
  const fs::file_status status = fs::status(dir, error);
  if (status.type() == fs::file_type::not_found) return true;
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot inspect state dir ", dir, ": ", error.message()));
  }
  if (!fs::is_directory(status)) {
    return absl::FailedPreconditionError(
        absl::StrCat("state dir ", dir, " exists but is not a directory"));
  }
  const bool empty = fs::is_empty(dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list state dir ", dir, ": ", error.message()));
  }
  if (empty) return true;
  if (!fs::exists(fs::path(dir) / "CURRENT", error)) {
    return absl::FailedPreconditionError(
        absl::StrCat("state dir ", dir,
                     " holds files but no RocksDB database (no CURRENT file); "
                     "refusing to create a store among them"));
  }
  return false;
}

// An existing database must hold exactly the store's column families.
absl::Status CheckFamilies(const std::string& dir, const rocksdb::DBOptions& options,
                           const std::vector<rocksdb::ColumnFamilyDescriptor>& expected) {
  std::vector<std::string> names;
  if (absl::Status s = FromRocksDb(rocksdb::DB::ListColumnFamilies(options, dir, &names),
                                   absl::StrCat("state dir ", dir,
                                                " is not a readable "
                                                "RocksDB database"));
      !s.ok()) {
    return s;
  }
  std::vector<std::string> want;
  for (const auto& family : expected) want.push_back(family.name);
  std::sort(names.begin(), names.end());
  std::sort(want.begin(), want.end());
  if (names != want) {
    // A damaged MANIFEST can list just "default": let RocksDB say what is wrong, if anything.
    std::vector<rocksdb::ColumnFamilyDescriptor> listed;
    for (const std::string& name : names) listed.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status opened =
        rocksdb::DB::OpenForReadOnly(options, dir, listed, &handles, &db);
    if (opened.ok()) {
      for (rocksdb::ColumnFamilyHandle* handle : handles)
        (void)db->DestroyColumnFamilyHandle(handle);
      delete db;
    } else {
      return FromRocksDb(opened, absl::StrCat("state dir ", dir,
                                              " is not a readable RocksDB "
                                              "database"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("state dir ", dir,
                     " is a RocksDB database but not a fristvagt state store of this "
                     "format (column families: ",
                     absl::StrJoin(names, ", "), "; expected: ", absl::StrJoin(want, ", "), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<StoreDb>> StoreDb::Open(const std::string& dir, bool read_only) {
  absl::StatusOr<bool> create = InspectDir(dir);
  if (!create.ok()) return create.status();
  if (*create && read_only) {
    return absl::NotFoundError(absl::StrCat("state dir ", dir, " holds no store"));
  }
  const SharedResources& shared = GetSharedResources();
  rocksdb::DBOptions options = MakeDbOptions(shared);
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = MakeColumnFamilies(shared);
  if (*create) {
    std::error_code error;
    fs::create_directories(dir, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot create state dir ", dir, ": ", error.message()));
    }
    options.create_if_missing = true;
    options.create_missing_column_families = true;
  } else if (absl::Status s = CheckFamilies(dir, options, families); !s.ok()) {
    return s;
  }
  std::unique_ptr<StoreDb> store(new StoreDb(dir, *create));
  rocksdb::DB* db = nullptr;
  const rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(options, dir, families, &store->families_, &db)
                : rocksdb::DB::Open(options, dir, families, &store->families_, &db);
  if (absl::Status s = FromRocksDb(status, absl::StrCat("cannot open state dir ", dir)); !s.ok()) {
    return s;
  }
  store->db_.reset(db);
  return store;
}

StoreDb::~StoreDb() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    (void)db_->DestroyColumnFamilyHandle(family);  // cannot fail for handles from Open
  }
  if (absl::Status s = FromRocksDb(db_->Close(), absl::StrCat("closing state dir ", dir_));
      !s.ok()) {
    // A destructor cannot return it; every write was already acknowledged through the WAL.
    std::cerr << "fristvagt state: " << s.message() << '\n';
  }
}

}  // namespace fristvagt::state
