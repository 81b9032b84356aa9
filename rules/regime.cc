#include "rules/regime.h"

namespace fristvagt::rules {

const Regime* Catalog::RegimeOn(absl::CivilDay day) const {
  const Regime* found = nullptr;
  for (const Regime& regime : regimes) {
    if (regime.valid_from <= day) found = &regime;
  }
  if (found != nullptr && found->valid_to.has_value() && *found->valid_to < day) return nullptr;
  return found;
}

const RuleSpec* Catalog::FindRule(const Regime& regime, const std::string& rule_id) {
  for (const RuleSpec& rule : regime.rules) {
    if (rule.id == rule_id) return &rule;
  }
  return nullptr;
}

const RuleSpec* Catalog::FindRule(const std::string& regime_id, const std::string& rule_id) const {
  for (const Regime& regime : regimes) {
    if (regime.id == regime_id) return FindRule(regime, rule_id);
  }
  return nullptr;
}

}  // namespace fristvagt::rules
