// The manager's page in a real browser: a simulated cohort replayed into a state dir, measured
// from its obligation records, rendered, then loaded by headless Chromium. The DOM Chromium
// builds must carry the report's figures (the kontrolpunkter below the fokusrevision with
// their shares, the monthly trend, the overdue counts per caseworker adding up to the total);
// Chromium screenshots it and prints it to PDF. FRISTVAGT_SCREENSHOT_DIR keeps the PNGs
// (docs/manager-page*.png were made so). Skipped when Chromium is not installed.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cohort/manager_page.h"
#include "cohort/obligations.h"
#include "cohort/report.h"
#include "gtest/gtest.h"
#include "tests/cohort/pipeline.h"

namespace fristvagt {
namespace {

constexpr char kChromium[] = "/usr/bin/chromium";

// Runs headless Chromium on `url` with `action` (--dump-dom, --screenshot=…, --print-to-pdf=…).
int Chromium(const testing::CohortPipeline& run, const std::string& action, const std::string& url,
             const std::string& out) {
  const std::string command = absl::StrCat(
      kChromium, " --headless --no-sandbox --disable-gpu --no-first-run ",
      "--disable-background-networking --disable-component-update --disable-sync ",
      "--user-data-dir=", run.Path("chromium-profile").string(), " ", action, " ", url, " >",
      run.Path(out).string(), " 2>", run.Path("chromium.log").string());
  return std::system(command.c_str());
}

std::map<std::string, std::string> Attributes(const std::string& dom, const std::string& tag_regex,
                                              const std::string& key, const std::string& value) {
  std::map<std::string, std::string> out;
  const std::regex re(tag_regex);
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), re); it != std::sregex_iterator();
       ++it) {
    const std::string tag = it->str();
    std::smatch k, v;
    if (std::regex_search(tag, k, std::regex(key + "=\"([^\"]*)\"")) &&
        std::regex_search(tag, v, std::regex(value + "=\"([^\"]*)\""))) {
      out[k[1]] = v[1];
    }
  }
  return out;
}

TEST(ManagerPageTest, ChromiumShowsTheReportsFigures) {
  if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << kChromium << " is not installed";
  testing::CohortPipeline run;
  ASSERT_EQ(run.Simulate(800, 8, 5, 6), 0) << run.Read("simulate.err");
  ASSERT_EQ(run.ReplayToStateDir("state"), 0);
  absl::StatusOr<cohort::ObligationSet> set = cohort::ReadStateDir(run.Path("state").string());
  ASSERT_TRUE(set.ok()) << set.status();
  const cohort::ComplianceReport report = cohort::MeasureObligations(*std::move(set), nullptr);
  {
    std::ofstream page(run.Path("manager.html"));
    page << cohort::RenderManagerPage(report);
  }
  const std::string url = "file://" + run.Path("manager.html").string();
  ASSERT_EQ(Chromium(run, "--dump-dom", url, "dom.html"), 0) << run.Read("chromium.log");
  const std::string dom = run.Read("dom.html");
  ASSERT_NE(dom.find("Kræver opmærksomhed nu"), std::string::npos);
  EXPECT_EQ(dom.find("http"), std::string::npos) << "the page must be self-contained";

  // Every kontrolpunkt below the fokusrevision is listed with its measured share.
  const std::string below = dom.substr(dom.find("id=\"below-reference\""));
  const auto listed = Attributes(below.substr(0, below.find("</table>")), "<tr data-rule[^>]*>",
                                 "data-rule", "data-pct");
  size_t expected = 0;
  for (const cohort::RuleResult& r : report.rules) {
    if (!r.kontrolpunkt || !r.kontrolpunkt->reference_pct || r.all.obligations == 0 ||
        r.all.MeasuredPct() >= *r.kontrolpunkt->reference_pct) {
      continue;
    }
    ++expected;
    ASSERT_TRUE(listed.count(r.rule_id)) << r.rule_id;
    EXPECT_EQ(listed.at(r.rule_id), absl::StrFormat("%.1f", r.all.MeasuredPct())) << r.rule_id;
  }
  EXPECT_EQ(listed.size(), expected);
  EXPECT_GE(expected, 5u);  // the fokusrevision's weak spots are simulated weak

  // The trend: first_meeting's share per deadline month.
  const cohort::RuleResult* first = nullptr;
  for (const cohort::RuleResult& r : report.rules) first = r.rule_id == "first_meeting" ? &r : first;
  ASSERT_NE(first, nullptr);
  const std::string trend = dom.substr(dom.find("<tr data-rule=\"first_meeting\"", dom.find("id=\"trend\"")));
  const auto months = Attributes(trend.substr(0, trend.find("</tr>")), "<td[^>]*data-month[^>]*>",
                                 "data-month", "data-pct");
  ASSERT_GE(months.size(), 3u);
  for (const auto& [month, pct] : months) {
    EXPECT_EQ(pct, absl::StrFormat("%.1f", first->by_month.at(month).MeasuredPct())) << month;
  }

  // The overdue total is the sum over the caseworkers, and there is work to show.
  const auto overdue = Attributes(dom, "<tr class=\"cwrow\"[^>]*>", "data-caseworker", "data-overdue");
  int sum = 0;
  for (const auto& [cw, n] : overdue) sum += std::stoi(n);
  std::smatch total;
  ASSERT_TRUE(std::regex_search(dom, total, std::regex("data-count=\"([0-9]+)\" id=\"overdue-count\"")));
  EXPECT_EQ(std::stoi(total[1]), sum);
  EXPECT_GT(sum, 0);
  EXPECT_GE(overdue.size(), 8u);  // caseworkers of 8 municipalities

  // Rendered and printed.
  ASSERT_EQ(Chromium(run, "--window-size=1200,1700 --screenshot=" + run.Path("top.png").string(),
                     url, "shot.log"), 0) << run.Read("chromium.log");
  EXPECT_GT(std::filesystem::file_size(run.Path("top.png")), 20000u);
  ASSERT_EQ(Chromium(run, "--no-pdf-header-footer --print-to-pdf=" + run.Path("page.pdf").string(),
                     url, "pdf.log"), 0) << run.Read("chromium.log");
  const std::string pdf = run.Read("page.pdf");
  ASSERT_GT(pdf.size(), 20000u);
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  if (const char* keep = std::getenv("FRISTVAGT_SCREENSHOT_DIR")) {
    std::filesystem::copy_file(run.Path("top.png"), std::filesystem::path(keep) / "manager-page.png",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(run.Path("page.pdf"), std::filesystem::path(keep) / "manager-page.pdf",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(run.Path("manager.html"), std::filesystem::path(keep) / "manager-page.html",
                               std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace
}  // namespace fristvagt
