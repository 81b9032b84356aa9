#include "processor/base/config.h"

#include <cstdlib>
#include <fstream>

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
  EXPECT_EQ(config->cached_persons, 50000);
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

TEST(ConfigTest, AlertsSectionSetsFormatRetentionAndDigest) {
  std::vector<std::string> errors;
  auto config = ParseConfig(
      "[alerts]\nformat = \"json\"\nobligation_retention_days = 30\ndigest = true\n"
      "digest_hour = 6\ndigest_working_days = 3\n",
      "c.toml", &errors);
  ASSERT_TRUE(config.ok()) << ::testing::PrintToString(errors);
  EXPECT_EQ(config->alert_output.format, alerts::WireFormat::kJson);
  EXPECT_EQ(config->alert_output.obligation_retention_days, 30);
  EXPECT_TRUE(config->alert_output.digest);
  EXPECT_EQ(config->alert_output.digest_hour, 6);
  EXPECT_EQ(config->alert_output.digest_working_days, 3);

  errors.clear();
  EXPECT_FALSE(ParseConfig("[alerts]\nformat = \"xml\"\ndigest_hour = 24\ndigests = true\n",
                           "c.toml", &errors)
                   .ok());
  EXPECT_THAT(errors, ElementsAre(HasSubstr("c.toml:4: alerts.digests: unknown key"),
                                  HasSubstr("c.toml:2: alerts.format: \"xml\""),
                                  HasSubstr("c.toml:3: alerts.digest_hour: must be between")));
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

TEST(ConfigTest, MaxEventsPerPersonIsBounded) {
  std::vector<std::string> errors;
  auto config = ParseConfig("[input]\nmax_events_per_person = 500\n", "c.toml", &errors);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_events_per_person, 500);
  EXPECT_EQ(ParseConfig("", "c.toml", &errors)->max_events_per_person, 10000);
  // No way to switch the safeguard off.
  EXPECT_FALSE(ParseConfig("[input]\nmax_events_per_person = 0\n", "c.toml", &errors).ok());
  EXPECT_THAT(errors, Contains(HasSubstr("c.toml:2: input.max_events_per_person: must be between")));
}

TEST(ConfigTest, ProcessingThreadsAreBounded) {
  std::vector<std::string> errors;
  EXPECT_EQ(ParseConfig("", "c.toml", &errors)->threads, 1);
  auto config = ParseConfig("[processing]\nthreads = 2\n", "c.toml", &errors);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->threads, 2);
  EXPECT_FALSE(ParseConfig("[processing]\nbatch_size = 5\nthreads = 0\n", "c.toml", &errors).ok());
  EXPECT_THAT(errors, Contains(HasSubstr("c.toml:3: processing.threads: must be between 1 and 64")));
}

TEST(ConfigTest, SyntaxErrorsNameTheLine) {
  std::vector<std::string> errors;
  EXPECT_FALSE(ParseConfig("[http]\nport = = 3\n", "c.toml", &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("c.toml:2:"));
}

TEST(ConfigTest, QueryApiKeys) {
  std::vector<std::string> errors;
  auto config = ParseConfig(
      "[topics]\ninstances = \"i\"\n[input]\npartitioner = \"consistent_random\"\n"
      "[http]\ntoken = \"t0k3n\"\nadvertised_address = \"pod-1.svc:8080\"\n",
      "c.toml", &errors);
  ASSERT_TRUE(config.ok()) << ::testing::PrintToString(errors);
  EXPECT_EQ(config->topics.instances, "i");
  EXPECT_EQ(config->input_partitioner, KeyPartitioner::kConsistentRandom);
  EXPECT_EQ(config->http_token, "t0k3n");
  EXPECT_EQ(config->http_advertised_address, "pod-1.svc:8080");
  EXPECT_FALSE(config->http_allow_unauthenticated);
  auto defaults = ParseConfig("", "c.toml", &errors);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->input_partitioner, KeyPartitioner::kMurmur2Random);
  EXPECT_EQ(defaults->topics.instances, "fristvagt.instances");
  EXPECT_FALSE(ParseConfig("[input]\npartitioner = \"java\"\n", "c.toml", &errors).ok());
}

// Internal topics take the group id as prefix unless named (issue 12: a second group must not
// restore the first group's changelog); [topics] create; static membership from the file or
// the environment.
TEST(ConfigTest, InternalTopicsFollowTheGroupIdAndStaticMembership) {
  std::vector<std::string> errors;
  auto config = ParseConfig(
      "[topics]\ncreate = false\ndead_letter_retention_days = 30\n"
      "[processing]\ngroup_id = \"kommune-101\"\ngroup_instance_id = \"pod-0\"\n",
      "c.toml", &errors);
  ASSERT_TRUE(config.ok()) << ::testing::PrintToString(errors);
  EXPECT_EQ(config->topics.changelog, "kommune-101.state-changelog");
  EXPECT_EQ(config->topics.instances, "kommune-101.instances");
  EXPECT_FALSE(config->create_topics);
  EXPECT_EQ(config->dead_letter_retention_days, 30);
  EXPECT_EQ(config->group_instance_id, "pod-0");
  auto named = ParseConfig("[topics]\nchangelog = \"c\"\n[processing]\ngroup_id = \"g\"\n",
                           "c.toml", &errors);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->topics.changelog, "c");
  EXPECT_EQ(named->topics.instances, "g.instances");
  EXPECT_TRUE(named->create_topics);
  setenv("FRISTVAGT_GROUP_INSTANCE_ID", "pod-7", 1);
  auto from_env = ParseConfig("", "c.toml", &errors);
  unsetenv("FRISTVAGT_GROUP_INSTANCE_ID");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->group_instance_id, "pod-7");
  EXPECT_EQ(from_env->topics.changelog, "fristvagt.state-changelog");
}

