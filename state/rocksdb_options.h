#pragma once
// The RocksDB options of a state store, chosen for its workload (state/README.md, "Options"):
// point lookups and rewrites of person records, an append-at-the-far-end / delete-at-the-front
// timer index and outbox, and a few tiny progress records. One place, so the store and the
// raw-RocksDB baseline in bench/ run with exactly the same settings. Thread-safe.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_buffer_manager.h"

namespace fristvagt::state {

inline constexpr char kPersonsFamily[] = "persons";
inline constexpr char kTimersFamily[] = "timers";
inline constexpr char kOutboxFamily[] = "outbox";
inline constexpr char kProgressFamily[] = "progress";

// The memory every store of the process shares: one bounded LRU block cache (data, index and
// filter blocks) that memtables are also charged to, so N partitions' stores stay within one
// budget however many persons and timers they hold.
struct MemoryBudget {
  size_t block_cache_bytes = size_t{256} << 20;
  size_t write_buffer_bytes = size_t{128} << 20;  // all memtables, part of the cache budget
};

// The process-wide cache and write buffer manager, created on first use with `budget` (later
// calls return the same objects and ignore their argument).
struct SharedResources {
  std::shared_ptr<rocksdb::Cache> block_cache;
  std::shared_ptr<rocksdb::WriteBufferManager> write_buffers;
};
const SharedResources& GetSharedResources(const MemoryBudget& budget = {});

// LZ4 when this RocksDB build supports it, else Snappy, else none.
rocksdb::CompressionType ChooseCompression();

rocksdb::DBOptions MakeDbOptions(const SharedResources& shared);

// Options of every column family, the default one (format and identity record) first.
std::vector<rocksdb::ColumnFamilyDescriptor> MakeColumnFamilies(const SharedResources& shared);

// Per-family options, also used by the benchmark's raw baseline.
rocksdb::ColumnFamilyOptions PersonsFamilyOptions(const SharedResources& shared);

}  // namespace fristvagt::state
