#include "tests/state/store_test_util.h"

#include <memory>

#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace fristvagt::state::testing {

std::vector<RawRecord> ReadAllRaw(const std::string& dir) {
  std::vector<RawRecord> records;
  rocksdb::Options options;
  std::vector<std::string> names;
  rocksdb::Status status = rocksdb::DB::ListColumnFamilies(options, dir, &names);
  EXPECT_TRUE(status.ok()) << status.ToString();
  if (!status.ok()) return records;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  status = rocksdb::DB::OpenForReadOnly(options, dir, families, &handles, &raw);
  EXPECT_TRUE(status.ok()) << status.ToString();
  if (!status.ok()) return records;
  std::unique_ptr<rocksdb::DB> db(raw);
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      records.push_back({handle->GetName(), it->key().ToString(), it->value().ToString()});
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    EXPECT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  return records;
}

}  // namespace fristvagt::state::testing
