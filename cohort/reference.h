#pragma once
// The fokusrevision's kontrolpunkter (docs/cohort.md) as data: which fristvagt rule
// measures each one, the figure STAR found, and the rate the simulator aims at per visitation
// group. The simulator reads the rates, the report prints the figures: one table for both, so
// they cannot drift apart.

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "proto/case_event.pb.h"

namespace fristvagt::cohort {

// Index of a visitation group in per-group arrays: ÅUP 0, UP 1, AP 2.
int GroupIndex(v1::VisitationGroup group);
v1::VisitationGroup GroupAtIndex(int index);
std::string_view GroupShortName(v1::VisitationGroup group);  // "ÅUP", "UP", "AP"

// Where a rate the simulator aims at comes from.
enum class RateSource {
  kFokusrevision,   // a figure of the fokusrevision (calibrated)
  kRigsrevisionen,  // Rigsrevisionen 22/2019 (calibrated, rougher)
  kAssumed,         // no published figure: a plausible value, not calibrated
  kEmergent,        // not drawn at all: follows from the simulated meeting rhythm
};

struct Kontrolpunkt {
  std::string_view rule_id;  // the fristvagt rule (rules/regimes/lab2016.toml)
  std::string_view label;    // the kontrolpunkt, in the fokusrevision's Danish wording
  std::string_view figure;   // the published figure as printed, "79 (ÅUP 98)"; "—" when none
  std::optional<double> reference_pct;  // the overall figure for charts, when there is one
  RateSource source;
  // The probability that the simulator meets the kontrolpunkt in time, per final visitation
  // group (ÅUP, UP, AP). Where the fokusrevision gives per-group figures they are used; where
  // it gives one figure the groups share it.
  std::array<double, 3> rate;
  // How far municipalities spread around the rate, in probability at p = 0.5 (scaled by
  // 4p(1-p) elsewhere). The fokusrevision reports a wide spread for the 225-hour guidance and
  // the follow-up on the pålæg, and "some variation" elsewhere.
  double municipal_spread;
};

// Every kontrolpunkt the simulator models, in the report's order (cohort.md's order first).
const std::vector<Kontrolpunkt>& Kontrolpunkter();
// nullptr when the rule is not a modelled kontrolpunkt.
const Kontrolpunkt* FindKontrolpunkt(std::string_view rule_id);
std::string_view RateSourceName(RateSource source);

// The cohort's shape (cohort.md, "Cohort shape").
struct CohortShape {
  std::array<double, 3> group_at_first_meeting{0.14, 0.52, 0.34};
  double up_stays_up = 0.93;  // same group after 3 months as at the first meeting
  double ap_stays_ap = 0.70;
  double no_youth_education = 0.70;     // with 0.12 holding a valid test: 61 % in the test
  double valid_test_given_none = 0.12;  // target group, as the fokusrevision's 224 of 369
  double youth_perspective = 0.87;
  double mentor_during_course_up = 0.31;
  double mentor_during_course_ap = 0.58;
  double mentor_at_education_start = 0.09;
  double one_caseworker = 0.59;
  double no_show_valid_reason = 0.30;
  double sanction_imposed = 0.92;
  // Offers by type (2019): vejledning/opkvalificering, virksomhedspraktik, løntilskud,
  // nytteindsats; ÅUP get nytteindsats in 32 % of offers.
  std::array<double, 4> offer_mix{0.67, 0.26, 0.02, 0.05};
  std::array<double, 4> offer_mix_aaup{0.50, 0.18, 0.00, 0.32};
  // Education focus in meetings (Figur 13): ÅUP 88 %, UP 76 %, AP 63 %.
  std::array<double, 3> education_focus{0.88, 0.76, 0.63};
};
const CohortShape& Shape();

}  // namespace fristvagt::cohort
