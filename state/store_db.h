#pragma once
// A RocksDB database opened with the state store's column families, after checking that the
// dir holds one (state/README.md, "Refusing bad state"). Closes the database when destroyed.
// Owned by one RocksDbStore (or by DumpStore) and used by its thread.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"

namespace fristvagt::state {

class StoreDb {
 public:
  enum Family { kMeta = 0, kPersons, kTimers, kOutbox, kProgress, kFamilyCount };

  // Opens the database in `dir`. When `dir` is absent or an empty directory it is created,
  // unless `read_only`. Errors name `dir` and what is wrong with it.
  static absl::StatusOr<std::unique_ptr<StoreDb>> Open(const std::string& dir, bool read_only);

  StoreDb(const StoreDb&) = delete;
  StoreDb& operator=(const StoreDb&) = delete;
  ~StoreDb();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(Family f) const { return families_[f]; }
  const std::vector<rocksdb::ColumnFamilyHandle*>& families() const { return families_; }
  const std::string& dir() const { return dir_; }
  bool created() const { return created_; }

 private:
  StoreDb(std::string dir, bool created) : dir_(std::move(dir)), created_(created) {}

  std::string dir_;
  bool created_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
};

}  // namespace fristvagt::state
