#include "state/rocksdb_options.h"

#include <algorithm>

#include "rocksdb/convenience.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/table_properties_collectors.h"

namespace fristvagt::state {

namespace {

constexpr size_t kMiB = size_t{1} << 20;

rocksdb::BlockBasedTableOptions TableOptions(const SharedResources& shared, size_t block_size) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = shared.block_cache;
  table.block_size = block_size;
  table.format_version = 5;
  // Index and filter blocks live in the bounded cache too, so their memory does not grow with
  // the number of SST files; L0's are pinned because every read consults them.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  return table;
}

rocksdb::ColumnFamilyOptions BaseFamilyOptions(size_t write_buffer_bytes) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compaction_style = rocksdb::kCompactionStyleLevel;
  cf.level_compaction_dynamic_level_bytes = true;
  cf.compression = ChooseCompression();
  cf.write_buffer_size = write_buffer_bytes;
  cf.max_write_buffer_number = 3;
  cf.target_file_size_base = 64 * kMiB;
  cf.max_bytes_for_level_base = 256 * kMiB;
  return cf;
}

// Timers and outbox entries are deleted soon after they are written, always from the low end
// of the key space; compact files that are mostly tombstones before scans have to skip them.
rocksdb::ColumnFamilyOptions QueueFamilyOptions(const SharedResources& shared,
                                                size_t write_buffer_bytes) {
  rocksdb::ColumnFamilyOptions cf = BaseFamilyOptions(write_buffer_bytes);
  rocksdb::BlockBasedTableOptions table = TableOptions(shared, 16 * 1024);
  table.filter_policy = nullptr;  // range scans only: a filter would never be consulted
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.table_properties_collector_factories.push_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(4096, 2048, 0.5));
  return cf;
}

// A batch writes a family's keys in ascending order (std::map/std::set in state::Batch), so a
// memtable insert can start from where the previous one ended instead of searching the skip
// list from the top: one insert hint per family (an empty prefix). Issue 15: memtable inserts
// were 13-25 % of replay and timer firing. NOT for a family written with DeleteRange (the
// outbox): RocksDB 7.8 keys the hint by prefix only and hands the point table's hint to the
// range-tombstone table too (MemTable::Add), which corrupts the insert (assertion in
// inlineskiplist.h with Debian's build).
rocksdb::ColumnFamilyOptions WithInsertHint(rocksdb::ColumnFamilyOptions cf) {
  cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  return cf;
}

rocksdb::ColumnFamilyOptions SmallFamilyOptions(const SharedResources& shared) {
  rocksdb::ColumnFamilyOptions cf = BaseFamilyOptions(4 * kMiB);
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(TableOptions(shared, 4096)));
  return cf;
}

}  // namespace

const SharedResources& GetSharedResources(const MemoryBudget& budget) {
  static const SharedResources* const resources = [&budget] {
    auto* r = new SharedResources;
    rocksdb::LRUCacheOptions cache;
    cache.capacity = budget.block_cache_bytes;
    cache.high_pri_pool_ratio = 0.2;  // index and filter blocks
    r->block_cache = rocksdb::NewLRUCache(cache);
    r->write_buffers =
        std::make_shared<rocksdb::WriteBufferManager>(budget.write_buffer_bytes, r->block_cache);
    return r;
  }();
  return *resources;
}

rocksdb::CompressionType ChooseCompression() {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  for (rocksdb::CompressionType type : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), type) != supported.end()) return type;
  }
  return rocksdb::kNoCompression;
}

rocksdb::DBOptions MakeDbOptions(const SharedResources& shared) {
  rocksdb::DBOptions db;
  db.paranoid_checks = true;
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.manual_wal_flush = false;  // every Commit reaches the OS before Write returns
  db.write_buffer_manager = shared.write_buffers;
  // The tiny progress family is written by every batch; without a cap its never-full memtable
  // would keep every WAL file alive.
  db.max_total_wal_size = 256 * kMiB;
  db.max_open_files = 1024;
  db.max_background_jobs = 2;
  db.bytes_per_sync = kMiB;
  db.keep_log_file_num = 4;
  db.max_log_file_size = 8 * kMiB;
  return db;
}

rocksdb::ColumnFamilyOptions PersonsFamilyOptions(const SharedResources& shared) {
  rocksdb::ColumnFamilyOptions cf = BaseFamilyOptions(64 * kMiB);
  rocksdb::BlockBasedTableOptions table = TableOptions(shared, 8 * 1024);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.optimize_filters_for_hits = false;  // new persons are misses: the last level's filter pays
  return WithInsertHint(cf);
}

std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(const SharedResources& shared) {
  return {
      {rocksdb::kDefaultColumnFamilyName, SmallFamilyOptions(shared)},
      {kPersonsFamily, PersonsFamilyOptions(shared)},
      {kTimersFamily, WithInsertHint(QueueFamilyOptions(shared, 32 * kMiB))},
      {kOutboxFamily, QueueFamilyOptions(shared, 16 * kMiB)},
      {kProgressFamily, SmallFamilyOptions(shared)},
  };
}

}  // namespace fristvagt::state
