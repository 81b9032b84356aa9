#pragma once
// The rules as a document for a municipal lawyer (`fristvagt rules-doc`): every regime and every
// rule with its legal reference, clock and Danish requirement text, so the law the processor
// enforces can be reviewed without reading TOML or C++. Pure: no I/O, no clock.

#include <string>

#include "rules/regime.h"

namespace fristvagt::rules {

// Markdown; the same catalog always renders to the same bytes (no timestamps, map order), so
// the generated file can be checked in and diffed.
std::string RenderRulesMarkdown(const Catalog& catalog);

}  // namespace fristvagt::rules
