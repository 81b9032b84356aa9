#include "cohort/simulator.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cohort/calendar.h"
#include "cohort/municipalities.h"
#include "cohort/random.h"
#include "cohort/reference.h"

namespace fristvagt::cohort {

namespace {

constexpr uint64_t kKeyStream = 0x6b6579ull;           // "key"
constexpr uint64_t kMunicipalityStream = 0x6d756eull;  // "mun"
constexpr int kPersonsPerCaseworker = 30;
// Lines kept in memory per window: about 150 MB of JSON.
constexpr double kLinesPerWindow = 500000;
constexpr double kLinesPerPerson = 60;

// The municipality effect: a common diligence (a) and a per-kontrolpunkt part (b), centred over
// the cohort's municipalities so that the cohort's mean stays at the fokusrevision's figure.
std::vector<std::vector<double>> MunicipalityEffects(uint64_t seed, int municipalities) {
  const size_t rules = Kontrolpunkter().size();
  std::vector<std::vector<double>> effect(municipalities, std::vector<double>(rules));
  for (int m = 0; m < municipalities; ++m) {
    Rng rng = Rng::For(seed, {kMunicipalityStream, static_cast<uint64_t>(m)});
    const double common = 2 * rng.Uniform() - 1;
    for (size_t k = 0; k < rules; ++k) effect[m][k] = 0.5 * common + 0.5 * (2 * rng.Uniform() - 1);
  }
  for (size_t k = 0; k < rules && municipalities > 1; ++k) {
    double mean = 0;
    for (int m = 0; m < municipalities; ++m) mean += effect[m][k];
    mean /= municipalities;
    for (int m = 0; m < municipalities; ++m) effect[m][k] -= mean;
  }
  return effect;
}

// The JSON line of a (possibly broken) event.
std::string FormatLine(const SimLine& line, const SimulateSinks& sinks) {
  std::string json = sinks.format(line.event);
  switch (line.malformation) {
    case Malformation::kTruncated:
      return json.substr(0, json.size() / 2);
    case Malformation::kUnknownPayload: {
      const auto* field = line.event.GetReflection()->GetOneofFieldDescriptor(
          line.event, v1::CaseEvent::descriptor()->FindOneofByName("payload"));
      if (field == nullptr) return json;
      const std::string key = absl::StrCat("\"", field->name(), "\":");
      if (const size_t at = json.find(key); at != std::string::npos) {
        json.replace(at, key.size(), absl::StrCat("\"", field->name(), "_v2\":"));
      }
      return json;
    }
    default:
      return json;
  }
}

struct Keyed {
  absl::Time at;
  int person;
  int seq;
  std::string line;
};

}  // namespace

absl::Status ValidateOptions(const SimulateOptions& options) {
  if (options.persons < 1) return absl::InvalidArgumentError("--persons must be at least 1");
  if (options.municipalities < 1 ||
      options.municipalities > static_cast<int>(AllMunicipalities().size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--municipalities must be 1..", AllMunicipalities().size()));
  }
  if (options.months < 4 || options.months > 120) {
    return absl::InvalidArgumentError("--months must be 4..120 (deadlines run up to 3 months)");
  }
  if (options.start.year() < 2000) return absl::InvalidArgumentError("--start before 2000");
  return absl::OkStatus();
}

absl::Time PeriodEnd(const SimulateOptions& options) {
  return StartOf(PlusMonths(options.start, options.months));
}

std::string PersonKey(uint64_t seed, int index) {
  Rng rng = Rng::For(seed, {kKeyStream, static_cast<uint64_t>(index)});
  return absl::StrFormat("p-%016x", rng.Next());
}

std::vector<MunicipalityProfile> BuildMunicipalities(const SimulateOptions& options) {
  const std::vector<Municipality> selected = SelectMunicipalities(options.municipalities);
  const int count = static_cast<int>(selected.size());
  const std::vector<std::vector<double>> effect = MunicipalityEffects(options.seed, count);
  const std::vector<Kontrolpunkt>& kontrolpunkter = Kontrolpunkter();
  std::vector<MunicipalityProfile> profiles;
  for (int m = 0; m < count; ++m) {
    MunicipalityProfile profile;
    profile.code = std::string(selected[m].code);
    Rng rng = Rng::For(options.seed, {kMunicipalityStream, 1000u + static_cast<uint64_t>(m)});
    profile.source_system = rng.Chance(0.7) ? "momentum" : "fasit";
    const int persons = options.persons / count + (m < options.persons % count ? 1 : 0);
    const int caseworkers =
        std::max(1, (persons + kPersonsPerCaseworker - 1) / kPersonsPerCaseworker);
    for (int c = 1; c <= caseworkers; ++c) {
      profile.caseworkers.push_back(absl::StrFormat("cw-%s-%02d", profile.code, c));
    }
    for (size_t k = 0; k < kontrolpunkter.size(); ++k) {
      std::array<double, 3> rate = kontrolpunkter[k].rate;
      for (double& p : rate) {
        const double shift = kontrolpunkter[k].municipal_spread * effect[m][k] * 4 * p * (1 - p);
        p = std::clamp(p + shift, 0.0, 1.0);
      }
      profile.rates.push_back(rate);
    }
    profiles.push_back(std::move(profile));
  }
  return profiles;
}

absl::StatusOr<SimulateStats> Simulate(const SimulateOptions& options, const SimulateSinks& sinks) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const std::vector<MunicipalityProfile> municipalities = BuildMunicipalities(options);
  const absl::Time start = StartOf(options.start);
  const absl::Time end = PeriodEnd(options);
  // First contacts leave 3 months for the first-contact deadlines to fall due in the period.
  const absl::CivilDay intake_to =
      std::max(options.start + 28, PlusMonths(options.start, options.months - 3));

  const int windows = options.windows > 0
                          ? options.windows
                          : std::max(1, static_cast<int>(std::ceil(
                                            options.persons * kLinesPerPerson / kLinesPerWindow)));
  const absl::Duration window_length = (end - start) / windows;
  SimulateStats stats;
  stats.persons = options.persons;
  if (sinks.truth) {
    if (absl::Status s = sinks.truth(TruthCsvHeader()); !s.ok()) return s;
  }
  for (int w = 0; w < windows; ++w) {
    const absl::Time from = w == 0 ? absl::InfinitePast() : start + w * window_length;
    const absl::Time to =
        w == windows - 1 ? absl::InfiniteFuture() : start + (w + 1) * window_length;
    std::vector<Keyed> lines;
    for (int i = 0; i < options.persons; ++i) {
      PersonSpec spec;
      spec.seed = options.seed;
      spec.index = i;
      spec.person_key = PersonKey(options.seed, i);
      spec.municipality = &municipalities[i % municipalities.size()];
      spec.intake_from = options.start;
      spec.intake_to = intake_to;
      spec.period_end = end;
      const PersonHistory history = SimulatePerson(spec);
      for (const SimLine& line : history.lines) {
        if (line.sort_time < from || line.sort_time >= to) continue;
        lines.push_back({line.sort_time, i, line.seq, FormatLine(line, sinks)});
      }
      if (w == 0) {
        stats.out_of_scope += history.in_scope ? 0 : 1;
        stats.redelivered += history.redelivered;
        stats.voided += history.voided;
        stats.malformed += history.malformed;
        stats.truth_rows += history.truth.size();
        if (sinks.truth) {
          for (const TruthRow& row : history.truth) {
            if (absl::Status s = sinks.truth(ToCsvLine(row)); !s.ok()) return s;
          }
        }
      }
      if (sinks.progress && (i % 256 == 0 || i + 1 == options.persons)) {
        sinks.progress((w + (i + 1.0) / options.persons) / windows);
      }
    }
    std::sort(lines.begin(), lines.end(), [](const Keyed& a, const Keyed& b) {
      return std::tie(a.at, a.person, a.seq) < std::tie(b.at, b.person, b.seq);
    });
    for (const Keyed& line : lines) {
      if (absl::Status s = sinks.events(line.line); !s.ok()) return s;
    }
    stats.lines += lines.size();
  }
  return stats;
}

}  // namespace fristvagt::cohort
