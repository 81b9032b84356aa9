// The simulator in-process: determinism, the shape of its output (valid, ordered, the noise it
// promises), and its calibration to the fokusrevision. Its consistency with the rules engine
// is end_to_end_test.cc's job.

#include "cohort/simulator.h"

#include <map>
#include <regex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_split.h"
#include "cohort/municipalities.h"
#include "cohort/reference.h"
#include "gtest/gtest.h"
#include "processor/input/event_decoder.h"
#include "rules/course.h"

namespace fristvagt::cohort {
namespace {

struct Output {
  std::string events;
  std::string truth;
  std::vector<std::string> lines;
  std::vector<std::string> truth_lines;
  SimulateStats stats;
};

Output SimulateToMemory(const SimulateOptions& options) {
  Output out;
  SimulateSinks sinks;
  sinks.format = processor::EventToJson;
  sinks.events = [&](std::string_view line) {
    out.events.append(line.data(), line.size()).push_back('\n');
    out.lines.emplace_back(line);
    return absl::OkStatus();
  };
  sinks.truth = [&](std::string_view line) {
    out.truth.append(line.data(), line.size()).push_back('\n');
    out.truth_lines.emplace_back(line);
    return absl::OkStatus();
  };
  absl::StatusOr<SimulateStats> stats = Simulate(options, sinks);
  EXPECT_TRUE(stats.ok()) << stats.status();
  if (stats.ok()) out.stats = *stats;
  return out;
}

SimulateOptions Small(uint64_t seed) {
  SimulateOptions options;
  options.persons = 400;
  options.municipalities = 5;
  options.seed = seed;
  return options;
}

TEST(SimulatorTest, SameSeedGivesTheSameBytes) {
  const Output a = SimulateToMemory(Small(7));
  const Output b = SimulateToMemory(Small(7));
  ASSERT_GT(a.events.size(), 1000u);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.truth, b.truth);
  const Output c = SimulateToMemory(Small(8));
  EXPECT_NE(a.events, c.events);
  EXPECT_NE(a.truth, c.truth);
}

TEST(SimulatorTest, WindowedGenerationGivesTheSameBytesAsOnePass) {
  // Large cohorts are written window by window of recorded_at, generating the persons again
  // for each; the bytes must not depend on that.
  SimulateOptions options = Small(3);
  options.windows = 1;
  const Output one_pass = SimulateToMemory(options);
  options.windows = 4;
  const Output four_passes = SimulateToMemory(options);
  EXPECT_EQ(one_pass.events, four_passes.events);
  EXPECT_EQ(one_pass.truth, four_passes.truth);
}

TEST(SimulatorTest, LinesAreValidOrderedAndNoisyAsPromised) {
  const Output out = SimulateToMemory(Small(11));
  const processor::EventDecoder decoder;
  const std::regex key_shape("p-[0-9a-f]{16}");
  std::set<std::string> codes;
  for (const Municipality& m : SelectMunicipalities(5)) codes.insert(std::string(m.code));
  absl::Time last = absl::InfinitePast();
  int rejected = 0, voids = 0;
  std::map<std::string, int> seen_ids;
  for (const std::string& line : out.lines) {
    processor::DecodeResult decoded = decoder.FromJson(line);
    if (std::holds_alternative<processor::Rejection>(decoded)) {
      ++rejected;
      continue;
    }
    const v1::CaseEvent& event = std::get<v1::CaseEvent>(decoded);
    EXPECT_TRUE(std::regex_match(event.person_key(), key_shape)) << event.person_key();
    EXPECT_FALSE(processor::LooksLikeCpr(event.person_key()));
    EXPECT_TRUE(codes.count(event.municipality_code())) << event.municipality_code();
    const absl::Time recorded = rules::ToAbslTime(event.recorded_at());
    EXPECT_GE(recorded, last) << "not in recorded_at order: " << line;
    EXPECT_LE(rules::ToAbslTime(event.occurred_at()), recorded) << line;
    EXPECT_LT(recorded, PeriodEnd(Small(11)));
    last = recorded;
    voids += event.has_registration_voided() ? 1 : 0;
    ++seen_ids[event.event_id()];
  }
  int redelivered = 0;
  for (const auto& [id, count] : seen_ids) redelivered += count - 1;
  EXPECT_EQ(rejected, out.stats.malformed);
  EXPECT_GT(out.stats.malformed, 0);
  EXPECT_EQ(voids, out.stats.voided);
  EXPECT_GT(out.stats.voided, 0);
  EXPECT_EQ(redelivered, out.stats.redelivered);
  EXPECT_GT(out.stats.redelivered, 0);
  EXPECT_GT(out.stats.out_of_scope, 0);
  EXPECT_EQ(out.truth_lines.size(), out.stats.truth_rows + 1);
}

// The ground truth against the fokusrevision: per visitation group where it gives per-group
// figures (the overall figure depends on the group mix of its sample), overall otherwise.
TEST(SimulatorTest, GroundTruthFollowsTheFokusrevision) {
  SimulateOptions options;
  options.persons = 5000;
  options.seed = 1;
  SimulateSinks sinks;
  std::map<std::string, std::array<std::pair<int, int>, 4>> met;  // rule -> [group|all] (met, n)
  bool header = true;
  sinks.format = [](const v1::CaseEvent&) { return std::string(); };
  sinks.events = [](std::string_view) { return absl::OkStatus(); };
  sinks.truth = [&](std::string_view line) {
    if (header) {
      header = false;
      return absl::OkStatus();
    }
    const std::vector<std::string> f = absl::StrSplit(std::string(line), ',');
    v1::VisitationGroup group = v1::UDDANNELSESPARAT;
    EXPECT_TRUE(v1::VisitationGroup_Parse(f[2], &group));
    for (int slot : {GroupIndex(group), 3}) {
      met[f[3]][slot].first += f[6] == "true" ? 1 : 0;
      ++met[f[3]][slot].second;
    }
    return absl::OkStatus();
  };
  ASSERT_TRUE(Simulate(options, sinks).ok());
  const std::map<std::string, std::vector<std::pair<int, double>>> expected = {
      {"first_meeting", {{3, 92}}},
      {"final_visitation", {{3, 94}}},
      {"visitation_justified", {{3, 75}}},
      {"paalaeg_at_first_meeting", {{0, 98}, {3, 79}}},
      {"test_need_assessment", {{3, 69}}},
      {"test_completed", {{3, 29}}},
      {"course_after_test", {{3, 50}}},
      {"guidance_225_hours", {{3, 61}}},
      {"coordinating_caseworker", {{3, 14}}},
      {"paalaeg_followed_up", {{0, 72}, {2, 42}}},
      {"first_offer", {{3, 50}}},
      {"offer_justified", {{3, 64.6}}},
      {"sanction_decision", {{0, 70}, {1, 71}, {2, 56}}},
      {"education_goal_in_plan", {{0, 74}, {1, 62}, {2, 37}}},
      {"cv_visible", {{3, 19}}},
      {"jobseeker_registered", {{3, 60}}},
      {"duty_assessment", {{3, 45}}},
      {"info_transfer", {{3, 3}}},
  };
  for (const auto& [rule, figures] : expected) {
    for (const auto& [slot, figure] : figures) {
      const auto [m, n] = met[rule][slot];
      ASSERT_GT(n, 100) << rule << " slot " << slot;
      // Two to three standard errors over a few hundred obligations, plus the drift of
      // waivers: an obligation that a course end waives is always an unmet one, so rules whose
      // windows can reach past a course end measure a few points above the rate drawn.
      EXPECT_NEAR(100.0 * m / n, figure, 5.0) << rule << " slot " << slot << " n=" << n;
    }
  }
}

TEST(SimulatorTest, RejectsBadOptions) {
  SimulateOptions options;
  options.persons = 0;
  EXPECT_FALSE(ValidateOptions(options).ok());
  options.persons = 10;
  options.municipalities = 99;
  EXPECT_FALSE(ValidateOptions(options).ok());
  options.municipalities = 98;
  EXPECT_TRUE(ValidateOptions(options).ok());
  options.months = 2;
  EXPECT_FALSE(ValidateOptions(options).ok());
}

}  // namespace
}  // namespace fristvagt::cohort
