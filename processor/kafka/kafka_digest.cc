// The morning DIGEST of `run` (issue 6, `[alerts] digest = true`): once per working day, at
// `digest_hour`, one DIGEST per caseworker covering every caseworker's person on the partitions
// this instance owns. A KafkaProcessor member in its own file because it is a feature of its
// own; the contents of a digest are alerts/digest.h's.
//
// Each partition remembers the day of its last digest in its store (progress `digest_day`,
// committed with the partition's next batch), so a restart or a rebalance does not send a
// partition's digest twice. The digests travel in the outbox of the first partition covered;
// should the instance stop between that partition's commit and another's, the other is covered
// again by a second part (same day, other `digest_part`): an extra message, never a lost one.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "alerts/digest.h"
#include "processor/kafka/kafka_processor.h"
#include "processor/base/logging.h"
#include "rules/civil_time.h"

namespace fristvagt::processor {
namespace {

constexpr char kDigestDayProgress[] = "digest_day";
constexpr size_t kScanPage = 1000;

std::optional<absl::CivilDay> LastDigestDay(state::StateStore* store) {
  absl::StatusOr<std::optional<std::string>> stored = store->GetProgress(kDigestDayProgress);
  absl::CivilDay day;
  if (!stored.ok() || !stored->has_value() || !absl::ParseCivilTime(**stored, &day)) {
    return std::nullopt;
  }
  return day;
}

}  // namespace

void KafkaProcessor::SendDueDigests(absl::Time now) {
  const AlertOutput& out = config_.alert_output;
  if (!out.digest) return;
  std::vector<Partition*> due;
  std::optional<absl::CivilDay> day;
  for (auto& [id, partition] : partitions_) {
    // A partition still catching up on a backlog does not know today's tasks yet; and waiting
    // for all of them makes one digest per caseworker instead of one per partition.
    if (!partition.live) return;
    if (auto d = alerts::DigestDue(now, out.digest_hour, LastDigestDay(partition.store.get()))) {
      due.push_back(&partition);
      day = d;
    }
  }
  if (due.empty()) return;
  alerts::DigestBuilder builder(*day, out.digest_working_days, catalog_, config_.language);
  std::vector<int32_t> ids;
  for (Partition* partition : due) {
    ids.push_back(partition->id);
    std::string after;
    std::vector<v1::PersonState> page;
    do {
      page.clear();
      if (absl::Status s = partition->store->ScanPersons(after, kScanPage, &page); !s.ok()) {
        Logger("processor")
            ->warn("partition {}: digest postponed: {}", partition->id, std::string(s.message()));
        return;
      }
      for (const v1::PersonState& person : page) builder.Add(person);
      if (!page.empty()) after = page.back().person_key();
    } while (page.size() == kScanPage);
  }
  const std::vector<v1::Alert> digests =
      builder.Build(now, absl::StrCat("partitions ", absl::StrJoin(ids, ",")));
  for (const v1::Alert& digest : digests) {
    due.front()->engine->EnqueueAlert(
        digest, absl::StrCat("digest/", digest.municipality_code(), "/", digest.caseworker_id()));
  }
  for (Partition* partition : due) {
    partition->engine->SetProgress(kDigestDayProgress, rules::FormatIsoDate(*day));
    partition->dirty = true;
  }
  Logger("processor")
      ->info("digest of {} for partitions {}: {} caseworker(s)", rules::FormatIsoDate(*day),
             absl::StrJoin(ids, ","), digests.size());
}

}  // namespace fristvagt::processor
