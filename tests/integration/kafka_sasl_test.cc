// Kafka security on a real broker (issue 18): a one-node cluster of its own whose SASL listener
// takes SCRAM-SHA-512 (the credential registered when the storage is formatted, the KRaft way:
// StorageTool format --add-scram) and PLAIN; fristvagt connects through the `[kafka]`
// passthrough. A wrong password is a clear start-up error (exit 2 naming the settings), not a
// retry loop that looks healthy; the right one runs and processes.
//
// The SCRAM credential is checked with the Java client (kafka-cluster login): librdkafka before
// 2.6.1 (Debian 12 ships 2.0.2) builds a SCRAM proof that Kafka 4.x brokers refuse even with
// the right password. With such a librdkafka, fristvagt's right-password SCRAM start must end in
// exit 2 with a message that says so; with a fixed one it must run. PLAIN (over TLS in
// production, docs/operations.md) is what runs here with the right password; SASL_SSL with a
// keystore the test makes with keytool is the second test.
#include <signal.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_cluster.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;

constexpr char kUser[] = "fristvagt";
constexpr char kPassword[] = "right-pw-7Qx";

class KafkaSaslTest : public ::testing::Test {
 protected:
  // The SASL listener (SCRAM-SHA-512 with the credential made at format time, and PLAIN),
  // as SASL_PLAINTEXT or, with `keystore`, SASL_SSL; `extra` broker properties on top.
  void StartCluster(const std::string& protocol, const std::vector<std::string>& extra = {}) {
    testing::KafkaClusterOptions options;
    options.listeners = {"SASL=" + protocol};
    options.properties = {
        "sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN",
        "listener.name.sasl.scram-sha-512.sasl.jaas.config="
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        absl::StrCat("listener.name.sasl.plain.sasl.jaas.config="
                     "org.apache.kafka.common.security.plain.PlainLoginModule required user_",
                     kUser, "=\"", kPassword, "\";")};
    options.properties.insert(options.properties.end(), extra.begin(), extra.end());
    options.format_args = {"--add-scram",
                           absl::StrCat("SCRAM-SHA-512=[name=", kUser, ",password=", kPassword, "]")};
    absl::StatusOr<std::unique_ptr<testing::KafkaCluster>> cluster =
        testing::KafkaCluster::Start(dir_.path() / "cluster", options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    plain_ = cluster_->bootstrap();
    sasl_ = cluster_->bootstrap("SASL");
  }

  // Produces a small cohort over PLAINTEXT, runs fristvagt over the SASL listener with
  // `settings` until it applied all of it, and checks that it raised alerts and stops cleanly.
  void ExpectRunsAndProcesses(const std::string& name, testing::RunSettings settings) {
    ASSERT_TRUE(testing::CreateTopics(plain_, {{"case-events", 3, -1, {}}}).ok());
    const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 20, .seed = 18});
    ASSERT_TRUE(testing::Produce(plain_, "case-events", testing::CaseEventMessages(lines)).ok());
    std::unique_ptr<ChildProcess> run = testing::StartProcessor(dir_.path(), name, sasl_, settings);
    ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(plain_); },
                                   absl::Seconds(90), absl::Milliseconds(250)))
        << run->ReadLog();
    absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(plain_);
    ASSERT_TRUE(alerts.ok()) << alerts.status();
    EXPECT_FALSE(alerts->by_id.empty());
    run->Signal(SIGTERM);
    EXPECT_EQ(run->Wait(absl::Seconds(30)), 0) << run->ReadLog();
  }

  // `kafka-cluster login` (the Java client): its exit code and output.
  std::pair<std::optional<int>, std::string> JavaLogin(const std::string& mechanism,
                                                       const std::string& password) {
    const fs::path log = dir_.path() / absl::StrCat("login-", ++logins_, ".log");
    std::unique_ptr<ChildProcess> login = ChildProcess::StartProgram(
        {testing::KafkaClusterScript().string(), "login", sasl_, mechanism, kUser, password}, {},
        log);
    std::optional<int> rc = login->Wait(absl::Seconds(90));
    return {rc, login->ReadLog()};
  }

  testing::RunSettings Settings(const std::string& name, const std::string& mechanism,
                                const std::string& password,
                                const std::string& protocol = "SASL_PLAINTEXT") {
    testing::RunSettings settings;
    settings.state_dir = dir_.path() / (name + ".state");
    settings.kafka = {{"security.protocol", protocol},
                      {"sasl.mechanism", mechanism},
                      {"sasl.username", kUser},
                      {"sasl.password", password}};
    return settings;
  }

  // `fristvagt run` against the SASL listener, which must end by itself: exit code and log.
  std::pair<std::optional<int>, std::string> RunToExit(const std::string& name,
                                                       testing::RunSettings settings) {
    std::unique_ptr<ChildProcess> run = testing::StartProcessor(dir_.path(), name, sasl_, settings);
    std::optional<int> rc = run->Wait(absl::Seconds(60));
    return {rc, run->ReadLog()};
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::KafkaCluster> cluster_;
  std::string plain_;
  std::string sasl_;
  int logins_ = 0;
};

