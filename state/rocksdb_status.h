#pragma once
// Converts RocksDB's Status into absl::Status at the RocksDB boundary, keeping RocksDB's own
// text and adding what was being done (and where). Thread-safe.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace fristvagt::state {

// OK stays OK; otherwise "<context>: <rocksdb message>" with a matching code (Corruption →
// DataLoss, IOError → Unavailable, ...).
absl::Status FromRocksDb(const rocksdb::Status& status, absl::string_view context);

}  // namespace fristvagt::state
