// DumpStore (declared in state/rocksdb_store.h): every record of every column family as text.

#include <memory>

#include "absl/strings/escaping.h"
#include "google/protobuf/text_format.h"
#include "state/key_codec.h"
#include "state/rocksdb_status.h"
#include "state/rocksdb_store.h"
#include "state/store_db.h"

namespace fristvagt::state {

namespace {

// Person records and outbox entries in single-line text format (map entries sorted), so two
// equal stores dump equal text; anything that does not parse is dumped as escaped bytes.
std::string ValueText(StoreDb::Family family, const rocksdb::Slice& value) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  std::string text;
  if (family == StoreDb::kPersons) {
    v1::PersonState person;
    if (person.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
        printer.PrintToString(person, &text)) {
      return text;
    }
  } else if (family == StoreDb::kOutbox) {
    v1::OutboxEntry entry;
    if (entry.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
        printer.PrintToString(entry, &text)) {
      return text;
    }
  }
  return absl::CEscape(absl::string_view(value.data(), value.size()));
}

}  // namespace

absl::Status DumpStore(const std::string& dir, std::ostream* out) {
  absl::StatusOr<std::unique_ptr<StoreDb>> db = StoreDb::Open(dir, /*read_only=*/true);
  if (!db.ok()) return db.status();
  for (int f = 0; f < StoreDb::kFamilyCount; ++f) {
    const auto family = static_cast<StoreDb::Family>(f);
    rocksdb::ColumnFamilyHandle* handle = (*db)->family(family);
    std::unique_ptr<rocksdb::Iterator> it((*db)->db()->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      *out << handle->GetName() << '\t'
           << absl::CEscape(absl::string_view(it->key().data(), it->key().size())) << '\t'
           << ValueText(family, it->value()) << '\n';
    }
    if (absl::Status s = FromRocksDb(it->status(), "dumping state dir " + dir); !s.ok()) {
      return s;
    }
  }
  if (!out->good()) return absl::UnavailableError("cannot write the dump of " + dir);
  return absl::OkStatus();
}

}  // namespace fristvagt::state
