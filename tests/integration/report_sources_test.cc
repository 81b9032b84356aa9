// The report's three sources agree on a real deployment: `fristvagt run` on an embedded broker
// processes a synthetic cohort and is stopped; the kontrolpunkter measured from its compacted
// obligations topic (report --bootstrap) equal those measured from its state dir (report
// --state-dir) of the stopped instance, per rule, municipality, caseworker and month; while it
// ran, GET /v1/report (behind the token) gave the same figures, and its /report page, loaded
// in headless Chromium, shows them and prints to PDF.

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cohort/manager_page.h"
#include "cohort/obligations.h"
#include "cohort/obligations_topic.h"
#include "cohort/report.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

void ExpectSame(const std::map<std::string, cohort::Share>& a,
                const std::map<std::string, cohort::Share>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [key, share] : a) {
    ASSERT_TRUE(b.count(key)) << what << " " << key;
    EXPECT_EQ(share.obligations, b.at(key).obligations) << what << " " << key;
    EXPECT_EQ(share.not_met, b.at(key).not_met) << what << " " << key;
  }
}

TEST(ReportSourcesTest, ObligationsTopicAndStateDirGiveTheSameFigures) {
  testing::TempDir dir;
  absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(dir.path(), 3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 150, .seed = 5});
  ASSERT_TRUE(
      testing::Produce(broker->bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());
  testing::RunSettings settings;
  settings.state_dir = dir.path() / "state";
  settings.http_port = testing::FreeTcpPort();
  std::unique_ptr<testing::ChildProcess> run =
      testing::StartProcessor(dir.path(), "run", broker->bootstrap, settings);
  size_t last = 0;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        if (!testing::InputApplied(broker->bootstrap)) return false;
        absl::StatusOr<std::map<int32_t, int64_t>> ends =
            testing::EndOffsets(broker->bootstrap, "fristvagt.obligations");
        size_t records = 0;
        if (ends.ok()) {
          for (const auto& [p, end] : *ends) records += end;
        }
        const bool stable = records > 0 && records == last;
        last = records;
        return stable;
      },
      absl::Seconds(90), absl::Milliseconds(700)))
      << run->ReadLog();
  // Live: the JSON report and the manager's page, behind the token.
  const std::map<std::string, std::string> auth = {
      {"Authorization", "Bearer " + settings.http_token}};
  std::optional<testing::HttpResult> json = testing::HttpGet(settings.http_port, "/v1/report", auth);
  ASSERT_TRUE(json.has_value());
  ASSERT_EQ(json->status, 200) << json->body;
  std::optional<testing::HttpResult> page = testing::HttpGet(settings.http_port, "/report", auth);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(page->headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(testing::HttpGet(settings.http_port, "/report")->status, 401);
  EXPECT_EQ(testing::HttpGet(settings.http_port, "/v1/report", {{"Authorization", "Bearer x"}})->status,
            401);
  testing::WriteFile(dir.path() / "page.html", page->body);
  run->Signal(SIGTERM);
  ASSERT_TRUE(run->Wait(absl::Seconds(30)).has_value()) << run->ReadLog();

  absl::StatusOr<cohort::ObligationSet> topic =
      cohort::ReadObligationsTopic(broker->bootstrap, "fristvagt.obligations");
  ASSERT_TRUE(topic.ok()) << topic.status();
  absl::StatusOr<cohort::ObligationSet> state = cohort::ReadStateDir(settings.state_dir.string());
  ASSERT_TRUE(state.ok()) << state.status();
  const cohort::ComplianceReport from_topic = cohort::MeasureObligations(*topic, nullptr);
  const cohort::ComplianceReport from_state = cohort::MeasureObligations(*state, nullptr);
  ASSERT_EQ(from_topic.rules.size(), from_state.rules.size());
  ASSERT_GE(from_state.rules.size(), 4u);
  for (size_t i = 0; i < from_state.rules.size(); ++i) {
    const cohort::RuleResult& t = from_topic.rules[i];
    const cohort::RuleResult& s = from_state.rules[i];
    ASSERT_EQ(t.rule_id, s.rule_id);
    EXPECT_EQ(t.all.obligations, s.all.obligations) << s.rule_id;
    EXPECT_EQ(t.all.not_met, s.all.not_met) << s.rule_id;
    ExpectSame(t.by_municipality, s.by_municipality, s.rule_id + " municipality");
    ExpectSame(t.by_caseworker, s.by_caseworker, s.rule_id + " caseworker");
    ExpectSame(t.by_month, s.by_month, s.rule_id + " month");
  }

  // The command line reads the topic the same way: `report --bootstrap` prints those figures.
  const std::string csv_path = (dir.path() / "bootstrap.csv").string();
  ASSERT_EQ(testing::RunBinary("report --bootstrap " + broker->bootstrap + " --csv " + csv_path +
                               " >/dev/null 2>" + csv_path + ".err"),
            0)
      << testing::ReadFile(csv_path + ".err");
  const std::string csv = testing::ReadFile(csv_path);
  for (const cohort::RuleResult& r : from_state.rules) {
    EXPECT_NE(csv.find(absl::StrFormat("all,,%s,%d,%d,", r.rule_id, r.all.obligations, r.all.not_met)),
              std::string::npos)
        << r.rule_id << "\n" << csv;
  }

  // The live JSON has the stopped instance's figures (nothing changed in between).
  google::protobuf::Struct live;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json->body, &live).ok()) << json->body;
  const auto& kontrolpunkter = live.fields().at("kontrolpunkter").list_value().values();
  ASSERT_EQ(static_cast<size_t>(kontrolpunkter.size()), from_state.rules.size());
  for (int i = 0; i < kontrolpunkter.size(); ++i) {
    const auto& k = kontrolpunkter[i].struct_value().fields();
    const cohort::RuleResult& s = from_state.rules[i];
    EXPECT_EQ(k.at("rule_id").string_value(), s.rule_id);
    const auto& all = k.at("all").struct_value().fields();
    EXPECT_EQ(all.at("obligations").number_value(), s.all.obligations) << s.rule_id;
    EXPECT_EQ(all.at("not_met").number_value(), s.all.not_met) << s.rule_id;
  }

  // The manager's page from the running instance, in Chromium: its figures, a screenshot and
  // the PDF for the quarterly review.
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "no /usr/bin/chromium";
  auto chromium = [&](const std::string& action, const std::string& out) {
    return std::system(("/usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
                        "--disable-background-networking --disable-component-update "
                        "--disable-sync --user-data-dir=" + (dir.path() / "chromium").string() +
                        " " + action + " file://" + (dir.path() / "page.html").string() + " >" +
                        (dir.path() / out).string() + " 2>/dev/null").c_str());
  };
  ASSERT_EQ(chromium("--dump-dom", "dom.html"), 0);
  const std::string dom = testing::ReadFile(dir.path() / "dom.html");
  EXPECT_NE(dom.find("Kræver opmærksomhed nu"), std::string::npos);
  for (const cohort::RuleResult& r : from_state.rules) {
    if (!r.kontrolpunkt || !r.kontrolpunkt->reference_pct || r.all.obligations == 0 ||
        r.all.MeasuredPct() >= *r.kontrolpunkt->reference_pct) {
      continue;
    }
    EXPECT_NE(dom.find("data-rule=\"" + r.rule_id + "\" data-pct=\"" +
                       absl::StrFormat("%.1f", r.all.MeasuredPct()) + "\""),
              std::string::npos)
        << r.rule_id;
  }
  EXPECT_NE(dom.find("data-caseworker="), std::string::npos) << "no caseworkers on the page";
  ASSERT_EQ(chromium("--window-size=1200,1600 --screenshot=" + (dir.path() / "live.png").string(),
                     "shot.log"),
            0);
  EXPECT_GT(std::filesystem::file_size(dir.path() / "live.png"), 20000u);
  ASSERT_EQ(chromium("--no-pdf-header-footer --print-to-pdf=" + (dir.path() / "live.pdf").string(),
                     "pdf.log"),
            0);
  EXPECT_EQ(testing::ReadFile(dir.path() / "live.pdf").substr(0, 5), "%PDF-");
  if (const char* keep = std::getenv("FRISTVAGT_SCREENSHOT_DIR")) {
    std::filesystem::copy_file(dir.path() / "live.png", std::filesystem::path(keep) / "manager-page-live.png",
                               std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace
}  // namespace fristvagt
