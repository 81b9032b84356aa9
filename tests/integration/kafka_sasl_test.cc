// Kafka security on a real broker (issue 18): one-node clusters of their own whose SASL listener
// takes SCRAM-SHA-512 (the credential registered when the storage is formatted, the KRaft way:
// StorageTool format --add-scram) and PLAIN; fristvagt connects through the `[kafka]`
// passthrough. A wrong password is a clear start-up error (exit 2 naming the settings), not a
// retry loop that looks healthy; the right one runs and processes.
//
// What is proven where (docs/operations.md, Kafka security):
// - Kafka 4.1.2 (the default broker): PLAIN over SASL_PLAINTEXT and over SASL_SSL. librdkafka
//   before 2.6.1 (Debian 12 ships 2.0.2) builds a SCRAM proof with the client nonce twice, which
//   Kafka 4.x refuses even with the right password (it checks the nonce strictly); the SCRAM
//   credential is then checked with the Java client (kafka-cluster login), and fristvagt's
//   right-password SCRAM start must end in exit 2 with a message that says so.
// - Kafka 3.9.1: SCRAM-SHA-512 over SASL_SSL with this librdkafka, end to end.
// SASL_SSL uses a broker keystore the test makes with the JDK's keytool.
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
  // as SASL_PLAINTEXT or SASL_SSL (`extra`: TlsListener()); `version`: the Kafka version, empty
  // for the default (4.1.2).
  void StartCluster(const std::string& protocol, const std::vector<std::string>& extra = {},
                    const std::string& version = "") {
    testing::KafkaClusterOptions options;
    options.version = version;
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

  // A broker keystore made with the JDK's keytool (a self-signed certificate for 127.0.0.1)
  // and its certificate as ca_ for [kafka] ssl.ca.location; returns the SASL listener's TLS
  // properties.
  std::vector<std::string> TlsListener() {
    const fs::path keystore = dir_.path() / "broker.p12";
    ca_ = dir_.path() / "ca.pem";
    const std::string keytool = "keytool -noprompt -storetype PKCS12 -storepass store-pw ";
    EXPECT_EQ(std::system((keytool + "-genkeypair -alias broker -keyalg RSA -keysize 2048 "
                           "-validity 2 -dname CN=localhost -ext SAN=ip:127.0.0.1,dns:localhost "
                           "-keystore " + keystore.string() + " >/dev/null 2>&1")
                              .c_str()),
              0);
    EXPECT_EQ(std::system((keytool + "-exportcert -rfc -alias broker -keystore " +
                           keystore.string() + " -file " + ca_.string() + " >/dev/null 2>&1")
                              .c_str()),
              0);
    return {"listener.name.sasl.ssl.keystore.location=" + keystore.string(),
            "listener.name.sasl.ssl.keystore.password=store-pw",
            "listener.name.sasl.ssl.key.password=store-pw",
            "listener.name.sasl.ssl.keystore.type=PKCS12"};
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

  // SASL_SSL settings that trust the test keystore's certificate (TlsListener()).
  testing::RunSettings TlsSettings(const std::string& name, const std::string& mechanism,
                                   const std::string& password) {
    testing::RunSettings settings = Settings(name, mechanism, password, "SASL_SSL");
    settings.kafka["ssl.ca.location"] = ca_.string();
    return settings;
  }

  // A wrong password: exit 2 at once (the start-up check gives up after 10 s, not a retry
  // loop), naming the settings, the mechanism and the broker's reason, never the password.
  void ExpectWrongPasswordRefused(const std::string& name, testing::RunSettings settings) {
    const std::string mechanism = settings.kafka["sasl.mechanism"];
    const std::string password = settings.kafka["sasl.password"];
    const absl::Time started = absl::Now();
    auto [rc, log] = RunToExit(name, settings);
    EXPECT_LT(absl::Now() - started, absl::Seconds(15)) << log;
    EXPECT_EQ(rc, 2) << log;
    EXPECT_TRUE(absl::StrContains(log, "check [kafka] sasl.username and sasl.password")) << log;
    EXPECT_TRUE(absl::StrContains(log, "sasl.mechanism = " + mechanism)) << log;
    EXPECT_TRUE(absl::StrContains(log, "Authentication failed")) << log;
    EXPECT_FALSE(absl::StrContains(log, password)) << "the password is never logged";
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
  fs::path ca_;
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

  ExpectWrongPasswordRefused("wrong", Settings("wrong", "SCRAM-SHA-512", "wrong-pw"));

  // The right SCRAM password: refused by Kafka 4.x for this librdkafka's SCRAM, and then said
  // so, with the ways out.
  if (rd_kafka_version() < 0x020601ff) {
    auto [scram, scram_log] = RunToExit("scram", Settings("scram", "SCRAM-SHA-512", kPassword));
    EXPECT_EQ(scram, 2) << scram_log;
    EXPECT_TRUE(absl::StrContains(scram_log, "fixed in librdkafka 2.6.1")) << scram_log;
    EXPECT_TRUE(absl::StrContains(scram_log, "a Kafka 3.x broker")) << scram_log;
  }

  ExpectWrongPasswordRefused("plainwrong", Settings("plainwrong", "PLAIN", "wrong-pw"));

  // The right password: runs, creates its topics through the SASL listener and processes the
  // events the case system sent (read back over the PLAINTEXT listener).
  const std::string mechanism = rd_kafka_version() < 0x020601ff ? "PLAIN" : "SCRAM-SHA-512";
  ExpectRunsAndProcesses("right", Settings("right", mechanism, kPassword));
}

// SASL_SSL: the broker's keystore made here with keytool, fristvagt trusting it through
// [kafka] ssl.ca.location. Without that CA the TLS handshake fails, and that too is a start-up
// error.
TEST_F(KafkaSaslTest, SaslOverTlsWithATestKeystore) {
  StartCluster("SASL_SSL", TlsListener());
  if (HasFatalFailure()) return;

  // The system's CAs do not know the test certificate: the handshake fails, exit 2.
  auto [untrusted, untrusted_log] =
      RunToExit("untrusted", Settings("untrusted", "PLAIN", kPassword, "SASL_SSL"));
  EXPECT_EQ(untrusted, 2) << untrusted_log;
  EXPECT_TRUE(absl::StrContains(untrusted_log, "TLS handshake with the brokers failed"))
      << untrusted_log;

  ExpectRunsAndProcesses("tls", TlsSettings("tls", "PLAIN", kPassword));
}

// SCRAM-SHA-512 over SASL_SSL end to end with this librdkafka, on a Kafka 3.9.1 broker: 3.9
// accepts the client-final message of librdkafka before 2.6.1 (its nonce check is
// `endsWith`), which 4.x refuses. A wrong password is still a start-up error.
TEST_F(KafkaSaslTest, ScramOverTlsOnKafka39) {
  StartCluster("SASL_SSL", TlsListener(), "3.9.1");
  if (HasFatalFailure()) return;
  ExpectWrongPasswordRefused("wrong", TlsSettings("wrong", "SCRAM-SHA-512", "wrong-pw"));
  ExpectRunsAndProcesses("scram", TlsSettings("scram", "SCRAM-SHA-512", kPassword));
}

}  // namespace
}  // namespace fristvagt
