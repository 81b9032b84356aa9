#pragma once
// A StateStore that fails on cue, in the spirit of RocksDB's FaultInjectionTestFS: it forwards
// to a real store until a test arms a fault, then fails the chosen read or write with an
// IOError (or returns a value the caller cannot use). For the fault-injection tests of the
// engine and the Kafka processor: a failed read must stop the partition, never make it guess.

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "state/store.h"

namespace fristvagt::testing {

class FaultyStore : public state::StateStore {
 public:
  explicit FaultyStore(std::unique_ptr<state::StateStore> base) : base_(std::move(base)) {}

  // Faults; each stays armed until cleared.
  std::set<std::string> fail_progress;     // GetProgress of these names fails
  std::set<std::string> garble_progress;   // GetProgress of these names returns "garbled"
  std::atomic<bool> fail_commit{false};
  std::atomic<bool> fail_get_person{false};
  std::atomic<int> commits{0};  // commits that reached the base store

  absl::StatusOr<std::optional<v1::PersonState>> GetPerson(std::string_view key) override {
    if (fail_get_person) return absl::UnavailableError("injected: GetPerson failed");
    return base_->GetPerson(key);
  }
  absl::StatusOr<bool> ReadPerson(std::string_view key, v1::PersonState* into) override {
    if (fail_get_person) return absl::UnavailableError("injected: ReadPerson failed");
    return base_->ReadPerson(key, into);
  }
  absl::StatusOr<std::optional<std::string>> GetPersonRecord(std::string_view key) override {
    if (fail_get_person) return absl::UnavailableError("injected: GetPersonRecord failed");
    return base_->GetPersonRecord(key);
  }
  absl::Status ScanTimers(int64_t up_to_micros, size_t limit,
                          std::vector<state::TimerKey>* out) override {
    return base_->ScanTimers(up_to_micros, limit, out);
  }
  absl::Status ScanTimersAfter(const state::TimerKey* after, int64_t up_to_micros, size_t limit,
                               std::vector<state::TimerKey>* out,
                               std::optional<state::TimerKey>* later) override {
    return base_->ScanTimersAfter(after, up_to_micros, limit, out, later);
  }
  absl::StatusOr<std::optional<state::TimerKey>> FirstTimer() override {
    return base_->FirstTimer();
  }
  absl::Status ScanOutbox(size_t limit,
                          std::vector<std::pair<uint64_t, v1::OutboxEntry>>* out) override {
    return base_->ScanOutbox(limit, out);
  }
  absl::StatusOr<std::optional<std::string>> GetProgress(std::string_view name) override {
    if (fail_progress.count(std::string(name)) > 0) {
      return absl::UnavailableError(std::string("injected: GetProgress(") + std::string(name) + ") failed");
    }
    if (garble_progress.count(std::string(name)) > 0) {
      return std::optional<std::string>("garbled");
    }
    return base_->GetProgress(name);
  }
  absl::Status ScanPersons(std::string_view after, size_t limit,
                           std::vector<v1::PersonState>* out) override {
    return base_->ScanPersons(after, limit, out);
  }
  absl::Status Commit(const state::Batch& batch) override {
    if (fail_commit) return absl::UnavailableError("injected: Commit failed");
    absl::Status s = base_->Commit(batch);
    if (s.ok()) ++commits;
    return s;
  }
  absl::Status CommitConsuming(state::Batch* batch) override {
    if (fail_commit) return absl::UnavailableError("injected: Commit failed");
    absl::Status s = base_->CommitConsuming(batch);
    if (s.ok()) ++commits;
    return s;
  }

  state::StateStore* base() { return base_.get(); }

 private:
  std::unique_ptr<state::StateStore> base_;
};

}  // namespace fristvagt::testing
