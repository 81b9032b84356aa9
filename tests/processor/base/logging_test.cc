// JSON log lines: escaping (quotes, control characters, invalid UTF-8) and structured fields.
// The lines are checked with protobuf's JSON parser, a strict one.

#include "processor/base/logging.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fristvagt::processor {
namespace {

google::protobuf::Struct Parse(const std::string& json) {
  google::protobuf::Struct parsed;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &parsed);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << json;
  return parsed;
}

TEST(LoggingTest, JsonQuoteEscapesWhatWouldBreakALine) {
  const std::string text = "say \"hi\"\\ \n\t\x01 æøå \xff\xc0\xaf end";
  const std::string quoted = JsonQuote(text);
  EXPECT_EQ(quoted.find('\n'), std::string::npos);
  const google::protobuf::Struct parsed = Parse("{\"m\":" + quoted + "}");
  EXPECT_EQ(parsed.fields().at("m").string_value(),
            "say \"hi\"\\ \n\t\x01 æøå \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
}

TEST(LoggingTest, EveryLineIsJsonWithItsFields) {
  ConfigureLogging(spdlog::level::info, LogFormat::kJson);
  ::testing::internal::CaptureStderr();
  Logger("test")->info("a \"quoted\" {} with\nnewline", "value");
  {
    LogFields fields{{"partition", 3}, {"offset", int64_t{42}}, {"topic", "case-events"}};
    Logger("test")->warn("with fields");
  }
  Logger("test")->debug("not at info");
  LogFatal("config.toml:3: http.port: must be an integer", {{"code", "CONFIG"}});
  const std::string out = ::testing::internal::GetCapturedStderr();
  std::vector<std::string> lines;
  for (size_t pos = 0, end; (end = out.find('\n', pos)) != std::string::npos; pos = end + 1) {
    lines.push_back(out.substr(pos, end - pos));
  }
  ASSERT_EQ(lines.size(), 3u) << out;
  const auto first = Parse(lines[0]);
  EXPECT_EQ(first.fields().at("msg").string_value(), "a \"quoted\" value with\nnewline");
  EXPECT_EQ(first.fields().at("logger").string_value(), "test");
  EXPECT_EQ(first.fields().at("level").string_value(), "info");
  const auto second = Parse(lines[1]);
  EXPECT_EQ(second.fields().at("partition").number_value(), 3);
  EXPECT_EQ(second.fields().at("offset").number_value(), 42);
  EXPECT_EQ(second.fields().at("topic").string_value(), "case-events");
  const auto third = Parse(lines[2]);
  EXPECT_EQ(third.fields().at("level").string_value(), "critical");
  EXPECT_EQ(third.fields().at("code").string_value(), "CONFIG");
  EXPECT_EQ(third.fields().count("partition"), 0u);  // the scope ended
}

TEST(LoggingTest, LevelsParse) {
  EXPECT_EQ(ParseLogLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(ParseLogLevel("warn"), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel("loud"), std::nullopt);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
}

// Last in this file: the command line's level stays for the rest of the process.
TEST(LoggingTest, TheCommandLineLevelWinsOverTheFilesAndAFormatAloneKeepsTheLevel) {
  ConfigureLogging(spdlog::level::info);
  EXPECT_EQ(Logger("precedence")->level(), spdlog::level::info);
  ConfigureLogging(std::nullopt, LogFormat::kJson);  // [log] format without a level
  EXPECT_EQ(Logger("precedence")->level(), spdlog::level::info);
  SetCommandLineLogLevel(spdlog::level::warn);  // --log-level warn
  ConfigureLogging(spdlog::level::debug);       // [log] level = "debug", applied later
  EXPECT_EQ(Logger("precedence")->level(), spdlog::level::warn);
  EXPECT_EQ(Logger("created-after")->level(), spdlog::level::warn);
}

}  // namespace
}  // namespace fristvagt::processor
