#include "state/rocksdb_store.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rocksdb/write_batch.h"
#include "state/crash_point.h"
#include "state/key_codec.h"
#include "state/rocksdb_status.h"
#include "state/store_db.h"

namespace fristvagt::state {

namespace {

// Map fields (outbox headers) would otherwise serialize in hash order; a repeated alert must
// be byte-identical to the first.
std::string SerializeDeterministic(const google::protobuf::MessageLite& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

// The RocksDB StateStore. Besides the database it keeps two read-path hints, rebuilt by the
// first scan after opening: a floor below which the timer index and the outbox hold only
// tombstones of fired timers and sent entries (so scans start above them), and the earliest
// timer (so FirstTimer, asked on every clock move, costs no I/O). Owned by the partition's
// thread.
class RocksDbStore : public StateStore {
 public:
  explicit RocksDbStore(std::unique_ptr<StoreDb> db) : db_(std::move(db)) {}

  absl::StatusOr<std::optional<v1::PersonState>> GetPerson(std::string_view key) override;
  absl::StatusOr<bool> ReadPerson(std::string_view key, v1::PersonState* into) override;
  absl::StatusOr<std::optional<std::string>> GetPersonRecord(std::string_view key) override;
  absl::Status ScanTimers(int64_t up_to_micros, size_t limit, std::vector<TimerKey>* out) override;
  absl::Status ScanTimersAfter(const TimerKey* after, int64_t up_to_micros, size_t limit,
                               std::vector<TimerKey>* out, std::optional<TimerKey>* later) override;
  absl::StatusOr<std::optional<TimerKey>> FirstTimer() override;
  absl::Status ScanOutbox(size_t limit,
                          std::vector<std::pair<uint64_t, v1::OutboxEntry>>* out) override;
  absl::StatusOr<std::optional<std::string>> GetProgress(std::string_view name) override;
  absl::Status ScanPersons(std::string_view after, size_t limit,
                           std::vector<v1::PersonState>* out) override;
  absl::Status Commit(const Batch& batch) override;
  absl::Status CommitConsuming(Batch* batch) override;

 private:
  absl::Status Error(const rocksdb::Status& status, absl::string_view what) const {
    return FromRocksDb(status, absl::StrCat(what, " in state dir ", db_->dir()));
  }
  absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat("state dir ", db_->dir(), ": ", what));
  }
  void NoteCommitted(const Batch& batch);
  absl::StatusOr<std::optional<TimerKey>> FirstTimerAbove(const std::string& from,
                                                          int64_t up_to_micros);

