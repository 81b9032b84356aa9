#pragma once
// `fristvagt report`: compliance per kontrolpunkt from the alerts of `fristvagt replay`, side
// by side with the fokusrevision's figures and the simulator's ground truth. An obligation is
// not met in time when it has a BREACH or MISSING that was not later RETRACTED (a RESOLVED
// one was met, but late); every other obligation counts as met. Alerts exist only for
// obligations that were breached or reminded, so the number of obligations comes from the
// ground truth (--truth); MeasureObligations counts obligation records instead.

#include <array>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cohort/obligations.h"
#include "cohort/reference.h"
#include "cohort/truth.h"

namespace fristvagt::cohort {

// What the alerts say about one obligation, after reading them in order.
struct ObligationAlerts {
  std::string rule_id;
  std::string person_key;
  std::string municipality_code;
  std::string deadline;             // YYYY-MM-DD
  bool not_met_in_time = false;     // a BREACH/MISSING not later RETRACTED
  bool breach_outstanding = false;  // ... and not RESOLVED either
  bool reminder_pending = false;    // the last alert was a REMINDER
};

struct AlertLog {
  std::map<std::string, ObligationAlerts> obligations;  // by obligation_id
  std::map<std::string, std::string> caseworker;        // person_key -> latest caseworker_id
  std::map<std::string, absl::Time> last_alert;         // person_key -> latest raised_at
  absl::Time as_of = absl::InfinitePast();              // the latest raised_at
  size_t alerts = 0;
};

absl::StatusOr<AlertLog> ReadAlerts(const std::string& path);

struct Share {
  size_t obligations = 0;        // measured (from --alerts: the ground truth's count)
  size_t not_met = 0;            // measured: not met in time
  size_t truth_obligations = 0;  // the ground truth's, when there is one
  size_t truth_met = 0;          // the ground truth's met in time
  double MeasuredPct() const;
  double TruthPct() const;
};

struct RuleResult {
  std::string rule_id;
  const Kontrolpunkt* kontrolpunkt = nullptr;  // nullptr for a rule the table does not know
  Share all;
  std::array<Share, 3> by_group;  // ÅUP, UP, AP (final visitation)
  std::map<std::string, Share> by_municipality;
  std::map<std::string, Share> by_caseworker;  // from obligations only
  std::map<std::string, Share> by_month;       // deadline month "YYYY-MM"; obligations only
};

// Boks 4's self-evaluation sheet: one light per case and kontrolpunkt.
enum class Light { kGreen, kYellow, kRed };

struct CaseLights {
  std::string person_key;
  std::string municipality_code;
  std::vector<Light> lights;  // parallel to ComplianceReport::rules
  Light worst = Light::kGreen;
};

struct CaseworkerSheet {
  std::string caseworker_id;
  std::vector<CaseLights> cases;  // red first
};

// A case counts as open while its alerts keep coming: an open course gets reminders every few
// weeks, a closed one falls silent. (Alerts do not say when a course ends.)
inline constexpr absl::Duration kOpenCaseWindow = absl::Hours(24 * 60);

struct ComplianceReport {
  std::vector<RuleResult> rules;             // kontrolpunkter with obligations, report order
  std::vector<std::string> municipalities;   // codes, ascending
  std::vector<CaseworkerSheet> sheets;       // open cases (kOpenCaseWindow), by caseworker
  std::map<std::string, size_t> alert_only;  // rule -> not met, for rules absent from the truth
  size_t persons = 0;
  size_t alerts = 0;
  size_t unmatched = 0;      // not-met obligations of persons absent from the truth
  size_t disagreements = 0;  // (person, rule, deadline) where alerts and truth differ
  absl::Time as_of = absl::InfinitePast();
  std::string source = "alerts";  // what was measured: "alerts", "state dir DIR", ...
  bool has_truth = true;
  // The obligations measured (MeasureObligations only), for the manager's page.
  std::vector<ObligationFact> obligations;
};

ComplianceReport Measure(const AlertLog& alerts, const std::vector<TruthRow>& truth);
// From obligation records (a state dir, a running instance, the obligations topic): every
// settled obligation (IsSettled) counts, so no ground truth is needed; `truth`, when given,
// fills the comparison column and `disagreements` (per person, rule and deadline).
ComplianceReport MeasureObligations(ObligationSet set, const std::vector<TruthRow>* truth);

// The two tables: per kontrolpunkt (with groups and the fokusrevision's figure) and per
// municipality.
std::string RenderTables(const ComplianceReport& report);
// scope,key,rule_id,obligations,not_met,measured_pct,truth_pct,truth_obligations
// (scope: all|group|municipality|caseworker|month; truth_pct empty without a ground truth).
std::string RenderCsv(const ComplianceReport& report);
// One self-contained page: a bar chart per kontrolpunkt by municipality (inline SVG, the
// average dashed) and the caseworkers' traffic-light sheets.
std::string RenderHtml(const ComplianceReport& report);
// One JSON object: as_of, source, persons, and per kontrolpunkt its label, the fokusrevision's
// figure and the shares overall, per group, municipality, caseworker and month
// ({"obligations","not_met","pct"}, plus "truth_obligations","truth_pct" with a truth).
std::string RenderJson(const ComplianceReport& report);

}  // namespace fristvagt::cohort
