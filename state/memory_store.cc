#include <set>

#include "state/store.h"

namespace fristvagt::state {

namespace {

// The in-memory StateStore: same contract as RocksDB, for unit tests and plain replay.
class MemoryStore : public StateStore {
 public:
  absl::StatusOr<std::optional<v1::PersonState>> GetPerson(std::string_view key) override {
    auto it = persons_.find(std::string(key));
    if (it == persons_.end()) return std::optional<v1::PersonState>();
    return std::optional<v1::PersonState>(it->second);
  }

  static std::optional<v1::PersonState> Parse(const std::string& bytes) {
    v1::PersonState person;
    if (!person.ParseFromString(bytes)) return std::nullopt;
    return person;
  }

  absl::Status ScanTimers(int64_t up_to_micros, size_t limit, std::vector<TimerKey>* out) override {
    out->clear();
    for (const TimerKey& key : timers_) {
      if (key.due_micros > up_to_micros || out->size() >= limit) break;
      out->push_back(key);
    }
    return absl::OkStatus();
  }

  absl::Status ScanTimersAfter(const TimerKey* after, int64_t up_to_micros, size_t limit,
                               std::vector<TimerKey>* out,
                               std::optional<TimerKey>* later) override {
    out->clear();
    later->reset();
    for (auto it = after != nullptr ? timers_.upper_bound(*after) : timers_.begin();
         it != timers_.end() && out->size() < limit; ++it) {
      if (it->due_micros > up_to_micros) {
        *later = *it;
        break;
      }
      out->push_back(*it);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<TimerKey>> FirstTimer() override {
    if (timers_.empty()) return std::optional<TimerKey>();
    return std::optional<TimerKey>(*timers_.begin());
  }

  absl::Status ScanOutbox(size_t limit,
                          std::vector<std::pair<uint64_t, v1::OutboxEntry>>* out) override {
    out->clear();
    for (const auto& [seq, entry] : outbox_) {
      if (out->size() >= limit) break;
      out->emplace_back(seq, entry);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> GetProgress(std::string_view name) override {
    auto it = progress_.find(std::string(name));
    if (it == progress_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  absl::Status ScanPersons(std::string_view after, size_t limit,
                           std::vector<v1::PersonState>* out) override {
    out->clear();
    auto it = after.empty() ? persons_.begin() : persons_.upper_bound(std::string(after));
    for (; it != persons_.end() && out->size() < limit; ++it) out->push_back(it->second);
    return absl::OkStatus();
  }

  absl::Status Commit(const Batch& batch) override {
    for (const auto& [key, person] : batch.persons) {
      if (!person.has_value()) {
        persons_.erase(key);
      } else if (std::optional<v1::PersonState> parsed = Parse(*person)) {
        persons_[key] = *std::move(parsed);
      } else {
        return absl::InvalidArgumentError("a person record in the batch does not parse");
      }
    }
    for (const TimerKey& key : batch.timers_removed) timers_.erase(key);
    for (const TimerKey& key : batch.timers_added) timers_.insert(key);
    for (uint64_t seq : batch.outbox_removed) outbox_.erase(seq);
    for (const auto& [seq, entry] : batch.outbox_added) outbox_[seq] = entry;
    for (const auto& [name, value] : batch.progress) progress_[name] = value;
    return absl::OkStatus();
  }

 private:
  std::map<std::string, v1::PersonState> persons_;
  std::set<TimerKey> timers_;
  std::map<uint64_t, v1::OutboxEntry> outbox_;
  std::map<std::string, std::string> progress_;
};

}  // namespace

std::unique_ptr<StateStore> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace fristvagt::state