  std::unique_ptr<StoreDb> db_;
  std::string timer_floor_;  // every armed timer's key is >= this
  bool first_timer_known_ = false;
  std::optional<TimerKey> first_timer_;
  uint64_t outbox_floor_ = 0;  // every pending entry's seq is >= this
  uint64_t outbox_end_ = 0;    // one past the highest seq this process added
  // The outbox's whole content while this process knows it: from a scan that reached the end,
  // then kept by every commit. The processor reads back every entry it has just committed, and
  // a copy is cheaper than a RocksDB scan that parses each one again (issue 15). Dropped when
  // a commit fails (what the database holds is then unknown) or past kOutboxMirrorCap entries
  // (a broker away for long: the database holds them, memory stays bounded).
  static constexpr size_t kOutboxMirrorCap = 20000;
  std::optional<std::map<uint64_t, v1::OutboxEntry>> outbox_mirror_;
  void MirrorCommitted(const Batch& batch, Batch* consumable);
  absl::Status Write(const Batch& batch, Batch* consumable);
};

absl::StatusOr<std::optional<v1::PersonState>> RocksDbStore::GetPerson(std::string_view key) {
  std::optional<v1::PersonState> person(std::in_place);
  absl::StatusOr<bool> found = ReadPerson(key, &*person);
  if (!found.ok()) return found.status();
  if (!*found) return std::optional<v1::PersonState>();
  return person;
}

absl::StatusOr<bool> RocksDbStore::ReadPerson(std::string_view key, v1::PersonState* into) {
  into->Clear();
  rocksdb::PinnableSlice value;
  const rocksdb::Status status =
      db_->db()->Get(rocksdb::ReadOptions(), db_->family(StoreDb::kPersons), key, &value);
  if (status.IsNotFound()) return false;
  if (!status.ok()) return Error(status, "reading a person record");
  // Parsing into a used message reuses its repeated elements and string buffers.
  if (!into->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    into->Clear();
    return Corrupt("a person record does not parse");  // the key is personal data: not named
  }
  return true;
}

absl::StatusOr<std::optional<std::string>> RocksDbStore::GetPersonRecord(std::string_view key) {
  std::string value;
  const rocksdb::Status status =
      db_->db()->Get(rocksdb::ReadOptions(), db_->family(StoreDb::kPersons), key, &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return Error(status, "reading a person record");
  return std::optional<std::string>(std::move(value));
}

absl::Status RocksDbStore::ScanTimers(int64_t up_to_micros, size_t limit,
                                      std::vector<TimerKey>* out) {
  out->clear();
  if (limit == 0) return absl::OkStatus();
  const bool bounded = up_to_micros < std::numeric_limits<int64_t>::max();
  const std::string upper = bounded ? keys::EncodeDue(up_to_micros + 1) : std::string();
  const rocksdb::Slice lower_slice(timer_floor_);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  if (bounded) read.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->family(StoreDb::kTimers)));
  for (it->Seek(lower_slice); it->Valid() && out->size() < limit; it->Next()) {
    absl::StatusOr<TimerKey> key = keys::DecodeTimer(it->key().ToStringView());
    if (!key.ok()) return Corrupt(key.status().message());
    out->push_back(*std::move(key));
  }
  if (!it->status().ok()) return Error(it->status(), "scanning timers");
  // What the scan passed over holds no armed timer: later scans start above it.
  if (!out->empty()) {
    timer_floor_ = keys::EncodeTimer(out->front());
    first_timer_ = out->front();
    first_timer_known_ = true;
  } else if (bounded) {
    timer_floor_ = std::max(timer_floor_, upper);
  } else {
    first_timer_.reset();
    first_timer_known_ = true;
  }
  return absl::OkStatus();
}

// Starts above the floor and above `after`; leaves the floor and the first-timer hint alone
// when `after` is given, because the timers the caller skipped are only disarmed in its
// uncommitted batch. No upper bound: the scan stops at the first timer due later, which the
// caller keeps as a hint that nothing is due before it.
absl::Status RocksDbStore::ScanTimersAfter(const TimerKey* after, int64_t up_to_micros,
                                           size_t limit, std::vector<TimerKey>* out,
                                           std::optional<TimerKey>* later) {
  out->clear();
  later->reset();
  if (after == nullptr) {  // from the floor, as ScanTimers, which also maintains the hints
    if (absl::Status s = ScanTimers(up_to_micros, limit, out); !s.ok()) return s;
    if (out->size() < limit) {
      absl::StatusOr<std::optional<TimerKey>> first = FirstTimerAbove(timer_floor_, up_to_micros);
      if (!first.ok()) return first.status();
      *later = *std::move(first);
    }
    return absl::OkStatus();
  }
  std::string lower = keys::EncodeTimer(*after);
  lower.push_back('\0');  // the smallest key above `after`
  if (lower < timer_floor_) lower = timer_floor_;
  const rocksdb::Slice lower_slice(lower);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->family(StoreDb::kTimers)));
  for (it->Seek(lower_slice); it->Valid() && out->size() < limit; it->Next()) {
    absl::StatusOr<TimerKey> key = keys::DecodeTimer(it->key().ToStringView());
    if (!key.ok()) return Corrupt(key.status().message());
    if (key->due_micros > up_to_micros) {
      *later = *std::move(key);
      break;
    }
    out->push_back(*std::move(key));
  }
  if (!it->status().ok()) return Error(it->status(), "scanning timers");
  return absl::OkStatus();
}