TEST_F(KafkaSaslTest, WrongPasswordIsAStartupErrorAndTheRightOneProcesses) {
  StartCluster("SASL_PLAINTEXT");
  if (HasFatalFailure()) return;
  // The credential registered at format time exists, and only for its password.
  auto [java_right, java_right_log] = JavaLogin("SCRAM-SHA-512", kPassword);
  EXPECT_EQ(java_right, 0) << java_right_log;
  auto [java_wrong, java_wrong_log] = JavaLogin("SCRAM-SHA-512", "wrong-pw");
  EXPECT_EQ(java_wrong, 3) << java_wrong_log;

  // A wrong SCRAM password: exit 2 at once, naming the settings and the broker's reason.
  auto [wrong, wrong_log] = RunToExit("wrong", Settings("wrong", "SCRAM-SHA-512", "wrong-pw"));
  EXPECT_EQ(wrong, 2) << wrong_log;
  EXPECT_TRUE(absl::StrContains(wrong_log, "check [kafka] sasl.username and sasl.password"))
      << wrong_log;
  EXPECT_TRUE(absl::StrContains(wrong_log, "Authentication failed")) << wrong_log;
  EXPECT_FALSE(absl::StrContains(wrong_log, "wrong-pw")) << "the password is never logged";

  // The right SCRAM password: refused by this librdkafka's SCRAM, and then said so.
  if (rd_kafka_version() < 0x020601ff) {
    auto [scram, scram_log] = RunToExit("scram", Settings("scram", "SCRAM-SHA-512", kPassword));
    EXPECT_EQ(scram, 2) << scram_log;
    EXPECT_TRUE(absl::StrContains(scram_log, "fixed in librdkafka 2.6.1")) << scram_log;
  }

  // A wrong PLAIN password: the same start-up error.
  auto [plain_wrong, plain_wrong_log] = RunToExit("plainwrong", Settings("plainwrong", "PLAIN", "wrong-pw"));
  EXPECT_EQ(plain_wrong, 2) << plain_wrong_log;

  // The right password: runs, creates its topics through the SASL listener and processes the
  // events the case system sent (read back over the PLAINTEXT listener).
  const std::string mechanism = rd_kafka_version() < 0x020601ff ? "PLAIN" : "SCRAM-SHA-512";
  ExpectRunsAndProcesses("right", Settings("right", mechanism, kPassword));
}

// SASL_SSL: the broker's keystore made here with the JDK's keytool (a self-signed certificate
// for 127.0.0.1), fristvagt trusting it through [kafka] ssl.ca.location. Without that CA the
// TLS handshake fails, and that too is a start-up error.
TEST_F(KafkaSaslTest, SaslOverTlsWithATestKeystore) {
  const fs::path keystore = dir_.path() / "broker.p12";
  const fs::path ca = dir_.path() / "ca.pem";
  const std::string keytool = "keytool -noprompt -storetype PKCS12 -storepass store-pw ";
  ASSERT_EQ(std::system((keytool + "-genkeypair -alias broker -keyalg RSA -keysize 2048 "
                         "-validity 2 -dname CN=localhost -ext SAN=ip:127.0.0.1,dns:localhost "
                         "-keystore " + keystore.string() + " >/dev/null 2>&1")
                            .c_str()),
            0);
  ASSERT_EQ(std::system((keytool + "-exportcert -rfc -alias broker -keystore " +
                         keystore.string() + " -file " + ca.string() + " >/dev/null 2>&1")
                            .c_str()),
            0);
  StartCluster("SASL_SSL", {"listener.name.sasl.ssl.keystore.location=" + keystore.string(),
                            "listener.name.sasl.ssl.keystore.password=store-pw",
                            "listener.name.sasl.ssl.key.password=store-pw",
                            "listener.name.sasl.ssl.keystore.type=PKCS12"});
  if (HasFatalFailure()) return;

  // The system's CAs do not know the test certificate: the handshake fails, exit 2.
  auto [untrusted, untrusted_log] =
      RunToExit("untrusted", Settings("untrusted", "PLAIN", kPassword, "SASL_SSL"));
  EXPECT_EQ(untrusted, 2) << untrusted_log;
  EXPECT_TRUE(absl::StrContains(untrusted_log, "TLS handshake with the brokers failed"))
      << untrusted_log;

  testing::RunSettings settings = Settings("tls", "PLAIN", kPassword, "SASL_SSL");
  settings.kafka["ssl.ca.location"] = ca.string();
  ExpectRunsAndProcesses("tls", settings);
}

}  // namespace
}  // namespace fristvagt
