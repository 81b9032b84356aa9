// What a case system consumes (issue 6), end to end through the real binary and the embedded
// broker: `[alerts] format = "json"` on both topics (content-type header, values that parse
// back into the proto messages), the same alert_ids as the protobuf default, tombstones on the
// compacted obligations topic for erased persons, and one morning DIGEST per caseworker.
//
// The events are from 2023 and in the topic before the processor starts (see
// kafka_guarantees_test.cc for why that makes the expected alerts independent of the wall
// clock). The digest is due from 00:00 on a working day (digest_hour = 0), so on a weekend or
// holiday the digest part is skipped, not failed.

#include <google/protobuf/util/json_util.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "proto/alert.pb.h"
#include "rules/civil_time.h"
#include "rules/holidays.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

template <typename Message>
bool ParseJson(const std::string& json, Message* message) {
  return google::protobuf::util::JsonStringToMessage(json, message).ok();
}

TEST(KafkaAlertFormatsTest, JsonTopicsTombstonesAndTheMorningDigest) {
  testing::TempDir dir;
  absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(dir.path(), 3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 120, .seed = 7});
  ASSERT_TRUE(
      testing::Produce(broker->bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  ASSERT_FALSE(erased.empty()) << "the cohort should erase someone";
  std::set<std::string> expected;
  for (const auto& [id, json] : testing::ReplayAlerts(dir.path(), lines)) {
    if (erased.count(testing::JsonField(json, "person_key")) == 0) expected.insert(id);
  }

  testing::RunSettings settings;
  settings.state_dir = dir.path() / "state";
  const std::string toml = testing::ProcessorToml(broker->bootstrap, settings) +
                           "[alerts]\nformat = \"json\"\ndigest = true\ndigest_hour = 0\n";
  testing::WriteFile(dir.path() / "run.toml", toml);
  std::unique_ptr<testing::ChildProcess> run = testing::ChildProcess::Start(
      {"run", "--config", (dir.path() / "run.toml").string()}, {}, dir.path() / "run.log");
  const bool working_day = rules::IsWorkingDay(absl::ToCivilDay(absl::Now(), rules::Copenhagen()));

  std::vector<v1::Alert> alerts;
  std::vector<testing::KafkaRecord> alert_records;
  auto read_alerts = [&] {
    alerts.clear();
    absl::StatusOr<std::vector<testing::KafkaRecord>> records =
        testing::ConsumeToEnd(broker->bootstrap, "fristvagt.alerts");
    if (!records.ok()) return false;
    alert_records = *records;
    for (const testing::KafkaRecord& record : *records) {
      v1::Alert alert;
      if (!ParseJson(record.value.value_or(""), &alert)) return false;
      alerts.push_back(alert);
    }
    return true;
  };
  auto has_everything = [&] {
    if (!testing::InputApplied(broker->bootstrap) || !read_alerts()) return false;
    std::set<std::string> ids;
    bool digest = false;
    for (const v1::Alert& alert : alerts) {
      ids.insert(alert.alert_id());
      digest = digest || alert.kind() == v1::DIGEST;
    }
    return std::includes(ids.begin(), ids.end(), expected.begin(), expected.end()) &&
           (digest || !working_day);
  };
  ASSERT_TRUE(testing::WaitUntil(has_everything, absl::Seconds(90), absl::Milliseconds(500)))
      << run->ReadLog();

  // Alerts: JSON with the proto field names, labelled as such, the ids of the protobuf path.
  std::set<std::string> ids;
  std::map<std::string, int> digests_per_caseworker;
  for (size_t i = 0; i < alerts.size(); ++i) {
    EXPECT_EQ(alert_records[i].Header("content-type"),
              "application/json; messageType=fristvagt.v1.Alert");
    EXPECT_NE(alert_records[i].value->find("\"alert_id\""), std::string::npos);
    if (alerts[i].kind() == v1::DIGEST) {
      ++digests_per_caseworker[alerts[i].municipality_code() + "/" + alerts[i].caseworker_id()];
      EXPECT_EQ(alert_records[i].key,
                "digest/" + alerts[i].municipality_code() + "/" + alerts[i].caseworker_id());
      EXPECT_GT(alerts[i].digest_items_size(), 0);
      for (const v1::Obligation& item : alerts[i].digest_items()) {
        EXPECT_EQ(item.caseworker_id(), alerts[i].caseworker_id());
        EXPECT_EQ(erased.count(item.person_key()), 0u) << "an erased person in a digest";
        EXPECT_TRUE(item.status() == v1::OPEN || item.status() == v1::BREACHED);
      }
      continue;
    }
    ids.insert(alerts[i].alert_id());
  }
  std::set<std::string> not_erased;
  for (const v1::Alert& alert : alerts) {
    if (alert.kind() != v1::DIGEST && erased.count(alert.person_key()) == 0) {
      not_erased.insert(alert.alert_id());
    }
  }
  EXPECT_EQ(not_erased, expected);
  for (const auto& [caseworker, count] : digests_per_caseworker) {
    EXPECT_EQ(count, 1) << caseworker << " got more than one digest this morning";
  }
  if (working_day) {
    EXPECT_FALSE(digests_per_caseworker.empty());
  }

  // Obligations: JSON too; every erased person's obligation ends in a tombstone.
  absl::StatusOr<std::vector<testing::KafkaRecord>> obligations =
      testing::ConsumeToEnd(broker->bootstrap, "fristvagt.obligations");
  ASSERT_TRUE(obligations.ok()) << obligations.status();
  ASSERT_FALSE(obligations->empty());
  std::map<std::string, std::optional<std::string>> last_by_key;
  std::set<std::string> erased_obligations;
  for (const testing::KafkaRecord& record : *obligations) {
    ASSERT_TRUE(record.key.has_value());
    last_by_key[*record.key] = record.value;
    if (!record.value.has_value()) continue;
    EXPECT_EQ(record.Header("content-type"),
              "application/json; messageType=fristvagt.v1.Obligation");
    v1::Obligation ob;
    ASSERT_TRUE(ParseJson(*record.value, &ob)) << *record.value;
    EXPECT_EQ(ob.obligation_id(), *record.key);
    if (erased.count(ob.person_key()) > 0) erased_obligations.insert(ob.obligation_id());
  }
  EXPECT_FALSE(erased_obligations.empty()) << "no erased person had a record out: proves nothing";
  for (const std::string& id : erased_obligations) {
    EXPECT_FALSE(last_by_key[id].has_value())
        << "obligation " << id << " of an erased person is still on the compacted topic";
  }
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(10)), 0) << run->ReadLog();
}

}  // namespace
}  // namespace fristvagt
