#pragma once
// The durable state of one input partition (architecture.md "Design we expect" 2-3): person
// facts and obligation records, the timer index, the outbox and progress markers. Every change
// of a batch is applied by one atomic Commit, so a crash leaves either all of it or none.
// Implementations: MemoryStore (tests, plain replay) and RocksDbStore (state/rocksdb_store.h).
// Not thread-safe: one store is owned by the one thread that processes its partition.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/state.pb.h"

namespace fristvagt::state {

// One armed timer: due moment (µs since the epoch), person and obligation. Ordered by due
// moment first, which is also the order of its big-endian on-disk key.
struct TimerKey {
  int64_t due_micros = 0;
  std::string person_key;
  std::string obligation_id;
  auto operator<=>(const TimerKey&) const = default;
};

// Everything one batch changes; applied atomically by StateStore::Commit.
struct Batch {
  // Serialized v1::PersonState per key, nullopt = erase. The writer serializes once; the
  // store and the changelog share the bytes (issue 8: serializing twice was 7 % of Kafka).
  std::map<std::string, std::optional<std::string>> persons;
  std::set<TimerKey> timers_removed;  // armed in the store, to delete
  std::set<TimerKey> timers_added;
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> outbox_added;
  std::vector<uint64_t> outbox_removed;
  std::map<std::string, std::string> progress;

  // Person records hold no map field: the plain serializer is deterministic for them.
  void PutPerson(const std::string& key, const v1::PersonState& person) {
    persons[key] = person.SerializeAsString();
  }
  // Netting keeps a timer armed and disarmed within one batch from reaching the store.
  void AddTimer(const TimerKey& key) {
    if (timers_removed.erase(key) == 0) timers_added.insert(key);
  }
  void RemoveTimer(const TimerKey& key) {
    if (timers_added.erase(key) == 0) timers_removed.insert(key);
  }

  bool empty() const {
    return persons.empty() && timers_removed.empty() && timers_added.empty() &&
           outbox_added.empty() && outbox_removed.empty() && progress.empty();
  }
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  virtual absl::StatusOr<std::optional<v1::PersonState>> GetPerson(std::string_view key) = 0;
  // The stored person parsed into `*into` (which is cleared first, but keeps its allocations:
  // the engine hands in recycled messages, issue 15); false when there is none.
  virtual absl::StatusOr<bool> ReadPerson(std::string_view key, v1::PersonState* into) {
    into->Clear();
    absl::StatusOr<std::optional<v1::PersonState>> person = GetPerson(key);
    if (!person.ok()) return person.status();
    if (!person->has_value()) return false;
    *into = std::move(**person);
    return true;
  }
  // The stored person record as its serialized bytes (for the changelog), not parsed.
  virtual absl::StatusOr<std::optional<std::string>> GetPersonRecord(std::string_view key) {
    absl::StatusOr<std::optional<v1::PersonState>> person = GetPerson(key);
    if (!person.ok()) return person.status();
    if (!person->has_value()) return std::optional<std::string>();
    return std::optional<std::string>((*person)->SerializeAsString());
  }
  // Timers due at or before `up_to_micros`, ascending, at most `limit`.
  virtual absl::Status ScanTimers(int64_t up_to_micros, size_t limit,
                                  std::vector<TimerKey>* out) = 0;
  // Timers after `after` (from the first when null), ascending: those due at or before
  // `up_to_micros`, at most `limit`, into `out`; when fewer than `limit` are due, the earliest
  // timer due later goes to `*later` (nullopt when there is none). The engine's timer cursor
  // uses it, so a scan never walks the timers this batch already fired. This default filters
  // ScanTimers; both stores override it.
  virtual absl::Status ScanTimersAfter(const TimerKey* after, int64_t up_to_micros, size_t limit,
                                       std::vector<TimerKey>* out, std::optional<TimerKey>* later) {
    std::vector<TimerKey> all;
    if (absl::Status s = ScanTimers(INT64_MAX, SIZE_MAX, &all); !s.ok()) return s;
    out->clear();
    later->reset();
    for (TimerKey& key : all) {
      if (after != nullptr && !(*after < key)) continue;
      if (out->size() >= limit) break;
      if (key.due_micros > up_to_micros) {
        *later = std::move(key);
        break;
      }
      out->push_back(std::move(key));
    }
    return absl::OkStatus();
  }
  // The earliest armed timer, if any.
  virtual absl::StatusOr<std::optional<TimerKey>> FirstTimer() = 0;
  // Outbox entries in sequence order, at most `limit`.
  virtual absl::Status ScanOutbox(size_t limit,
                                  std::vector<std::pair<uint64_t, v1::OutboxEntry>>* out) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GetProgress(std::string_view name) = 0;
  // Person records in key order, starting after `after` (empty: from the first), at most
  // `limit`. For the query API's overviews; thread-safe for readers in RocksDbStore.
  virtual absl::Status ScanPersons(std::string_view after, size_t limit,
                                   std::vector<v1::PersonState>* out) = 0;
  virtual absl::Status Commit(const Batch& batch) = 0;
  // Commit, allowed to move out of `batch` what the store keeps in memory (RocksDbStore's copy
  // of the outbox) instead of copying it: the engine's batch is discarded after its commit
  // (issue 15: copying every outbox entry was ~7 % of `run`). The caller must treat the
  // batch's outbox entries as gone afterwards, whatever the result.
  virtual absl::Status CommitConsuming(Batch* batch) { return Commit(*batch); }
};

std::unique_ptr<StateStore> NewMemoryStore();

}  // namespace fristvagt::state
