#pragma once
// The format-and-identity record of a state dir (state/README.md, "Format record"): which
// on-disk format wrote the dir and which input partition it belongs to, so a store is never
// read by a build that misunderstands it nor mixed up with another partition's. Kept in the
// default column family under kMetaKey. Pure functions; thread-safe.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fristvagt::state {

// The input partition a store belongs to. Replay uses {"replay", 0} for every file, so a file
// replayed in parts into one dir finds its state.
struct StoreIdentity {
  std::string topic;
  int partition = 0;
};

inline constexpr char kMetaKey[] = "fristvagt.meta";
// Bump on any change of key layout or value meaning; state/README.md lists the versions.
// 2: the timer index holds one entry per person (its earliest due moment), not one per
// obligation moment (issue 15).
// 3: an outbox entry names its topic by the OutboxTopic enum, not by text (issue 13).
inline constexpr int kFormatVersion = 3;

// "format_version=3\ntopic=<topic>\npartition=<n>\n".
std::string EncodeMeta(const StoreIdentity& identity);

// OK when `stored` was written by this format version for `expected`; otherwise
// FailedPrecondition naming `dir` and the mismatch.
absl::Status CheckMeta(absl::string_view stored, const StoreIdentity& expected,
                       absl::string_view dir);

}  // namespace fristvagt::state
