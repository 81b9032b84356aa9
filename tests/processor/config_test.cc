#include "processor/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/binary.h"

namespace fristvagt::processor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ConfigTest, ShippedExampleParses) {
  std::vector<std::string> errors;
  auto config = LoadConfig((testing::SourceDir() / "deploy" / "fristvagt.toml").string(), &errors);
  ASSERT_TRUE(config.ok()) << ::testing::PrintToString(errors);
  EXPECT_TRUE(config->embedded());
  EXPECT_EQ(config->state_dir, "/var/lib/fristvagt");
  EXPECT_EQ(config->batch_size, 500);
}

TEST(ConfigTest, EmptyFileMeansEveryDefaultAndTheEmbeddedBroker) {
  std::vector<std::string> errors;
  auto config = ParseConfig("", "empty.toml", &errors);
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->embedded());
  EXPECT_EQ(config->topics.input, "case-events");
  EXPECT_EQ(config->guarantee, ProcessingGuarantee::kAtLeastOnce);
  EXPECT_EQ(config->batch_linger, absl::Milliseconds(20));
}

TEST(ConfigTest, KafkaKeysPassThroughAsText) {
  std::vector<std::string> errors;
  auto config = ParseConfig(
      "[kafka]\n\"bootstrap.servers\" = \"k:9092\"\n\"linger.ms\" = 5\n\"enable.idempotence\" = "
      "true\n[processing]\nprocessing_guarantee = \"exactly_once\"\n",
      "c.toml", &errors);
  ASSERT_TRUE(config.ok()) << ::testing::PrintToString(errors);
  EXPECT_FALSE(config->embedded());
  EXPECT_EQ(config->kafka.at("linger.ms"), "5");
  EXPECT_EQ(config->kafka.at("enable.idempotence"), "true");
  EXPECT_EQ(config->guarantee, ProcessingGuarantee::kExactlyOnce);
}

TEST(ConfigTest, EveryProblemNamesFileLineAndKey) {
  std::vector<std::string> errors;
  auto config = ParseConfig(
      "[processing]\nbatch_size = 0\nprocessing_guarantee = \"twice\"\n[stat]\ndir = \"x\"\n"
      "[http]\nport = \"80\"\n",
      "c.toml", &errors);
  EXPECT_FALSE(config.ok());
  EXPECT_THAT(errors, ElementsAre(HasSubstr("c.toml:4: stat: unknown section"),
                                  HasSubstr("c.toml:2: processing.batch_size: must be between"),
                                  HasSubstr("c.toml:3: processing.processing_guarantee: \"twice\""),
                                  HasSubstr("c.toml:7: http.port: must be an integer")));
}

TEST(ConfigTest, SyntaxErrorsNameTheLine) {
  std::vector<std::string> errors;
  EXPECT_FALSE(ParseConfig("[http]\nport = = 3\n", "c.toml", &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("c.toml:2:"));
}

}  // namespace
}  // namespace fristvagt::processor
