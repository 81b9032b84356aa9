#include "tests/integration/synthetic_events.h"

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace fristvagt::testing {

namespace {

struct Line {
  absl::Time recorded;
  int order;
  std::string json;
};

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

class Cohort {
 public:
  void Add(const std::string& id, const std::string& person, absl::Time occurred,
           absl::Time recorded, const std::string& payload) {
    lines_.push_back(
        {recorded, static_cast<int>(lines_.size()),
         absl::StrCat(R"({"event_id":")", id, R"(","person_key":")", person,
                      R"(","municipality_code":"851","caseworker_id":"cw-)", person.size() % 7,
                      R"(","occurred_at":")", Rfc3339(occurred), R"(","recorded_at":")",
                      Rfc3339(recorded), R"(",)", payload, "}")});
  }
  void AddRaw(absl::Time recorded, const std::string& text) {
    lines_.push_back({recorded, static_cast<int>(lines_.size()), text});
  }
  std::vector<std::string> Sorted() {
    std::sort(lines_.begin(), lines_.end(), [](const Line& a, const Line& b) {
      return a.recorded != b.recorded ? a.recorded < b.recorded : a.order < b.order;
    });
    std::vector<std::string> out;
    for (Line& line : lines_) out.push_back(std::move(line.json));
    return out;
  }

 private:
  std::vector<Line> lines_;
};

}  // namespace

std::vector<std::string> SyntheticEventLines(const CohortSpec& spec) {
  absl::Time start;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, spec.start, &start, &error)) return {};
  std::mt19937_64 random(spec.seed);
  auto pick = [&random](int n) { return static_cast<int>(random() % n); };
  Cohort cohort;
  for (int i = 0; i < spec.persons; ++i) {
    const std::string person = absl::StrCat("p-", spec.seed, "-", i);
    const std::string e = absl::StrCat("e-", spec.seed, "-", i, "-");
    const absl::Time contact = start + absl::Hours(pick(60 * 24)) + absl::Minutes(pick(60));
    if (i % 17 == 0) {  // a meeting registered before the first contact
      cohort.Add(e + "early", person, contact - absl::Hours(30), contact - absl::Hours(30),
                 R"("meeting_held":{"channel":"PHONE"})");
    }
    const absl::Time contact_recorded = i % 11 == 0 ? contact + absl::Hours(72) : contact;
    cohort.Add(e + "fc", person, contact, contact_recorded,
               absl::StrCat(R"("first_contact":{"has_youth_education":false,)",
                            R"("benefit":"UDDANNELSESHJAELP","age_years":)", 18 + pick(11), "}"));
    for (int m = 0, meetings = pick(4); m < meetings; ++m) {
      const absl::Time at = contact + absl::Hours(24 * (2 + pick(12) + 14 * m) + pick(8));
      cohort.Add(absl::StrCat(e, "m", m), person, at, at,
                 R"("meeting_held":{"channel":"IN_PERSON","guidance_topics":["RULE_225_HOURS"]})");
      if (m == 0 && i % 13 == 0) {  // re-delivered
        cohort.Add(
            absl::StrCat(e, "m", m), person, at, at + absl::Hours(1),
            R"("meeting_held":{"channel":"IN_PERSON","guidance_topics":["RULE_225_HOURS"]})");
      }
      if (m == 0 && i % 19 == 0) {
        cohort.Add(e + "void", person, at + absl::Hours(5), at + absl::Hours(5),
                   absl::StrCat(R"("registration_voided":{"voided_event_id":")", e, "m0\"}"));
      }
    }
    if (pick(3) > 0) {
      const absl::Time at = contact + absl::Hours(24 * (5 + pick(40)));
      cohort.Add(e + "tna", person, at, at,
                 R"("test_need_assessed":{"outcome":"NOT_NEEDED_YOUTH_EDUCATION"})");
    }
    if (pick(2) == 0) {
      const absl::Time at = contact + absl::Hours(24 * (20 + pick(90)));
      cohort.Add(e + "vis", person, at, at,
                 R"("visitation_decided":{"group":"UDDANNELSESPARAT","is_final":true,)"
                 R"("justification_documented":true,"youth_perspective_documented":true})");
    }
    if (pick(4) == 0) {
      const absl::Time at = contact + absl::Hours(24 * (1 + pick(30)));
      cohort.Add(e + "cv", person, at, at, R"("cv_published":{"job_goal_count":2})");
    }
    if (i % 23 == 5) {
      const absl::Time at = contact + absl::Hours(24 * 10);
      cohort.Add(e + "erased", person, at, at, R"("person_erased":{})");
    }
    if (i % 41 == 7) cohort.AddRaw(contact + absl::Minutes(1), "{ not json");
  }
  return cohort.Sorted();
}

}  // namespace fristvagt::testing
