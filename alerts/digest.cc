#include "alerts/digest.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "rules/civil_time.h"
#include "rules/holidays.h"
#include "rules/stable_id.h"

namespace fristvagt::alerts {
namespace {

// Which obligations a caseworker must see: open ones due within the window, and breaches not
// yet resolved (status BREACHED while the obligation can still be met late).
bool BelongsInDigest(const v1::ObligationRecord& record, const std::string& until) {
  if (record.status() == v1::OPEN) return !record.deadline().empty() && record.deadline() <= until;
  return record.status() == v1::BREACHED && record.breach_outstanding();
}

std::string DigestText(size_t open, size_t breached, absl::CivilDay until, Language language) {
  if (language == Language::kDanish) {
    return absl::StrCat("Dagens oversigt: ", open, " frist(er) til og med ",
                        rules::FormatDanishDate(until), " og ", breached,
                        " overskredet frist(er), der stadig mangler handling.");
  }
  return absl::StrCat("Today's digest: ", open, " deadline(s) up to and including ",
                      rules::FormatIsoDate(until), " and ", breached,
                      " breached deadline(s) still needing action.");
}

}  // namespace

std::optional<absl::CivilDay> DigestDue(absl::Time now, int hour,
                                        std::optional<absl::CivilDay> last_sent) {
  const absl::CivilDay today = absl::ToCivilDay(now, rules::Copenhagen());
  if (!rules::IsWorkingDay(today) || now < rules::LocalMoment(today, hour)) return std::nullopt;
  if (last_sent.has_value() && *last_sent >= today) return std::nullopt;
  return today;
}

absl::CivilDay DigestUntil(absl::CivilDay today, int working_days) {
  absl::CivilDay day = today;
  for (int counted = 0; counted < working_days;) {
    ++day;
    if (rules::IsWorkingDay(day)) ++counted;
  }
  return day;
}

DigestBuilder::DigestBuilder(absl::CivilDay today, int working_days, const rules::Catalog& catalog,
                             Language language)
    : today_(today),
      until_(DigestUntil(today, working_days)),
      catalog_(catalog),
      language_(language) {}

void DigestBuilder::Add(const v1::PersonState& person) {
  const std::string until = rules::FormatIsoDate(until_);
  for (const v1::ObligationRecord& record : person.obligations()) {
    if (!BelongsInDigest(record, until)) continue;
    items_[{person.municipality_code(), person.caseworker_id()}].push_back(BuildObligation(
        record, person, catalog_.FindRule(record.regime(), record.rule_id()), language_));
  }
}

std::vector<v1::Alert> DigestBuilder::Build(absl::Time raised_at, const std::string& part) const {
  const std::string today = rules::FormatIsoDate(today_);
  const std::string until = rules::FormatIsoDate(until_);
  std::vector<v1::Alert> digests;
  for (const auto& [who, obligations] : items_) {
    const auto& [municipality, caseworker] = who;
    std::vector<v1::Obligation> sorted = obligations;
    std::sort(sorted.begin(), sorted.end(), [](const v1::Obligation& a, const v1::Obligation& b) {
      return std::tie(a.deadline(), a.obligation_id()) < std::tie(b.deadline(), b.obligation_id());
    });
    v1::Alert digest;
    digest.set_alert_id(rules::StableId({"DIGEST", municipality, caseworker, today, part}));
    digest.set_kind(v1::DIGEST);
    digest.set_municipality_code(municipality);
    digest.set_caseworker_id(caseworker);
    digest.set_raised_at(rules::FormatRfc3339(raised_at));
    digest.set_due_at(rules::FormatRfc3339(raised_at));
    digest.set_digest_until(until);
    digest.set_digest_part(part);
    size_t breached = 0;
    for (v1::Obligation& item : sorted) {
      if (item.status() == v1::BREACHED) ++breached;
      *digest.add_digest_items() = std::move(item);
    }
    digest.set_message(DigestText(sorted.size() - breached, breached, until_, language_));
    digests.push_back(std::move(digest));
  }
  return digests;
}

}  // namespace fristvagt::alerts
