#pragma once
// The durable StateStore: one RocksDB database per input partition, with a column family each
// for person records, the timer index, the outbox and progress markers (state/README.md for
// the layout, the options and the durability trade-off). The store returned is owned by the
// caller and, like every StateStore, used by one thread.

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "state/store.h"
#include "state/store_meta.h"

namespace fristvagt::state {

// Opens the store in `dir`, creating it when `dir` does not exist or is empty. Any other dir
// is refused with an error that names it and says what is wrong: not a directory, files but no
// RocksDB database, a corrupt database, a RocksDB database that is not a fristvagt store, another
// format version, or another topic/partition. A dir is never reset or repaired silently.
absl::StatusOr<std::unique_ptr<StateStore>> OpenRocksDbStore(const std::string& dir,
                                                             const StoreIdentity& identity);

// Writes every record of every column family of the store in `dir` as one text line each,
// `family<TAB>key<TAB>value`, in key order: keys and values C-escaped, person records and
// outbox entries in protobuf text format. Opens the dir read-only. For
// `fristvagt debug-dump-state` and tests comparing two stores.
absl::Status DumpStore(const std::string& dir, std::ostream* out);

}  // namespace fristvagt::state
