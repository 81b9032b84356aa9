#pragma once
// The caseworker's morning digest (issue 6): instead of one message per obligation, one DIGEST
// alert per caseworker listing every open obligation whose deadline falls within the next N
// working days, and every breach still outstanding, so a case system can send one mail.
// Built from stored person records at the moment DigestDue names; the processor runs both.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "alerts/alert_factory.h"
#include "proto/alert.pb.h"
#include "proto/state.pb.h"
#include "rules/regime.h"

namespace fristvagt::alerts {

// The local day whose digest is due at `now`: a working day, from `hour`:00 Danish time, once
// per day (`last_sent` is the last day one went out). A processor that was down at `hour`
// sends that day's digest when it is back; days it missed entirely are not sent afterwards
// (a digest about yesterday's tasks helps nobody).
std::optional<absl::CivilDay> DigestDue(absl::Time now, int hour,
                                        std::optional<absl::CivilDay> last_sent);

// The last day a digest sent on `today` covers: the `working_days`-th working day after it.
absl::CivilDay DigestUntil(absl::CivilDay today, int working_days);

class DigestBuilder {
 public:
  DigestBuilder(absl::CivilDay today, int working_days, const rules::Catalog& catalog,
                Language language);

  // Takes the person's obligations that belong in a digest.
  void Add(const v1::PersonState& person);

  // One DIGEST per (municipality, caseworker) with at least one item, items by deadline.
  // `part` names what this digest covers (e.g. "partitions 0,1,2") and is part of its
  // alert_id, so a re-sent digest has the same id and another instance's part another.
  std::vector<v1::Alert> Build(absl::Time raised_at, const std::string& part) const;

 private:
  absl::CivilDay today_;
  absl::CivilDay until_;
  const rules::Catalog& catalog_;
  Language language_;
  std::map<std::pair<std::string, std::string>, std::vector<v1::Obligation>> items_;
};

}  // namespace fristvagt::alerts
