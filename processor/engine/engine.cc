#include "processor/engine/engine.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "processor/input/event_decoder.h"
#include "rules/course.h"

namespace fristvagt::processor {

namespace {

constexpr char kOutboxSeqProgress[] = "outbox_seq";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

bool Contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The person's one timer in the index (state format 2): the earliest of its obligations' next
// moments and its parked events' expiries; 0 = none. One entry per person instead of one per
// obligation moment: a re-evaluation that moves several deadlines writes one timer, not
// several (issue 15: timer adds and deletes were 4.7 of 7.4 memtable entries per event).
int64_t EarliestTimer(const v1::PersonState& person) {
  int64_t earliest = 0;
  auto take = [&earliest](int64_t micros) {
    if (micros != 0 && (earliest == 0 || micros < earliest)) earliest = micros;
  };
  for (const v1::ObligationRecord& record : person.obligations()) take(record.next_timer_micros());
  for (const v1::ParkedEvent& parked : person.parked()) take(parked.expires_micros());
  return earliest;
}

bool HasCourse(const v1::PersonState& person) {
  return std::any_of(person.facts().begin(), person.facts().end(),
                     [](const v1::CaseEvent& e) { return e.has_first_contact(); });
}

}  // namespace

Engine::Engine(const rules::Catalog& catalog, state::StateStore* store, EngineOptions options)
    : catalog_(catalog), store_(store), options_(options), persons_(options.cached_persons) {}

absl::StatusOr<v1::PersonState*> Engine::LoadPerson(const std::string& key) {
  if (v1::PersonState* cached = persons_.FindForUpdate(key)) return cached;
  // Read into a recycled message (person_cache.h), not a new one.
  return persons_.InsertDirtyFilled(key, [&](v1::PersonState* person) -> absl::Status {
    // Until Flush, the batch's person entries are erasures: an erased person starts empty.
    if (!batch_.persons.contains(key)) {
      absl::StatusOr<bool> found = store_->ReadPerson(key, person);
      if (!found.ok()) return found.status();
    }
    person->set_person_key(key);
    return absl::OkStatus();
  });
}

absl::Status Engine::ApplyEvent(const v1::CaseEvent& event, absl::Time now,
                                const std::string& source_position) {
  if (!broken_.ok()) return broken_;
  republish_records_ = false;  // an earlier event may have set it without re-evaluating
  absl::StatusOr<v1::PersonState*> loaded = LoadPerson(event.person_key());
  if (!loaded.ok()) return loaded.status();
  v1::PersonState* person = *loaded;
  if (event.has_person_erased()) {
    // Pending messages about the person already committed leave too; an outbox that cannot
    // be read fails the erasure rather than leaving them behind.
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> stored;
    if (absl::Status s = store_->ScanOutbox(SIZE_MAX, &stored); !s.ok()) return s;
    Erase(event.person_key(), *person);
    for (const auto& [seq, entry] : stored) {
      if (entry.person_key() == event.person_key()) batch_.outbox_removed.push_back(seq);
    }
    ++counters_.events_applied;
    return absl::OkStatus();
  }
  if (Contains(person->seen_event_ids(), event.event_id())) {
    ++counters_.events_redelivered;
    return absl::OkStatus();
  }
  if (static_cast<size_t>(person->seen_event_ids_size()) >= options_.max_events_per_person) {
    RefuseOverLimit(*person, event, source_position);
    return broken_;
  }
  const int64_t armed = EarliestTimer(*person);
  absl::Status status = ApplyNewEvent(person, event, now, source_position);
  SyncTimer(*person, armed);
  return status;
}

// The timer index follows the person's earliest moment: `armed` is the one it had before.
void Engine::SyncTimer(const v1::PersonState& person, int64_t armed) {
  const int64_t earliest = EarliestTimer(person);
  if (earliest == armed) return;
  if (armed != 0) batch_.RemoveTimer({armed, person.person_key(), ""});
  if (earliest != 0) batch_.AddTimer({earliest, person.person_key(), ""});
}

absl::Status Engine::ApplyNewEvent(v1::PersonState* person, const v1::CaseEvent& event,
                                   absl::Time now, const std::string& source_position) {
  person->add_seen_event_ids(event.event_id());
  person->set_municipality_code(event.municipality_code());
  // A new caseworker must reach every record on the obligations topic (issue 14: stale
  // task-list records), not only those whose status changes: see ApplyView.
  republish_records_ =
      !event.caseworker_id().empty() && event.caseworker_id() != person->caseworker_id();
  if (!event.caseworker_id().empty()) person->set_caseworker_id(event.caseworker_id());
  ++counters_.events_applied;

  if (event.has_registration_voided()) {
    const std::string& voided = event.registration_voided().voided_event_id();
    if (!Contains(person->seen_event_ids(), voided)) person->add_seen_event_ids(voided);
    auto* facts = person->mutable_facts();
    facts->erase(std::remove_if(facts->begin(), facts->end(),
                                [&](const v1::CaseEvent& e) { return e.event_id() == voided; }),
                 facts->end());
    auto* parked = person->mutable_parked();
    for (int i = parked->size() - 1; i >= 0; --i) {
      if (parked->Get(i).event().event_id() == voided) parked->DeleteSubrange(i, 1);
    }
    return Reevaluate(person, now);
  }
  if (!event.has_first_contact() && !HasCourse(*person)) {
    Park(person, event, now, source_position);
    return absl::OkStatus();
  }
  *person->add_facts() = event;
  if (event.has_first_contact()) {
    for (const v1::ParkedEvent& parked : person->parked()) *person->add_facts() = parked.event();
    person->clear_parked();
  }
  return Reevaluate(person, now);
}

// The person is left as it is: the event is neither a fact nor remembered as seen, so a
// re-delivery of it is refused the same way.
void Engine::RefuseOverLimit(const v1::PersonState& person, const v1::CaseEvent& event,
                             const std::string& source_position) {
  ++counters_.events_over_person_limit;
  DeadLetter(EventToJson(event), "TOO_MANY_EVENTS",
             absl::StrCat("this person already has ", person.seen_event_ids_size(),
                          " events, the most [input] max_events_per_person allows"),
             source_position);
  // As NO_COURSE: it carries the person's event, so person_erased must find it in the outbox.
  if (broken_.ok()) batch_.outbox_added.back().second.set_person_key(person.person_key());
}

void Engine::Park(v1::PersonState* person, const v1::CaseEvent& event, absl::Time now,
                  const std::string& source_position) {
  v1::ParkedEvent* parked = person->add_parked();
  *parked->mutable_event() = event;
  parked->set_expires_micros(Micros(now + options_.late_course_window));
  parked->set_source_position(source_position);
  ++counters_.events_parked;
}

void Engine::ExpireParked(v1::PersonState* person, absl::Time now) {
  auto* parked = person->mutable_parked();
  for (int i = parked->size() - 1; i >= 0; --i) {
    const v1::ParkedEvent& entry = parked->Get(i);
    if (entry.expires_micros() > Micros(now)) continue;
    DeadLetter(EventToJson(entry.event()), "NO_COURSE",
               "no first_contact for this person arrived within late_course_window",
               entry.source_position());
    // The dead letter carries the person's event: person_erased must find it in the outbox.
    batch_.outbox_added.back().second.set_person_key(person->person_key());
    parked->DeleteSubrange(i, 1);
  }
}

void Engine::Erase(const std::string& key, const v1::PersonState& person) {
  if (const int64_t armed = EarliestTimer(person); armed != 0) batch_.RemoveTimer({armed, key, ""});
  std::vector<std::string> obligation_ids;
  for (const v1::ObligationRecord& record : person.obligations()) {
    obligation_ids.push_back(record.obligation_id());
  }
  persons_.Erase(key);  // `person` is gone from here on
  batch_.persons[key] = std::nullopt;
  // Pending messages about the person leave with them (this batch's; ApplyEvent removes the
  // stored outbox's).
  auto& added = batch_.outbox_added;
  added.erase(std::remove_if(added.begin(), added.end(),
                             [&](const auto& entry) { return entry.second.person_key() == key; }),
              added.end());
  // The compacted obligations topic forgets the person's records too. The tombstones carry no
  // person key (neither in the key nor in the value), so the outbox clean-up above and
  // ApplyEvent's leave them in place.
  if (options_.emit_obligation_records) {
    for (const std::string& id : obligation_ids) Enqueue(kObligationsTopic, id, "", "");
  }
}

absl::Status Engine::Reevaluate(v1::PersonState* person, absl::Time now,
                                rules::RuleSelection* only) {
  std::vector<const v1::CaseEvent*> facts;
  facts.reserve(person->facts_size());
  for (const v1::CaseEvent& event : person->facts()) facts.push_back(&event);
  const std::vector<rules::ObligationView> views =
      rules::Evaluate(person->person_key(), facts, catalog_, now, only);
  // Sorted vectors of views into the records' and the views' own ids, not string maps: a
  // person has a handful of obligations, and the maps' nodes and copies were ~6 % of replay
  // (issue 15). Record ids are not changed below, so the views stay valid.
  std::vector<std::pair<std::string_view, int>> index;
  index.reserve(person->obligations_size());
  for (int i = 0; i < person->obligations_size(); ++i) {
    index.emplace_back(person->obligations(i).obligation_id(), i);
  }
  std::stable_sort(index.begin(), index.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // The last record with the id, as the map this replaced kept it.
  auto find = [&index](std::string_view id) -> int {
    auto it = std::upper_bound(index.begin(), index.end(), id,
                               [](std::string_view key, const auto& e) { return key < e.first; });
    if (it == index.begin() || std::prev(it)->first != id) return -1;
    return std::prev(it)->second;
  };
  // Each view's id as text once (the evaluator keeps it as two hash lanes).
  std::vector<std::string> present;
  present.reserve(views.size());
  for (const rules::ObligationView& view : views) {
    present.push_back(view.obligation_id.str());
    const std::string& id = present.back();
    v1::ObligationRecord* record;
    if (const int at = find(id); at >= 0) {
      record = person->mutable_obligations(at);
    } else {
      record = person->add_obligations();
      record->set_obligation_id(id);
    }
    ApplyView(person, &view, record, now);
  }
  std::sort(present.begin(), present.end());
  for (v1::ObligationRecord& record : *person->mutable_obligations()) {
    if (std::binary_search(present.begin(), present.end(), record.obligation_id())) continue;
    if (only != nullptr && !only->Covers(record.regime(), record.rule_id())) continue;
    if (record.status() == v1::WAIVED && !record.breach_outstanding() &&
        record.next_timer_micros() == 0) {
      continue;
    }
    ApplyView(person, nullptr, &record, now);
  }
  if (options_.emit_obligation_records) RetireClosedObligations(person, facts, now);
  republish_records_ = false;
  return absl::OkStatus();
}

// Retention on the compacted obligations topic: once the person's latest course has ended
// (benefit_ended) and the retention period has passed, every obligation that is no longer
// open gets a tombstone. Until then one timer (on the first such obligation) waits for that
// moment. Open obligations (education ones survive benefit_ended) stay.
void Engine::RetireClosedObligations(v1::PersonState* person,
                                     const std::vector<const v1::CaseEvent*>& facts,
                                     absl::Time now) {
  const std::vector<rules::Fact> all = rules::MakeFacts(facts);
  const std::vector<rules::Course> courses = rules::SplitCourses(all);
  if (courses.empty() || courses.back().BenefitEnd() == nullptr) return;
  const absl::Time retire_at =
      courses.back().BenefitEnd()->occurred + options_.obligation_retention;
  bool timer_armed = false;
  for (v1::ObligationRecord& record : *person->mutable_obligations()) {
    if (record.status() == v1::OPEN || record.retired()) continue;
    if (now >= retire_at) {
      Enqueue(kObligationsTopic, record.obligation_id(), "", "");
      record.set_retired(true);
    } else if (!timer_armed) {
      // Firing re-evaluates the person and re-arms whatever else the record needs.
      if (record.next_timer_micros() == 0 || record.next_timer_micros() > Micros(retire_at)) {
        ArmTimer(&record, retire_at);
      }
      timer_armed = true;
    }
  }
}

void Engine::ApplyView(v1::PersonState* person, const rules::ObligationView* view,
                       v1::ObligationRecord* record, absl::Time now) {
  const v1::ObligationStatus before = record->status();
  const std::vector<alerts::Transition> transitions = alerts::Diff(view, now, record);
  const rules::RuleSpec* rule =
      view != nullptr ? view->rule : catalog_.FindRule(record->regime(), record->rule_id());
  for (const alerts::Transition& transition : transitions) {
    alerts::AlertInput input{
        transition, *record, *person, rule, view != nullptr ? view->missing : "", now};
    const v1::Alert alert = alerts::BuildAlert(input, options_.language);
    record->set_alert_seq(record->alert_seq() + 1);
    Enqueue(kAlertsTopic, person->person_key(), alert.SerializeAsString(), person->person_key(),
            {{"fristvagt.municipality", alert.municipality_code()},
             {"fristvagt.caseworker", alert.caseworker_id()},
             {"fristvagt.rule", alert.rule_id()},
             {"fristvagt.kind", v1::AlertKind_Name(alert.kind())}});
    ++counters_.alerts_raised;
  }
  // Republished also when the person's caseworker changed and the record is still on some
  // caseworker's list (open, or a breach not yet resolved).
  const bool on_a_list = record->status() == v1::OPEN || record->breach_outstanding();
  if (options_.emit_obligation_records &&
      (before != record->status() || !transitions.empty() || (republish_records_ && on_a_list))) {
    const v1::Obligation ob = alerts::BuildObligation(*record, *person, rule, options_.language);
    record->set_retired(false);  // back on the topic, so retention applies again
    Enqueue(kObligationsTopic, record->obligation_id(), ob.SerializeAsString(),
            person->person_key());
  }
  ArmTimer(record, view != nullptr ? rules::NextMoment(*view, now) : absl::InfiniteFuture());
}

// The record's own next moment; the person's one timer follows in SyncTimer.
void Engine::ArmTimer(v1::ObligationRecord* record, absl::Time next) {
  record->set_next_timer_micros(next == absl::InfiniteFuture() ? 0 : Micros(next));
}

// Fires the person's timer: everything of the person due at its moment, as the per-obligation
// timers of format 1 did one by one (so the output is the same,
// tests/processor/engine/store_path_comparison_test.cc): obligations first, in obligation id order (their ids sorted
// before "parked:"), each firing re-evaluating the rules of the obligations due by then, then
// the parked events that expired.
absl::Status Engine::FireTimer(const state::TimerKey& key) {
  absl::StatusOr<v1::PersonState*> loaded = LoadPerson(key.person_key);
  if (!loaded.ok()) return loaded.status();
  v1::PersonState* person = *loaded;
  const absl::Time at = absl::FromUnixMicros(key.due_micros);
  const int64_t armed = EarliestTimer(*person);
  batch_.RemoveTimer(key);
  // A person whose timer is not the fired one (never, while the index follows EarliestTimer)
  // still ends with exactly its own.
  if (armed != key.due_micros && armed != 0) batch_.RemoveTimer({armed, key.person_key, ""});
  while (true) {
    v1::ObligationRecord* first = nullptr;
    for (v1::ObligationRecord& record : *person->mutable_obligations()) {
      if (record.next_timer_micros() == 0 || record.next_timer_micros() > key.due_micros) continue;
      if (first == nullptr || record.next_timer_micros() < first->next_timer_micros() ||
          (record.next_timer_micros() == first->next_timer_micros() &&
           record.obligation_id() < first->obligation_id())) {
        first = &record;
      }
    }
    if (first == nullptr) break;
    ++counters_.timers_fired;
    // The rules of every obligation due by now: a full evaluation would handle those of other
    // rules due at the same moment in this pass too, in catalog order.
    rules::RuleSelection due;
    for (const v1::ObligationRecord& record : person->obligations()) {
      if (&record == first ||
          (record.next_timer_micros() != 0 && record.next_timer_micros() <= key.due_micros)) {
        due.Add(record.regime(), record.rule_id());
      }
    }
    first->set_next_timer_micros(0);
    const absl::Status status = options_.evaluate_fired_rules_only
                                    ? Reevaluate(person, at, &due)
                                    : Reevaluate(person, at);
    if (!status.ok()) return status;
  }
  if (std::any_of(person->parked().begin(), person->parked().end(),
                  [&](const v1::ParkedEvent& p) { return p.expires_micros() <= key.due_micros; })) {
    ++counters_.timers_fired;
    ExpireParked(person, at);
  }
  if (const int64_t next = EarliestTimer(*person); next != 0) {
    batch_.AddTimer({next, key.person_key, ""});
  }
  return absl::OkStatus();
}

// Fires in due order the timers of the store (minus those this batch already disarmed) merged
// with those this batch armed, without committing: a commit per clock move would dominate
// replay. It commits only to bound the batch. Store timers are read from the cursor
// (timers_done_) up, and not at all while the clock is below the next store timer.
absl::Status Engine::FireTimersUpTo(absl::Time until) {
  if (!broken_.ok()) return broken_;
  const int64_t until_micros = Micros(until);
  constexpr size_t kChunk = 256;
  auto batch_due = [&]() -> const state::TimerKey* {
    if (batch_.timers_added.empty() || batch_.timers_added.begin()->due_micros > until_micros) {
      return nullptr;
    }
    return &*batch_.timers_added.begin();
  };
  std::vector<state::TimerKey> due;
  while (true) {
    if (persons_.dirty() >= options_.max_batch_persons) {
      if (absl::Status s = Flush(); !s.ok()) return s;
    }
    due.clear();
    const bool store_may_be_due =
        !store_next_timer_known_ ||
        (store_next_timer_.has_value() && store_next_timer_->due_micros <= until_micros);
    if (store_may_be_due) {
      std::optional<state::TimerKey> later;
      if (absl::Status s = store_->ScanTimersAfter(timers_done_ ? &*timers_done_ : nullptr,
                                                   until_micros, kChunk, &due, &later);
          !s.ok()) {
        return s;
      }
      store_next_timer_known_ = due.size() < kChunk;
      store_next_timer_ = std::move(later);
    }
    const bool chunk_full = due.size() == kChunk;
    for (const state::TimerKey& key : due) {
      // A timer armed by this batch that falls before this one fires first.
      while (const state::TimerKey* armed = batch_due()) {
        if (!(*armed < key)) break;
        const state::TimerKey copy = *armed;
        if (absl::Status s = FireTimer(copy); !s.ok()) return s;
      }
      timers_done_ = key;
      if (batch_.timers_removed.count(key) > 0) continue;  // disarmed in this batch
      if (absl::Status s = FireTimer(key); !s.ok()) return s;
    }
    // Armed here and due, beyond what the store holds (only below a chunk that was complete).
    while (const state::TimerKey* armed = batch_due()) {
      if (chunk_full && !(*armed < due.back())) break;
      const state::TimerKey copy = *armed;
      if (absl::Status s = FireTimer(copy); !s.ok()) return s;
    }
    if (!chunk_full) return absl::OkStatus();
  }
}

void Engine::DeadLetter(const std::string& raw, const std::string& code, const std::string& message,
                        const std::string& source_position, const std::string& key,
                        const std::map<std::string, std::string>& extra_headers) {
  ++counters_.dead_letters;
  std::map<std::string, std::string> headers = extra_headers;
  headers["fristvagt.error.code"] = code;
  headers["fristvagt.error.message"] = message;
  headers["fristvagt.source.position"] = source_position;
  Enqueue(kDeadLetterTopic, key, raw, "", std::move(headers));
}

std::vector<state::TimerKey> Engine::ArmedTimers(const v1::PersonState& person) {
  std::vector<state::TimerKey> timers;
  if (const int64_t armed = EarliestTimer(person); armed != 0) {
    timers.push_back({armed, person.person_key(), ""});
  }
  return timers;
}

// The changelog carries every person written by the batch (a tombstone for an erased one) and
// the batch's progress markers, so another instance can rebuild this partition's store.
void Engine::EnqueueChangelog() {
  for (const auto& [key, person] : batch_.persons) {
    Enqueue(kChangelogTopic, key, "", person.has_value() ? key : "", {},
            /*to_input_partition=*/true);
    // A written person goes out as the record the store holds then; an erased one as a
    // tombstone (its empty value).
    batch_.outbox_added.back().second.set_value_is_person(person.has_value());
  }
  for (const auto& [name, value] : batch_.progress) {
    if (name == kOutboxSeqProgress) continue;
    Enqueue(kChangelogTopic, std::string(1, kChangelogProgressPrefix) + name, value, "", {},
            /*to_input_partition=*/true);
  }
}

void Engine::EnqueueAlert(const v1::Alert& alert, const std::string& key) {
  Enqueue(kAlertsTopic, key, alert.SerializeAsString(), alert.person_key(),
          {{"fristvagt.municipality", alert.municipality_code()},
           {"fristvagt.caseworker", alert.caseworker_id()},
           {"fristvagt.kind", v1::AlertKind_Name(alert.kind())}});
  ++counters_.alerts_raised;
}

void Engine::SetProgress(const std::string& name, const std::string& value) {
  batch_.progress[name] = value;
}

void Engine::Enqueue(v1::OutboxTopic topic, const std::string& key, const std::string& value,
                     const std::string& person_key, std::map<std::string, std::string> headers,
                     bool to_input_partition) {
  if (!outbox_seq_loaded_) {
    // Numbering from a guess would overwrite entries still waiting to be sent (lost alerts):
    // a failed or unreadable read breaks the engine, and Flush refuses to commit anything.
    absl::StatusOr<std::optional<std::string>> stored = store_->GetProgress(kOutboxSeqProgress);
    uint64_t seq = 0;
    if (!stored.ok()) {
      Break(absl::Status(stored.status().code(),
                         absl::StrCat("reading the outbox sequence: ", stored.status().message())));
      return;
    }
    if (stored->has_value() && !absl::SimpleAtoi(**stored, &seq)) {
      Break(absl::DataLossError(
          absl::StrCat("the stored outbox sequence is not a number: '", **stored, "'")));
      return;
    }
    next_outbox_seq_ = seq;
    outbox_seq_loaded_ = true;
  }
  if (!broken_.ok()) return;
  v1::OutboxEntry entry;
  entry.set_topic(topic);
  entry.set_key(key);
  entry.set_value(value);
  entry.set_person_key(person_key);
  entry.set_to_input_partition(to_input_partition);
  for (auto& [name, header] : headers) (*entry.mutable_headers())[name] = header;
  batch_.outbox_added.emplace_back(next_outbox_seq_++, std::move(entry));
  batch_.progress[kOutboxSeqProgress] = std::to_string(next_outbox_seq_);
}

void Engine::Break(absl::Status status) {
  if (broken_.ok()) broken_ = std::move(status);
}

absl::Status Engine::Flush() {
  // A broken engine commits nothing: the store keeps the last good batch, and a restart
  // resumes from it.
  if (!broken_.ok()) return broken_;
  persons_.FlushDirty([this](const std::string& key, const v1::PersonState& person) {
    batch_.PutPerson(key, person);
  });
  if (batch_.empty()) return absl::OkStatus();
  if (options_.emit_changelog) EnqueueChangelog();
  absl::Status status = store_->CommitConsuming(&batch_);  // batch_ is reset below
  if (!status.ok()) persons_.Clear();  // the cache may hold what the store did not take
  if (!batch_.timers_added.empty()) {
    // Timers reach the store now: one armed below the cursor (the clock moved back) resets
    // it; one before the next known store timer becomes the next.
    const state::TimerKey& lowest = *batch_.timers_added.begin();
    if (timers_done_.has_value() && !(*timers_done_ < lowest)) {
      timers_done_.reset();
      store_next_timer_known_ = false;
    }
    if (store_next_timer_known_ && (!store_next_timer_ || lowest < *store_next_timer_)) {
      store_next_timer_ = lowest;
    }
  }
  if (!status.ok()) {  // what the store holds is unknown: read it from the start again
    timers_done_.reset();
    store_next_timer_known_ = false;
  }
  batch_ = state::Batch();
  return status;
}

}  // namespace fristvagt::processor
