// The report's HTML page in a real browser: headless Chromium renders it to a PNG, which must
// show more than one colour, and the page holds one chart per kontrolpunkt reported. Skipped
// when Chromium is not installed.

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cohort/pipeline.h"

namespace fristvagt {
namespace {

constexpr char kChromium[] = "/usr/bin/chromium";

uint32_t BigEndian(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(s[at + 3])};
}

// The distinct pixel values of an 8-bit RGB(A) PNG, counted up to `limit`; -1 when the file
// is not such a PNG.
int DistinctColours(const std::string& png, int limit) {
  if (png.size() < 33 || png.compare(1, 3, "PNG") != 0) return -1;
  const uint32_t width = BigEndian(png, 16), height = BigEndian(png, 20);
  const int depth = png[24], colour_type = png[25];
  if (depth != 8 || (colour_type != 2 && colour_type != 6)) return -1;
  const size_t channels = colour_type == 6 ? 4 : 3;
  std::string idat;
  for (size_t at = 8; at + 8 <= png.size();) {
    const uint32_t length = BigEndian(png, at);
    if (png.compare(at + 4, 4, "IDAT") == 0) idat += png.substr(at + 8, length);
    at += 12 + length;
  }
  const size_t stride = width * channels;
  std::vector<uint8_t> raw((stride + 1) * height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
      Z_OK) {
    return -1;
  }
  std::vector<uint8_t> previous(stride, 0), row(stride);
  std::set<uint32_t> colours;
  for (uint32_t y = 0; y < height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in = &raw[y * (stride + 1) + 1];
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= channels ? row[x - channels] : 0, b = previous[x];
      const int c = x >= channels ? previous[x - channels] : 0;
      int predicted = 0;
      switch (filter) {
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          break;
      }
      row[x] = static_cast<uint8_t>(in[x] + predicted);
    }
    for (size_t x = 0; x < stride; x += channels) {
      colours.insert((uint32_t{row[x]} << 16) | (uint32_t{row[x + 1]} << 8) | row[x + 2]);
      if (static_cast<int>(colours.size()) >= limit) return limit;
    }
    previous.swap(row);
  }
  return static_cast<int>(colours.size());
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(CohortHtmlTest, ChromiumRendersOneChartPerKontrolpunkt) {
  if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << kChromium << " is not installed";
  testing::CohortPipeline run;
  ASSERT_EQ(run.Simulate(500, 25, 3, 6), 0) << run.Read("simulate.err");
  ASSERT_EQ(run.Replay(), 0);
  ASSERT_EQ(run.Report("--html " + run.Path("report.html").string()), 0);

  const std::string html = run.Read("report.html");
  const size_t kontrolpunkter = run.Csv("all").size();
  ASSERT_GE(kontrolpunkter, 15u);
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), kontrolpunkter);
  EXPECT_EQ(Count(html, "<details>"), Count(html, "</details>"));
  EXPECT_EQ(html.find("http"), std::string::npos) << "the page must be self-contained";

  const std::string png = run.Path("report.png").string();
  const std::string command = absl::StrCat(
      kChromium, " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run ",
      "--disable-background-networking --disable-component-update --disable-sync ",
      "--user-data-dir=", run.Path("chromium-profile").string(), " --screenshot=", png,
      " --window-size=1200,2000 file://", run.Path("report.html").string(), " >",
      run.Path("chromium.log").string(), " 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << run.Read("chromium.log");
  const std::string image = run.Read("report.png");
  ASSERT_GT(image.size(), 1000u) << run.Read("chromium.log");
  EXPECT_GE(DistinctColours(image, 16), 16) << "the screenshot is (nearly) one colour";
}

}  // namespace
}  // namespace fristvagt