// Runs ResolveHttpToken on a parsed file; its errors joined.
std::string Resolve(const std::string& toml, Config* config) {
  std::vector<std::string> errors;
  absl::StatusOr<Config> parsed = ParseConfig(toml, "c.toml", &errors);
  if (!parsed.ok()) return "parse error";
  *config = *parsed;
  (void)ResolveHttpToken("c.toml", config, &errors);
  std::string joined;
  for (const std::string& e : errors) joined += e + "\n";
  return joined;
}

TEST(ConfigTest, AnHttpPortNeedsATokenUnlessUnauthenticatedIsAllowedExplicitly) {
  unsetenv("FRISTVAGT_HTTP_TOKEN");
  Config config;
  EXPECT_THAT(Resolve("[processing]\nbatch_size = 5\n\n[http]\nport = 8081\n", &config),
              HasSubstr("c.toml:4: http.token: the query API needs a bearer token"));
  EXPECT_EQ(Resolve("[http]\nport = 8081\nallow_unauthenticated = true\n", &config), "");
  EXPECT_EQ(Resolve("[http]\nport = 0\n", &config), "");
  EXPECT_EQ(Resolve("[http]\ntoken = \"abc\"\n", &config), "");
  EXPECT_EQ(config.http_token, "abc");
  EXPECT_THAT(Resolve("[http]\ntoken = \"a b\"\n", &config),
              HasSubstr("http.token: the token must be printable ASCII without spaces"));
  // Without a file: the defaults (port 8080) need a token too.
  Config defaults;
  std::vector<std::string> errors;
  EXPECT_FALSE(ResolveHttpToken("", &defaults, &errors).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("http.token: "));
  EXPECT_THAT(errors[0], HasSubstr("no --config given"));
}

// Issue 18: scoped tokens instead of the single token, TLS files in pairs, plain text opt-in.
TEST(ConfigTest, TokensFileTlsPairAndPlaintextKeys) {
  unsetenv("FRISTVAGT_HTTP_TOKEN");
  Config config;
  EXPECT_EQ(Resolve("[http]\ntokens_file = \"/etc/t.toml\"\naudit_log = \"/var/a.jsonl\"\n"
                    "tls_cert_file = \"c.pem\"\ntls_key_file = \"k.pem\"\n"
                    "allow_plaintext = true\n",
                    &config),
            "");
  EXPECT_EQ(config.http_tokens_file, "/etc/t.toml");
  EXPECT_EQ(config.http_audit_log, "/var/a.jsonl");
  EXPECT_EQ(config.http_tls_cert_file, "c.pem");
  EXPECT_TRUE(config.http_allow_plaintext);
  EXPECT_THAT(Resolve("[http]\ntokens_file = \"t.toml\"\ntoken = \"abc\"\n", &config),
              HasSubstr("c.toml:1: http.tokens_file: set either http.tokens_file or"));
  EXPECT_THAT(Resolve("[http]\ntoken = \"abc\"\ntls_cert_file = \"c.pem\"\n", &config),
              HasSubstr("c.toml:1: http.tls_key_file: set both"));
}

TEST(ConfigTest, TheTokenCanComeFromAFileOrTheEnvironment) {
  const std::string path = ::testing::TempDir() + "/query_token";
  std::ofstream(path) << "from-file\n";
  Config config;
  EXPECT_EQ(Resolve("[http]\ntoken_file = \"" + path + "\"\n", &config), "");
  EXPECT_EQ(config.http_token, "from-file");
  EXPECT_THAT(Resolve("[http]\ntoken_file = \"/nonexistent/t\"\n", &config),
              HasSubstr("c.toml:1: http.token_file: cannot read a token from /nonexistent/t"));
  EXPECT_THAT(Resolve("[http]\ntoken = \"x\"\ntoken_file = \"" + path + "\"\n", &config),
              HasSubstr("http.token_file: set either http.token or http.token_file, not both"));
  setenv("FRISTVAGT_HTTP_TOKEN", "from-env", 1);
  EXPECT_EQ(Resolve("", &config), "");
  EXPECT_EQ(config.http_token, "from-env");
  EXPECT_EQ(Resolve("[http]\ntoken = \"in-file\"\n", &config), "");
  EXPECT_EQ(config.http_token, "in-file");  // the file's token wins
  unsetenv("FRISTVAGT_HTTP_TOKEN");
}

}  // namespace
}  // namespace fristvagt::processor