// The first timer with a key at or above `from` that is due after `up_to_micros`.
absl::StatusOr<std::optional<TimerKey>> RocksDbStore::FirstTimerAbove(const std::string& from,
                                                                      int64_t up_to_micros) {
  std::string lower = up_to_micros < std::numeric_limits<int64_t>::max()
                          ? keys::EncodeDue(up_to_micros + 1)
                          : std::string();
  if (lower.empty()) return std::optional<TimerKey>();
  if (lower < from) lower = from;
  const rocksdb::Slice lower_slice(lower);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->family(StoreDb::kTimers)));
  it->Seek(lower_slice);
  if (!it->status().ok()) return Error(it->status(), "scanning timers");
  if (!it->Valid()) return std::optional<TimerKey>();
  absl::StatusOr<TimerKey> key = keys::DecodeTimer(it->key().ToStringView());
  if (!key.ok()) return Corrupt(key.status().message());
  return std::optional<TimerKey>(*std::move(key));
}

absl::StatusOr<std::optional<TimerKey>> RocksDbStore::FirstTimer() {
  if (!first_timer_known_) {
    std::vector<TimerKey> first;
    if (absl::Status s = ScanTimers(std::numeric_limits<int64_t>::max(), 1, &first); !s.ok()) {
      return s;
    }
  }
  return first_timer_;
}

absl::Status RocksDbStore::ScanOutbox(size_t limit,
                                      std::vector<std::pair<uint64_t, v1::OutboxEntry>>* out) {
  out->clear();
  if (limit == 0) return absl::OkStatus();
  if (outbox_mirror_.has_value()) {
    for (auto it = outbox_mirror_->begin(); it != outbox_mirror_->end() && out->size() < limit;
         ++it) {
      out->emplace_back(it->first, it->second);
    }
    outbox_floor_ = out->empty() ? std::max(outbox_floor_, outbox_end_) : out->front().first;
    return absl::OkStatus();
  }
  const std::string lower = keys::EncodeSeq(outbox_floor_);
  const rocksdb::Slice lower_slice(lower);
  rocksdb::ReadOptions read;
  read.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(read, db_->family(StoreDb::kOutbox)));
  for (it->Seek(lower_slice); it->Valid() && out->size() < limit; it->Next()) {
    absl::StatusOr<uint64_t> seq = keys::DecodeSeq(it->key().ToStringView());
    if (!seq.ok()) return Corrupt(seq.status().message());
    v1::OutboxEntry entry;
    if (!entry.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Corrupt(absl::StrCat("outbox entry ", *seq, " does not parse"));
    }
    out->emplace_back(*seq, std::move(entry));
  }
  if (!it->status().ok()) return Error(it->status(), "scanning the outbox");
  const bool whole = !it->Valid();  // the scan reached the end: `out` is the whole outbox
  outbox_floor_ = out->empty() ? std::max(outbox_floor_, outbox_end_) : out->front().first;
  if (whole && out->size() <= kOutboxMirrorCap) {
    outbox_mirror_.emplace(out->begin(), out->end());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> RocksDbStore::GetProgress(std::string_view name) {
  std::string value;
  const rocksdb::Status status =
      db_->db()->Get(rocksdb::ReadOptions(), db_->family(StoreDb::kProgress), name, &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok())
    return Error(status, absl::StrCat("reading progress '", std::string(name), "'"));
  return std::optional<std::string>(std::move(value));
}

absl::Status RocksDbStore::ScanPersons(std::string_view after, size_t limit,
                                       std::vector<v1::PersonState>* out) {
  out->clear();
  std::unique_ptr<rocksdb::Iterator> it(
      db_->db()->NewIterator(rocksdb::ReadOptions(), db_->family(StoreDb::kPersons)));
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(rocksdb::Slice(after.data(), after.size()));
    if (it->Valid() && it->key() == rocksdb::Slice(after.data(), after.size())) it->Next();
  }
  for (; it->Valid() && out->size() < limit; it->Next()) {
    v1::PersonState person;
    if (!person.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Corrupt("a person record does not parse");
    }
    out->push_back(std::move(person));
  }
  if (!it->status().ok()) return Error(it->status(), "scanning persons");
  return absl::OkStatus();
}

