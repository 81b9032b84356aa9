// Metrics (docs/metrics.md): `promtool check metrics` accepts the exposition, labels are
// bounded, and every name that docs/metrics.md lists is exposed.

#include "processor/base/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>

#include "tests/testing/binary.h"

namespace fristvagt::processor {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void Fill(Metrics& m) {
  m.SetBuildInfo("1.2.3", {"lab2016", "lab2026"});
  m.DeclareDeadLetterCodes({"BAD_TIME", "TOO_LARGE"});
  m.AddDeadLetter("BAD_TIME");
  m.AddAlert("BREACH", "first_meeting", "851");
  m.AddAlert("DIGEST", "", "not-a-code");
  m.ObserveBatch(0.02);
  m.ObserveEventToAlert(1.5);
  m.ObserveHttpRequest("/healthz", 200);
  m.SetLag(0, 5);
  m.SetPartitionsAssigned(1);
  m.SetRestoreRemaining(0, 0);
  m.SetObligations({{{"first_meeting", "851"}, {3, 1}}});
  m.events_consumed = 1234567;
}

TEST(MetricsTest, PromtoolAcceptsTheExposition) {
  Metrics m;
  Fill(m);
  testing::TempDir dir;
  const std::string path = (dir.path() / "metrics.txt").string();
  std::ofstream(path) << m.RenderPrometheus();
  const std::string command = "promtool check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << out;
  EXPECT_EQ(out, "");
}

TEST(MetricsTest, LabelsAreBoundedAndCarryNoPersonData) {
  Metrics m;
  Fill(m);
  const std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("fristvagt_build_info{regimes=\"lab2016,lab2026\",version=\"1.2.3\"} 1"));
  EXPECT_THAT(text, HasSubstr("fristvagt_processor_dead_letters_total{code=\"BAD_TIME\"} 1"));
  EXPECT_THAT(text, HasSubstr("fristvagt_processor_dead_letters_total{code=\"TOO_LARGE\"} 0"));
  EXPECT_THAT(text, HasSubstr("municipality=\"other\""));  // not a three-digit code
  EXPECT_THAT(text, Not(HasSubstr("not-a-code")));
  EXPECT_THAT(text, HasSubstr("fristvagt_obligations_overdue{municipality=\"851\",rule=\"first_meeting\"} 1"));
  EXPECT_THAT(text, HasSubstr("fristvagt_processor_events_consumed_total 1234567\n"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes"));
}

TEST(MetricsTest, ObligationCountsThatDisappearReadZero) {
  Metrics m;
  m.SetObligations({{{"cv_visible", "101"}, {2, 2}}});
  m.SetObligations({});
  EXPECT_THAT(m.RenderPrometheus(),
              HasSubstr("fristvagt_obligations_open{municipality=\"101\",rule=\"cv_visible\"} 0"));
}

TEST(MetricsTest, EveryDocumentedMetricIsExposed) {
  std::ifstream doc(testing::SourceDir() / "docs" / "metrics.md");
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  std::set<std::string> documented;
  const std::regex name("`((fristvagt|process)_[a-z0-9_]+)`");
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
    documented.insert((*it)[1]);
  }
  ASSERT_GT(documented.size(), 20u);
  Metrics m;
  Fill(m);
  const std::string exposed = m.RenderPrometheus();
  for (const std::string& metric : documented) {
    EXPECT_THAT(exposed, HasSubstr("# TYPE " + metric + " ")) << metric;
  }
}

}  // namespace
}  // namespace fristvagt::processor
