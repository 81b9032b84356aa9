// The integrator's example (examples/integrator/task_list.cc) against the real thing: an
// embedded broker, `fristvagt run` processing a synthetic cohort, and every alert delivered a
// second time (as after a processor crash). For the busiest caseworker the example's task list
// must be exactly the open and breached obligations of the compacted obligations topic, and it
// must report each of the caseworker's alerts exactly once.

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/alert.pb.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

// The latest value of every obligation on the topic (protobuf, the default format).
std::map<std::string, v1::Obligation> Obligations(const std::string& bootstrap, size_t* records) {
  std::map<std::string, v1::Obligation> latest;
  absl::StatusOr<std::vector<testing::KafkaRecord>> read =
      testing::ConsumeToEnd(bootstrap, "fristvagt.obligations");
  if (!read.ok()) return latest;
  *records = read->size();
  for (const testing::KafkaRecord& r : *read) {
    if (!r.key) continue;
    if (!r.value) {
      latest.erase(*r.key);
      continue;
    }
    v1::Obligation ob;
    if (ob.ParseFromString(*r.value)) latest[*r.key] = ob;
  }
  return latest;
}

TEST(IntegratorExampleTest, TaskListMatchesTheObligationsTopicAndAlertsComeOnce) {
  testing::TempDir dir;
  absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(dir.path(), 3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 80, .seed = 11});
  ASSERT_TRUE(
      testing::Produce(broker->bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());
  testing::RunSettings settings;
  std::unique_ptr<testing::ChildProcess> run =
      testing::StartProcessor(dir.path(), "run", broker->bootstrap, settings);

  // Applied, and the obligations topic stopped growing.
  size_t last = 0, records = 0;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        if (!testing::InputApplied(broker->bootstrap)) return false;
        Obligations(broker->bootstrap, &records);
        const bool stable = records > 0 && records == last;
        last = records;
        return stable;
      },
      absl::Seconds(90), absl::Milliseconds(700)))
      << run->ReadLog();
  run->Signal(SIGTERM);
  ASSERT_TRUE(run->Wait(absl::Seconds(30)).has_value());

  // Every alert delivered again.
  absl::StatusOr<std::vector<testing::KafkaRecord>> alerts =
      testing::ConsumeToEnd(broker->bootstrap, "fristvagt.alerts");
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  std::vector<testing::OutgoingMessage> again;
  for (const testing::KafkaRecord& r : *alerts) again.push_back({r.key, r.value.value_or("")});
  ASSERT_TRUE(testing::Produce(broker->bootstrap, "fristvagt.alerts", again).ok());

  // The busiest caseworker, and what the topics say about them.
  const std::map<std::string, v1::Obligation> obligations = Obligations(broker->bootstrap, &records);
  std::map<std::string, std::set<std::string>> tasks;  // caseworker -> open obligation ids
  for (const auto& [id, ob] : obligations) {
    if (ob.status() == v1::OPEN || ob.status() == v1::BREACHED) tasks[ob.caseworker_id()].insert(id);
  }
  std::string caseworker;
  for (const auto& [cw, ids] : tasks) {
    if (caseworker.empty() || ids.size() > tasks[caseworker].size()) caseworker = cw;
  }
  ASSERT_GE(tasks[caseworker].size(), 3u);
  std::set<std::string> alert_ids;
  for (const testing::KafkaRecord& r : *alerts) {
    v1::Alert alert;
    if (r.value && alert.ParseFromString(*r.value) && alert.caseworker_id() == caseworker &&
        alert.kind() != v1::DIGEST) {
      alert_ids.insert(alert.alert_id());
    }
  }
  ASSERT_FALSE(alert_ids.empty());

  const std::string out = (dir.path() / "task_list.out").string();
  const std::string command = std::string(TASK_LIST_BINARY) + " --bootstrap " + broker->bootstrap +
                              " --caseworker " + caseworker + " >" + out + " 2>" + out + ".err";
  ASSERT_EQ(std::system(command.c_str()), 0) << testing::ReadFile(out + ".err");
  std::set<std::string> listed;
  std::map<std::string, int> reported;
  std::istringstream in(testing::ReadFile(out));
  std::string kind, first, second, rule, obligation;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    fields >> kind >> first >> second >> rule >> obligation;
    if (kind == "TASK") listed.insert(obligation);
    if (kind == "ALERT") ++reported[first];
  }
  EXPECT_EQ(listed, tasks[caseworker]);
  EXPECT_EQ(reported.size(), alert_ids.size());
  for (const auto& [id, n] : reported) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_TRUE(alert_ids.count(id)) << id;
  }
  EXPECT_NE(testing::ReadFile(out + ".err").find(" repeated alerts dropped"), std::string::npos);
}

}  // namespace
}  // namespace fristvagt