// Translates a Batch into one rocksdb::WriteBatch; keeps the first error (WriteBatch only
// fails past its size limit, which the store does not set).
rocksdb::Status BuildWrite(const Batch& batch, const StoreDb& db, rocksdb::WriteBatch* write) {
  rocksdb::Status first_error;
  auto check = [&first_error](const rocksdb::Status& status) {
    if (first_error.ok()) first_error = status;
  };
  rocksdb::ColumnFamilyHandle* persons = db.family(StoreDb::kPersons);
  rocksdb::ColumnFamilyHandle* timers = db.family(StoreDb::kTimers);
  rocksdb::ColumnFamilyHandle* outbox = db.family(StoreDb::kOutbox);
  rocksdb::ColumnFamilyHandle* progress = db.family(StoreDb::kProgress);
  for (const auto& [key, person] : batch.persons) {
    check(person.has_value() ? write->Put(persons, key, *person) : write->Delete(persons, key));
  }
  for (const TimerKey& key : batch.timers_removed) {
    check(write->Delete(timers, keys::EncodeTimer(key)));
  }
  for (const TimerKey& key : batch.timers_added) {
    check(write->Put(timers, keys::EncodeTimer(key), rocksdb::Slice()));
  }
  // Sent entries leave in sequence runs: one range tombstone per run instead of a point
  // delete per entry keeps the memtable small (issue 8: deletes were ~9 % of replay).
  std::vector<uint64_t> removed(batch.outbox_removed);
  std::sort(removed.begin(), removed.end());
  for (size_t i = 0; i < removed.size();) {
    size_t end = i + 1;
    while (end < removed.size() && removed[end] == removed[end - 1] + 1) ++end;
    check(end - i == 1 ? write->Delete(outbox, keys::EncodeSeq(removed[i]))
                       : write->DeleteRange(outbox, keys::EncodeSeq(removed[i]),
                                            keys::EncodeSeq(removed[end - 1] + 1)));
    i = end;
  }
  for (const auto& [seq, entry] : batch.outbox_added) {
    check(write->Put(outbox, keys::EncodeSeq(seq), SerializeDeterministic(entry)));
  }
  for (const auto& [name, value] : batch.progress) check(write->Put(progress, name, value));
  return first_error;
}

absl::Status RocksDbStore::Commit(const Batch& batch) { return Write(batch, nullptr); }

absl::Status RocksDbStore::CommitConsuming(Batch* batch) { return Write(*batch, batch); }

// `consumable` is null or `&batch`: then the outbox copy takes the batch's entries by move.
absl::Status RocksDbStore::Write(const Batch& batch, Batch* consumable) {
  FRISTVAGT_CRASH_POINT("state.before_commit");
  rocksdb::WriteBatch write;
  if (rocksdb::Status s = BuildWrite(batch, *db_, &write); !s.ok()) {
    return Error(s, "building a batch");
  }
  // WAL on, no fsync: a killed process loses nothing, a machine crash at most the last
  // batches, never part of one (state/README.md, "Durability").
  rocksdb::WriteOptions options;
  options.sync = false;
  options.disableWAL = false;
  if (rocksdb::Status s = db_->db()->Write(options, &write); !s.ok()) {
    outbox_mirror_.reset();
    return Error(s, "committing a batch");
  }
  NoteCommitted(batch);
  MirrorCommitted(batch, consumable);
  FRISTVAGT_CRASH_POINT("state.after_commit");
  return absl::OkStatus();
}

void RocksDbStore::NoteCommitted(const Batch& batch) {
  if (first_timer_known_ && first_timer_.has_value() &&
      batch.timers_removed.count(*first_timer_) > 0) {
    first_timer_known_ = false;  // the floor stays valid: the next scan starts there
  }
  if (!batch.timers_added.empty()) {
    const TimerKey& lowest = *batch.timers_added.begin();
    timer_floor_ = std::min(timer_floor_, keys::EncodeTimer(lowest));
    if (first_timer_known_ && (!first_timer_.has_value() || lowest < *first_timer_)) {
      first_timer_ = lowest;
    }
  }
  for (const auto& [seq, entry] : batch.outbox_added) {
    outbox_floor_ = std::min(outbox_floor_, seq);
    outbox_end_ = std::max(outbox_end_, seq + 1);
  }
}

