#include "alerts/transitions.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "alerts/iso_text.h"
#include "rules/civil_time.h"

namespace fristvagt::alerts {

namespace {

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

bool ReminderSent(const v1::ObligationRecord& record, absl::Time at) {
  const auto& sent = record.reminders_sent_micros();
  return std::find(sent.begin(), sent.end(), Micros(at)) != sent.end();
}

// Only the latest passed reminder is sent: after a late registration one reminder is
// useful, a burst of stale ones is noise.
void AddReminder(const rules::ObligationView& view, absl::Time now, v1::ObligationRecord* record,
                 std::vector<Transition>* out) {
  const absl::Time* latest = nullptr;
  for (const absl::Time& at : view.reminders) {
    if (at > now || at >= view.due_at || ReminderSent(*record, at)) continue;
    record->add_reminders_sent_micros(Micros(at));
    latest = &at;
  }
  if (latest != nullptr) out->push_back({v1::REMINDER, *latest});
}

// The record's deadline as rules::FormatIsoDate writes it (alerts/iso_text.h says why by hand),
// stored only when it changed.
void SetDeadline(absl::CivilDay day, v1::ObligationRecord* record) {
  const int64_t year = day.year();
  if (year < 0 || year > 9999) {
    record->set_deadline(rules::FormatIsoDate(day));
    return;
  }
  char text[10];
  WriteIsoDate(text, year, day.month(), day.day());
  const std::string_view formatted(text, sizeof(text));
  if (record->deadline() != formatted) record->set_deadline(std::string(formatted));
}

}  // namespace

std::vector<Transition> Diff(const rules::ObligationView* view, absl::Time now,
                             v1::ObligationRecord* record) {
  std::vector<Transition> out;
  const v1::ObligationStatus status = view == nullptr ? v1::WAIVED : view->status;
  const bool is_check = view != nullptr && view->reports_missing;
  const bool breach_standing = record->breach_outstanding() || record->breach_resolved();
  if (status == v1::MET_LATE && !breach_standing && view != nullptr && now >= view->due_at) {
    // First seen already met late (the trigger was registered late): the deadline was still
    // missed, and the audit trail says so — a breach, resolved at once.
    out.push_back({is_check ? v1::MISSING : v1::BREACH, view->due_at});
    record->set_breach_outstanding(true);
    record->set_breach_was_missing(is_check);
  }
  if (status == v1::BREACHED && !record->breach_outstanding()) {
    out.push_back({is_check ? v1::MISSING : v1::BREACH, view->due_at});
    record->set_breach_outstanding(true);
    record->set_breach_resolved(false);
    record->set_breach_was_missing(is_check);
  } else if (status == v1::MET_LATE && record->breach_outstanding()) {
    out.push_back({v1::RESOLVED, now});
    record->set_breach_outstanding(false);
    record->set_breach_resolved(true);
  } else if (status != v1::BREACHED && status != v1::MET_LATE &&
             (record->breach_outstanding() || record->breach_resolved())) {
    // Met in time after all, waived, or gone: the breach (resolved or not) was wrong.
    out.push_back({v1::RETRACTED, now});
    record->set_breach_outstanding(false);
    record->set_breach_resolved(false);
  }
  if (status == v1::OPEN && view != nullptr) AddReminder(*view, now, record, &out);
  record->set_status(status);
  if (view != nullptr) {
    // Every evaluation diffs every obligation, and these rarely change: compared first, set
    // only when different (the setters were ~2 % of replay's instructions, issue 15).
    auto update = [](const std::string& value, const std::string& current, auto set) {
      if (current != value) set(value);
    };
    update(view->rule->id, record->rule_id(), [&](const std::string& v) { record->set_rule_id(v); });
    update(view->instance.str(), record->instance(),
           [&](const std::string& v) { record->set_instance(v); });
    update(view->regime->id, record->regime(), [&](const std::string& v) { record->set_regime(v); });
    SetDeadline(view->deadline, record);
    update(view->rule->legal_ref, record->legal_ref(),
           [&](const std::string& v) { record->set_legal_ref(v); });
    record->set_severity(view->rule->severity == rules::SeverityLevel::kLegal ? v1::LEGAL
                                                                              : v1::INTENT);
    const auto& causes = record->cause_event_ids();
    const bool same_causes =
        static_cast<size_t>(causes.size()) == view->cause_event_ids.size() &&
        std::equal(causes.begin(), causes.end(), view->cause_event_ids.begin(),
                   [](const std::string& a, const std::string* b) { return a == *b; });
    if (!same_causes) {
      record->clear_cause_event_ids();
      for (const std::string* id : view->cause_event_ids) record->add_cause_event_ids(*id);
    }
  }
  return out;
}

}  // namespace fristvagt::alerts
