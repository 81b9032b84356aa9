#include "alerts/alert_factory.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "alerts/iso_text.h"
#include "rules/civil_time.h"
#include "rules/stable_id.h"

namespace fristvagt::alerts {

namespace {

// "2023-08-14" → "14.08.2023" for Danish texts; English keeps ISO dates.
std::string DisplayDate(const std::string& iso, Language language) {
  if (language == Language::kEnglish || iso.size() != 10) return iso;
  return absl::StrCat(iso.substr(8, 2), ".", iso.substr(5, 2), ".", iso.substr(0, 4));
}

std::string Fill(const std::string& text, const std::string& date) {
  return absl::StrReplaceAll(text, {{"{deadline}", date}});
}

struct Phrases {
  const char* reminder;
  const char* resolved;
  const char* retracted;
  const char* missing;
};

const Phrases& PhrasesFor(Language language) {
  static const Phrases kDanish{"Påmindelse: ", "Nu opfyldt, men for sent: ",
                               "Tidligere advarsel trukket tilbage: ", "mangler"};
  static const Phrases kEnglish{
      "Reminder: ", "Now met, but late: ", "Earlier alert withdrawn: ", "missing"};
  return language == Language::kDanish ? kDanish : kEnglish;
}

}  // namespace

std::string AlertText(v1::AlertKind kind, const rules::RuleSpec* rule, const std::string& rule_id,
                      const std::string& deadline, const std::string& legal_ref,
                      const std::string& missing, Language language) {
  const Phrases& p = PhrasesFor(language);
  const std::string date = DisplayDate(deadline, language);
  const bool da = language == Language::kDanish;
  const std::string requirement =
      rule == nullptr ? rule_id : Fill(da ? rule->text_da : rule->text_en, date);
  std::string breach = requirement;
  if (rule != nullptr) {
    const std::string& text = da ? rule->breach_da : rule->breach_en;
    if (!text.empty()) breach = Fill(text, date);
  }
  if (!missing.empty()) absl::StrAppend(&breach, " (", p.missing, ": ", missing, ")");
  std::string body;
  switch (kind) {
    case v1::ALERT_KIND_UNSPECIFIED:  // the obligation itself, not an alert about it
      body = requirement;
      break;
    case v1::REMINDER:
      body = absl::StrCat(p.reminder, requirement);
      break;
    case v1::RESOLVED:
      body = absl::StrCat(p.resolved, requirement);
      break;
    case v1::RETRACTED:
      body = absl::StrCat(p.retracted, breach);
      break;
    default:
      body = breach;
  }
  return absl::StrCat(body, " (", legal_ref, ").");
}

std::string FormatAlertTime(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return rules::FormatRfc3339(t);
  const absl::TimeZone::CivilInfo local = rules::Copenhagen().At(t);
  const int64_t year = local.cs.year();
  const int offset = local.offset;  // seconds east of UTC
  if (year < 1000 || year > 9999 || offset % 60 != 0) return rules::FormatRfc3339(t);
  char text[25];
  WriteIsoDate(text, year, local.cs.month(), local.cs.day());
  text[10] = 'T';
  WriteTwoDigits(text + 11, local.cs.hour());
  text[13] = ':';
  WriteTwoDigits(text + 14, local.cs.minute());
  text[16] = ':';
  WriteTwoDigits(text + 17, local.cs.second());
  const int minutes = (offset < 0 ? -offset : offset) / 60;
  text[19] = offset < 0 ? '-' : '+';
  WriteTwoDigits(text + 20, minutes / 60);
  text[22] = ':';
  WriteTwoDigits(text + 23, minutes % 60);
  return std::string(text, sizeof(text));
}

v1::Alert BuildAlert(const AlertInput& in, Language language) {
  const v1::ObligationRecord& rec = in.record;
  v1::Alert alert;
  const std::string kind = v1::AlertKind_Name(in.transition.kind);
  alert.set_alert_id(rules::StableId({rec.obligation_id(), kind, std::to_string(rec.alert_seq())}));
  alert.set_obligation_id(rec.obligation_id());
  alert.set_person_key(in.person.person_key());
  alert.set_municipality_code(in.person.municipality_code());
  alert.set_caseworker_id(in.person.caseworker_id());
  alert.set_rule_id(rec.rule_id());
  alert.set_regime(rec.regime());
  alert.set_kind(in.transition.kind);
  alert.set_severity(rec.severity());
  alert.set_legal_ref(rec.legal_ref());
  alert.set_deadline(rec.deadline());
  alert.set_due_at(FormatAlertTime(in.transition.due_at));
  alert.set_raised_at(FormatAlertTime(in.raised_at));
  alert.set_status(rec.status());
  alert.set_message(AlertText(in.transition.kind, in.rule, rec.rule_id(), rec.deadline(),
                              rec.legal_ref(), in.missing, language));
  for (const auto& id : rec.cause_event_ids()) alert.add_cause_event_ids(id);
  return alert;
}

v1::Obligation BuildObligation(const v1::ObligationRecord& record, const v1::PersonState& person,
                               const rules::RuleSpec* rule, Language language) {
  v1::Obligation ob;
  ob.set_obligation_id(record.obligation_id());
  ob.set_person_key(person.person_key());
  ob.set_municipality_code(person.municipality_code());
  ob.set_caseworker_id(person.caseworker_id());
  ob.set_rule_id(record.rule_id());
  ob.set_regime(record.regime());
  ob.set_severity(record.severity());
  ob.set_legal_ref(record.legal_ref());
  ob.set_deadline(record.deadline());
  ob.set_status(record.status());
  ob.set_message(AlertText(v1::ALERT_KIND_UNSPECIFIED, rule, record.rule_id(), record.deadline(),
                           record.legal_ref(), "", language));
  return ob;
}

}  // namespace fristvagt::alerts
