#include "state/store_meta.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fristvagt::state {

std::string EncodeMeta(const StoreIdentity& identity) {
  return absl::StrCat("format_version=", kFormatVersion, "\ntopic=", identity.topic,
                      "\npartition=", identity.partition, "\n");
}

absl::Status CheckMeta(absl::string_view stored, const StoreIdentity& expected,
                       absl::string_view dir) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(stored, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> field = absl::StrSplit(line, absl::MaxSplits('=', 1));
    fields.insert(std::move(field));
  }
  int version = 0;
  int partition = 0;
  if (!absl::SimpleAtoi(fields["format_version"], &version) ||
      !absl::SimpleAtoi(fields["partition"], &partition) || fields.count("topic") == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("state dir ", dir, " has an unreadable format record"));
  }
  if (version != kFormatVersion) {
    // An older dir's person records are still good: the changelog (or the input) rebuilds a
    // store in the new format in an empty dir, which is what the message tells the operator.
    return absl::FailedPreconditionError(absl::StrCat(
        "state dir ", dir, " was written with state format version ", version,
        "; this build reads version ", kFormatVersion, " only (see state/README.md)",
        version < kFormatVersion
            ? "; start on an empty state dir: `run` restores it from the changelog, `replay` "
              "rebuilds it from the input"
            : ""));
  }
  if (fields["topic"] != expected.topic || partition != expected.partition) {
    return absl::FailedPreconditionError(absl::StrCat(
        "state dir ", dir, " belongs to topic '", fields["topic"], "' partition ", partition,
        ", not to topic '", expected.topic, "' partition ", expected.partition));
  }
  return absl::OkStatus();
}

}  // namespace fristvagt::state
