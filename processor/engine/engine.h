#pragma once
// The processing engine shared by `replay` and `run`: applies decoded events and fired timers
// to the state store through the rules, and queues the resulting alerts, obligation records
// and dead letters in the store's outbox. It never reads the wall clock: the caller passes the
// processing clock. One engine per input partition, used by that partition's thread only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "alerts/alert_factory.h"
#include "processor/engine/person_cache.h"
#include "proto/case_event.pb.h"
#include "proto/state.pb.h"
#include "rules/evaluator.h"
#include "rules/regime.h"
#include "state/store.h"

namespace fristvagt::processor {

// Logical outbox topics (proto/state.proto); the Kafka layer maps them to configured names.
inline constexpr v1::OutboxTopic kAlertsTopic = v1::OUTBOX_ALERTS;
inline constexpr v1::OutboxTopic kObligationsTopic = v1::OUTBOX_OBLIGATIONS;
inline constexpr v1::OutboxTopic kDeadLetterTopic = v1::OUTBOX_DEAD_LETTERS;
inline constexpr v1::OutboxTopic kChangelogTopic = v1::OUTBOX_CHANGELOG;
// Changelog keys for progress markers start with a NUL byte, which no person key can contain.
inline constexpr char kChangelogProgressPrefix = '\0';

struct EngineOptions {
  alerts::Language language = alerts::Language::kDanish;
  absl::Duration late_course_window = absl::Hours(24 * 7);
  bool emit_obligation_records = false;  // the obligations topic (Kafka), not replay output
  bool emit_changelog = false;           // state changes for the compacted changelog (Kafka)
  size_t max_batch_persons = 4096;       // commit when the batch touches this many persons
  // A fired timer re-evaluates only the rules of the person's obligations due by then
  // (rules::RuleSelection says why that is exact); false: every rule, as an event does.
  bool evaluate_fired_rules_only = true;
  // Persons kept parsed between batches (processor/engine/person_cache.h); about 4 KiB each
  // (replay_bench, 20,000 persons: peak RSS 175 -> 253 MiB).
  size_t cached_persons = 20000;
  // With obligation records: a closed obligation's record is tombstoned this long after the
  // person's course ended (benefit_ended).
  absl::Duration obligation_retention = absl::Hours(24 * 90);
  // A safeguard of the state, not a legal rule: the events one person may have kept (the ids
  // remembered for re-delivery, which every applied event adds to). Beyond it every further
  // event of that person is dead-lettered TOO_MANY_EVENTS instead of growing the stored
  // person (and each re-evaluation) without bound; person_erased still applies. Must be > 0.
  size_t max_events_per_person = 10000;
};

struct EngineCounters {
  uint64_t events_applied = 0;
  uint64_t events_redelivered = 0;
  uint64_t events_parked = 0;
  uint64_t timers_fired = 0;
  uint64_t alerts_raised = 0;
  uint64_t dead_letters = 0;
  uint64_t events_over_person_limit = 0;  // dead-lettered TOO_MANY_EVENTS (also in dead_letters)
};

class Engine {
 public:
  Engine(const rules::Catalog& catalog, state::StateStore* store, EngineOptions options);

  // Applies one valid event at processing time `now`. `source_position` names where it came
  // from ("line 17", "case-events/3@1234") for a later NO_COURSE dead letter.
  absl::Status ApplyEvent(const v1::CaseEvent& event, absl::Time now,
                          const std::string& source_position);
  // Fires every timer due at or before `until`, in due order, each at its own moment.
  absl::Status FireTimersUpTo(absl::Time until);
  // Queues a dead letter (bad input found by the decoder) in the outbox of this batch.
  void DeadLetter(const std::string& raw, const std::string& code, const std::string& message,
                  const std::string& source_position, const std::string& key = "",
                  const std::map<std::string, std::string>& extra_headers = {});
  // Queues an alert built outside the engine (the morning DIGEST) under `key`.
  void EnqueueAlert(const v1::Alert& alert, const std::string& key);
  // Records a progress marker (input position, clock) in the current batch.
  void SetProgress(const std::string& name, const std::string& value);
  // Commits the current batch atomically. Fails, committing nothing, once the engine is
  // broken (a read it cannot do without failed); the caller must stop using this partition.
  absl::Status Flush();
  // OK until a read the engine cannot do without failed.
  const absl::Status& broken() const { return broken_; }

  const EngineCounters& counters() const { return counters_; }

  // The timer a stored person has armed (state format 2: at most one, at its earliest
  // moment, with an empty obligation id); restoring a store from the changelog re-creates the
  // timer index from the person records with this.
  static std::vector<state::TimerKey> ArmedTimers(const v1::PersonState& person);
  state::StateStore* store() { return store_; }

 private:
  absl::StatusOr<v1::PersonState*> LoadPerson(const std::string& key);
  absl::Status Reevaluate(v1::PersonState* person, absl::Time now,
                          rules::RuleSelection* only = nullptr);
  absl::Status FireTimer(const state::TimerKey& key);
  absl::Status ApplyNewEvent(v1::PersonState* person, const v1::CaseEvent& event, absl::Time now,
                             const std::string& source_position);
  void SyncTimer(const v1::PersonState& person, int64_t armed);
  void ApplyView(v1::PersonState* person, const rules::ObligationView* view,
                 v1::ObligationRecord* record, absl::Time now);
  void Erase(const std::string& key, const v1::PersonState& person);
  void RetireClosedObligations(v1::PersonState* person,
                               const std::vector<const v1::CaseEvent*>& facts, absl::Time now);
  void RefuseOverLimit(const v1::PersonState& person, const v1::CaseEvent& event,
                       const std::string& source_position);
  void Park(v1::PersonState* person, const v1::CaseEvent& event, absl::Time now,
            const std::string& source_position);
  void ExpireParked(v1::PersonState* person, absl::Time now);
  void Enqueue(v1::OutboxTopic topic, const std::string& key, const std::string& value,
               const std::string& person_key, std::map<std::string, std::string> headers = {},
               bool to_input_partition = false);
  void EnqueueChangelog();
  static void ArmTimer(v1::ObligationRecord* record, absl::Time next);

  const rules::Catalog& catalog_;
  state::StateStore* store_;
  // The event being applied changed the person's caseworker: Reevaluate republishes every
  // record still on a caseworker's list. Reset when that Reevaluate ends.
  bool republish_records_ = false;
  EngineOptions options_;
  EngineCounters counters_;
  state::Batch batch_;
  PersonCache persons_;
  // The timer cursor: every store timer at or below it has fired or is disarmed (committed or
  // in batch_), so scans start above it instead of walking them again on every clock move.
  std::optional<state::TimerKey> timers_done_;
  // The earliest store timer above the cursor, when known (nullopt: none): no scan at all
  // while the clock stays below it.
  bool store_next_timer_known_ = false;
  std::optional<state::TimerKey> store_next_timer_;
  void Break(absl::Status status);

  uint64_t next_outbox_seq_ = 0;
  bool outbox_seq_loaded_ = false;
  absl::Status broken_;  // the first failure that made this engine unusable
};

}  // namespace fristvagt::processor
