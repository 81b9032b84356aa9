#include "cohort/obligations.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cohort/calendar.h"
#include "google/protobuf/descriptor.h"
#include "state/rocksdb_store.h"

namespace fristvagt::cohort {

namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string PayloadName(const v1::CaseEvent& event) {
  const auto* oneof = v1::CaseEvent::descriptor()->oneof_decl(0);
  const auto* field = event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  return field == nullptr ? "" : std::string(field->name());
}

absl::CivilDay ParseDay(const std::string& text) {
  absl::CivilDay day;
  return absl::ParseCivilTime(text, &day) ? day : absl::CivilDay();
}

// The progress markers holding a store's processing clock: replay's and the Kafka processor's.
constexpr const char* kClockProgress[] = {"replay.clock_micros", "clock_micros"};

absl::Status ReadStore(const std::string& dir, const state::StoreIdentity& identity,
                       ObligationSet* set) {
  absl::StatusOr<std::unique_ptr<state::StateStore>> store =
      state::OpenRocksDbStore(dir, identity);
  if (!store.ok()) return store.status();
  for (const char* name : kClockProgress) {
    absl::StatusOr<std::optional<std::string>> clock = (*store)->GetProgress(name);
    if (!clock.ok()) return clock.status();
    int64_t micros = 0;
    if (clock->has_value() && absl::SimpleAtoi(**clock, &micros)) {
      set->as_of = std::max(set->as_of, absl::FromUnixMicros(micros));
    }
  }
  std::string after;
  std::vector<v1::PersonState> page;
  while (true) {
    page.clear();
    if (absl::Status s = (*store)->ScanPersons(after, 1000, &page); !s.ok()) return s;
    for (const v1::PersonState& person : page) AddPerson(person, set);
    if (page.size() < 1000) return absl::OkStatus();
    after = page.back().person_key();
  }
}

}  // namespace

bool IsSettled(v1::ObligationStatus status) {
  return status == v1::MET || status == v1::MET_LATE || status == v1::BREACHED;
}

bool IsMetInTime(v1::ObligationStatus status) { return status == v1::MET; }

void AddPerson(const v1::PersonState& person, ObligationSet* set) {
  ++set->persons;
  v1::VisitationGroup group = v1::UDDANNELSESPARAT;
  std::map<std::string, EventRef> events;
  for (const v1::CaseEvent& fact : person.facts()) {
    if (fact.has_visitation_decided()) group = fact.visitation_decided().group();
    events[fact.event_id()] = {fact.event_id(), PayloadName(fact), DayOf(ToTime(fact.occurred_at()))};
  }
  for (const v1::ObligationRecord& record : person.obligations()) {
    ObligationFact ob;
    ob.obligation_id = record.obligation_id();
    ob.person_key = person.person_key();
    ob.municipality_code = person.municipality_code();
    ob.caseworker_id = person.caseworker_id();
    ob.rule_id = record.rule_id();
    ob.regime = record.regime();
    ob.legal_ref = record.legal_ref();
    ob.severity = record.severity();
    ob.status = record.status();
    ob.deadline = ParseDay(record.deadline());
    ob.group = group;
    for (const std::string& id : record.cause_event_ids()) {
      auto it = events.find(id);
      ob.causes.push_back(it != events.end() ? it->second : EventRef{id, "", {}});
    }
    set->obligations.push_back(std::move(ob));
  }
}

void AddObligation(const v1::Obligation& obligation, ObligationSet* set) {
  ObligationFact ob;
  ob.obligation_id = obligation.obligation_id();
  ob.person_key = obligation.person_key();
  ob.municipality_code = obligation.municipality_code();
  ob.caseworker_id = obligation.caseworker_id();
  ob.rule_id = obligation.rule_id();
  ob.regime = obligation.regime();
  ob.legal_ref = obligation.legal_ref();
  ob.severity = obligation.severity();
  ob.status = obligation.status();
  ob.deadline = ParseDay(obligation.deadline());
  set->obligations.push_back(std::move(ob));
}

absl::StatusOr<ObligationSet> ReadStateDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError("--state-dir " + dir + " is not a directory");
  ObligationSet set;
  set.source = "state dir " + dir;
  // A replay writes one store into the dir itself.
  if (fs::exists(fs::path(dir) / "CURRENT", ec)) {
    if (absl::Status s = ReadStore(dir, {"replay", 0}, &set); !s.ok()) return s;
    return set;
  }
  // An instance's [state] dir: one store per input partition, named <topic>-<partition>.
  std::vector<fs::path> stores;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "CURRENT")) stores.push_back(entry.path());
  }
  if (ec) return absl::UnavailableError("cannot list --state-dir " + dir + ": " + ec.message());
  if (stores.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "--state-dir ", dir, " holds no state: neither a replay's store nor an instance's "
        "<topic>-<partition> stores"));
  }
  std::sort(stores.begin(), stores.end());
  for (const fs::path& path : stores) {
    const std::string name = path.filename().string();
    const size_t dash = name.rfind('-');
    int partition = 0;
    if (dash == std::string::npos || !absl::SimpleAtoi(name.substr(dash + 1), &partition)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": not a <topic>-<partition> store"));
    }
    if (absl::Status s = ReadStore(path.string(), {name.substr(0, dash), partition}, &set);
        !s.ok()) {
      return s;
    }
  }
  return set;
}

}  // namespace fristvagt::cohort
