#include "cohort/municipalities.h"

#include <algorithm>

namespace fristvagt::cohort {

const std::vector<Municipality>& AllMunicipalities() {
  static const auto* all = new std::vector<Municipality>{
      // The default sample of 25: every region, capital to island.
      {"101", "København"},
      {"851", "Aalborg"},
      {"751", "Aarhus"},
      {"461", "Odense"},
      {"561", "Esbjerg"},
      {"630", "Vejle"},
      {"147", "Frederiksberg"},
      {"265", "Roskilde"},
      {"330", "Slagelse"},
      {"370", "Næstved"},
      {"360", "Lolland"},
      {"540", "Sønderborg"},
      {"621", "Kolding"},
      {"615", "Horsens"},
      {"730", "Randers"},
      {"791", "Viborg"},
      {"657", "Herning"},
      {"813", "Frederikshavn"},
      {"860", "Hjørring"},
      {"400", "Bornholm"},
      {"575", "Vejen"},
      {"167", "Hvidovre"},
      {"219", "Hillerød"},
      {"479", "Svendborg"},
      {"316", "Holbæk"},
      // The rest by code.
      {"151", "Ballerup"},
      {"153", "Brøndby"},
      {"155", "Dragør"},
      {"157", "Gentofte"},
      {"159", "Gladsaxe"},
      {"161", "Glostrup"},
      {"163", "Herlev"},
      {"165", "Albertslund"},
      {"169", "Høje-Taastrup"},
      {"173", "Lyngby-Taarbæk"},
      {"175", "Rødovre"},
      {"183", "Ishøj"},
      {"185", "Tårnby"},
      {"187", "Vallensbæk"},
      {"190", "Furesø"},
      {"201", "Allerød"},
      {"210", "Fredensborg"},
      {"217", "Helsingør"},
      {"223", "Hørsholm"},
      {"230", "Rudersdal"},
      {"240", "Egedal"},
      {"250", "Frederikssund"},
      {"253", "Greve"},
      {"259", "Køge"},
      {"260", "Halsnæs"},
      {"269", "Solrød"},
      {"270", "Gribskov"},
      {"306", "Odsherred"},
      {"320", "Faxe"},
      {"326", "Kalundborg"},
      {"329", "Ringsted"},
      {"336", "Stevns"},
      {"340", "Sorø"},
      {"350", "Lejre"},
      {"376", "Guldborgsund"},
      {"390", "Vordingborg"},
      {"410", "Middelfart"},
      {"420", "Assens"},
      {"430", "Faaborg-Midtfyn"},
      {"440", "Kerteminde"},
      {"450", "Nyborg"},
      {"480", "Nordfyns"},
      {"482", "Langeland"},
      {"492", "Ærø"},
      {"510", "Haderslev"},
      {"530", "Billund"},
      {"550", "Tønder"},
      {"563", "Fanø"},
      {"573", "Varde"},
      {"580", "Aabenraa"},
      {"607", "Fredericia"},
      {"661", "Holstebro"},
      {"665", "Lemvig"},
      {"671", "Struer"},
      {"706", "Syddjurs"},
      {"707", "Norddjurs"},
      {"710", "Favrskov"},
      {"727", "Odder"},
      {"740", "Silkeborg"},
      {"741", "Samsø"},
      {"746", "Skanderborg"},
      {"756", "Ikast-Brande"},
      {"760", "Ringkøbing-Skjern"},
      {"766", "Hedensted"},
      {"773", "Morsø"},
      {"779", "Skive"},
      {"787", "Thisted"},
      {"810", "Brønderslev"},
      {"820", "Vesthimmerlands"},
      {"825", "Læsø"},
      {"840", "Rebild"},
      {"846", "Mariagerfjord"},
      {"849", "Jammerbugt"},
  };
  return *all;
}

std::vector<Municipality> SelectMunicipalities(int n) {
  const auto& all = AllMunicipalities();
  const size_t count = static_cast<size_t>(std::clamp(n, 1, static_cast<int>(all.size())));
  return std::vector<Municipality>(all.begin(), all.begin() + count);
}

std::string_view MunicipalityName(std::string_view code) {
  for (const Municipality& m : AllMunicipalities()) {
    if (m.code == code) return m.name;
  }
  return code;
}

}  // namespace fristvagt::cohort