// The same changes as BuildWrite makes to the outbox, in the same order: removals, then
// additions.
void RocksDbStore::MirrorCommitted(const Batch& batch, Batch* consumable) {
  if (!outbox_mirror_.has_value()) return;
  for (uint64_t seq : batch.outbox_removed) outbox_mirror_->erase(seq);
  if (consumable != nullptr) {
    for (auto& [seq, entry] : consumable->outbox_added) {
      outbox_mirror_->insert_or_assign(seq, std::move(entry));
    }
  } else {
    for (const auto& [seq, entry] : batch.outbox_added) outbox_mirror_->insert_or_assign(seq, entry);
  }
  if (outbox_mirror_->size() > kOutboxMirrorCap) outbox_mirror_.reset();
}

// A store whose database exists but has no format record is only acceptable empty: that is a
// creation interrupted before the record was written.
absl::Status EnsureEmpty(const StoreDb& db) {
  for (rocksdb::ColumnFamilyHandle* family : db.families()) {
    std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), family));
    it->SeekToFirst();
    if (!it->status().ok()) {
      return FromRocksDb(it->status(), absl::StrCat("reading state dir ", db.dir()));
    }
    if (it->Valid()) {
      return absl::FailedPreconditionError(
          absl::StrCat("state dir ", db.dir(), " holds data but no format record (",
                       family->GetName(), " is not empty); it was not written by fristvagt"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOrWriteMeta(const StoreDb& db, const StoreIdentity& identity) {
  std::string stored;
  const rocksdb::Status status =
      db.db()->Get(rocksdb::ReadOptions(), db.family(StoreDb::kMeta), kMetaKey, &stored);
  if (status.ok()) return CheckMeta(stored, identity, db.dir());
  if (!status.IsNotFound()) {
    return FromRocksDb(status, absl::StrCat("reading the format record of state dir ", db.dir()));
  }
  if (absl::Status s = EnsureEmpty(db); !s.ok()) return s;
  rocksdb::WriteOptions sync;
  sync.sync = true;
  return FromRocksDb(db.db()->Put(sync, db.family(StoreDb::kMeta), kMetaKey, EncodeMeta(identity)),
                     absl::StrCat("writing the format record of state dir ", db.dir()));
}

// An existing dir is checked read-only first, so a dir that is refused stays byte for byte as
// it was (a read-write open already writes a new MANIFEST and flushes the WAL).
absl::Status CheckExisting(const std::string& dir, const StoreIdentity& identity) {
  absl::StatusOr<std::unique_ptr<StoreDb>> db = StoreDb::Open(dir, /*read_only=*/true);
  if (absl::IsNotFound(db.status())) return absl::OkStatus();  // to be created
  if (!db.ok()) return db.status();
  std::string stored;
  const rocksdb::Status status =
      (*db)->db()->Get(rocksdb::ReadOptions(), (*db)->family(StoreDb::kMeta), kMetaKey, &stored);
  if (status.ok()) return CheckMeta(stored, identity, dir);
  if (!status.IsNotFound()) {
    return FromRocksDb(status, absl::StrCat("reading the format record of state dir ", dir));
  }
  return EnsureEmpty(**db);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StateStore>> OpenRocksDbStore(const std::string& dir,
                                                             const StoreIdentity& identity) {
  if (absl::Status s = CheckExisting(dir, identity); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<StoreDb>> db = StoreDb::Open(dir, /*read_only=*/false);
  if (!db.ok()) return db.status();
  if (absl::Status s = CheckOrWriteMeta(**db, identity); !s.ok()) return s;
  return std::unique_ptr<StateStore>(new RocksDbStore(*std::move(db)));
}

}  // namespace fristvagt::state
