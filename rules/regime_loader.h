#pragma once
// Regime files (rules/regimes/*.toml, schema in rules/README.md) → Catalog. Every problem is
// reported as `file:line: key: message` so that `fristvagt check-rules` can point a lawyer or
// an engineer at the exact line; loading never stops at the first problem. Runs at start-up
// only, on the calling thread; it holds no state.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "rules/regime.h"

namespace fristvagt::rules {

struct RuleFileError {
  std::string file;
  int line = 0;     // 1-based; 0 when the problem is not on a line (unreadable file)
  std::string key;  // dotted path, e.g. "rule[first_meeting].due.weeks"; empty for syntax
  std::string message;

  // "file:line: key: message" ("file:line: message" when there is no key).
  std::string ToString() const;
};

// Bounds on one regime file, so a generated or corrupted file is refused with a clear error
// at load time instead of making every evaluation slow: the shipped files hold about 30 rules
// in about 20 KiB (rules/README.md, "Bounds").
inline constexpr size_t kMaxRegimeFileBytes = size_t{1} << 20;
inline constexpr size_t kMaxRulesPerRegime = 500;

// Names a regime file may use in `conditions` / `require_if`, and in `instances`. The evaluator
// implements exactly these (rules/conditions.h), so a misspelt name fails at load time instead
// of silently never holding.
const std::set<std::string>& KnownConditionNames();
const std::set<std::string>& KnownInstanceExpanders();

// Loads every *.toml in `dir` (sorted by file name), validates each file and the set (unique
// ids, contiguous non-overlapping validity, repeals of rules that exist earlier). Regimes come
// back sorted by valid_from. On any problem returns InvalidArgumentError and appends every
// problem found to `errors` (which may be null).
//
// A regime file with `status = "draft"` is in force only when its id is in `drafts`; then an
// open-ended regime before it ends the day before the draft starts. A draft not named is still
// validated and is kept in Catalog::drafts. A name in `drafts` that is no draft is an error.
absl::StatusOr<Catalog> LoadCatalog(const std::string& dir, std::vector<RuleFileError>* errors,
                                    const std::vector<std::string>& drafts = {});

// One file, validated on its own.
absl::StatusOr<Regime> LoadRegimeFile(const std::string& path, std::vector<RuleFileError>* errors);

// One file's text; `file_name` is used in errors and as Regime/RuleSpec::source_file.
absl::StatusOr<Regime> ParseRegime(std::string_view toml_text, const std::string& file_name,
                                   std::vector<RuleFileError>* errors);

}  // namespace fristvagt::rules
