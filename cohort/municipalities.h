#pragma once
// Denmark's 98 municipalities (kommunekoder, as in CaseEvent.municipality_code) and the order
// in which the simulator takes them: the first 25 spread over regions and sizes, like the
// fokusrevision's sample, then the rest by code.

#include <string_view>
#include <vector>

namespace fristvagt::cohort {

struct Municipality {
  std::string_view code;  // "851"
  std::string_view name;  // "Aalborg"
};

// All 98, in selection order.
const std::vector<Municipality>& AllMunicipalities();

// The first `n` of the selection order (n is clamped to 1..98).
std::vector<Municipality> SelectMunicipalities(int n);

// "Aalborg" for "851"; the code itself when unknown.
std::string_view MunicipalityName(std::string_view code);

}  // namespace fristvagt::cohort
