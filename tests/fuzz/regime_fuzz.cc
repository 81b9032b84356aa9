// Fuzz target for regime files (rules/regime_loader.h): the file a lawyer or an engineer edits
// and `fristvagt check-rules` reads. The property: any bytes give a Regime, or errors that each
// name the file and say what is wrong — never a crash, a hang or "failed" without a reason. A
// regime that loads must also render as the lawyers' document (rules/rules_doc.h).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "rules/regime_loader.h"
#include "rules/rules_doc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<fristvagt::rules::RuleFileError> errors;
  absl::StatusOr<fristvagt::rules::Regime> regime =
      fristvagt::rules::ParseRegime(text, "fuzz.toml", &errors);
  if (regime.ok() != errors.empty()) {
    std::cerr << "regime: ok=" << regime.ok() << " with " << errors.size() << " errors\n";
    std::abort();
  }
  for (const auto& error : errors) {
    if (error.file != "fuzz.toml" || error.message.empty() || error.line < 0) {
      std::cerr << "regime: an error without file or message: " << error.ToString() << "\n";
      std::abort();
    }
  }
  if (regime.ok()) {
    fristvagt::rules::Catalog catalog;
    catalog.regimes.push_back(*std::move(regime));
    if (fristvagt::rules::RenderRulesMarkdown(catalog).empty()) std::abort();
  }
  return 0;
}

// Keys and values of the schema (rules/README.md), so mutations reach past the TOML syntax.
const std::vector<std::string>& FristvagtFuzzDictionary() {
  static const std::vector<std::string> kTokens = {
      "[[rule]]\n", "[regime]\n", "id = ", "kind = ", "\"deadline\"", "\"count\"",
      "\"recurring\"", "\"check\"", "\"window\"", "trigger", "met_by", "due", "weeks = ",
      "days = ", "working_days", "conditions = [", "require_if", "instances", "repeals",
      "valid_from = ", "valid_to = ", "2024-01-01", "pausable = true", "severity", "legal_ref",
      "reminder_if", "same = [", "{ not = ", "{ contains = ", "{ min = ", "\"$instance\"",
      "-9223372036854775808", "9223372036854775807", "1e308", "nan", "inf", "0x7fffffff",
      "[[", "]]", "{}", "[]", "\"\"\"", "'''", "\\u0000", "\n", " = ", ",", "."};
  return kTokens;
}
