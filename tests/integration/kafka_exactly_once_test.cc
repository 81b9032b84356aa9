// Exactly-once on a real Apache Kafka (label realkafka only): what the embedded broker cannot
// answer because it neither filters aborted transactions nor stores transactional offset
// commits (docs/operations.md). `fristvagt run` with processing_guarantee = "exactly_once" is
// killed (SIGKILL, the crash points of kafka_guarantees_test) at every point of its produce
// round, again and again, and restarted on the same state dir. Then a read_committed reader
// of fristvagt.alerts sees every expected alert exactly once — not one duplicate — while a
// read_uncommitted reader sees the records of the aborted transactions too; and the group's
// committed input offsets (written inside the transactions) stand at the end of the input.
// The expected alerts are `fristvagt replay`'s over the same events (see the head of
// kafka_guarantees_test.cc for why that is the reference whatever the wall clock says).

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "processor/kafka/kafka_client.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_cluster.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;

class KafkaExactlyOnceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> bootstrap = testing::SharedRealKafka();
    ASSERT_TRUE(bootstrap.ok()) << bootstrap.status();
    bootstrap_ = *bootstrap;
    ASSERT_TRUE(testing::DeleteAllTopicsAndGroups(bootstrap_).ok());
    ASSERT_TRUE(testing::CreateTopics(bootstrap_, testing::FristvagtTopics(3)).ok());
  }

  testing::AlertTopic Alerts(const std::set<std::string>& skip, bool read_committed) {
    absl::StatusOr<testing::AlertTopic> alerts =
        testing::ReadAlerts(bootstrap_, skip, read_committed);
    EXPECT_TRUE(alerts.ok()) << alerts.status();
    return alerts.ok() ? *alerts : testing::AlertTopic{};
  }

  // Whether the group's committed offsets on case-events reached its end on every partition.
  bool CommittedToEnd() {
    absl::StatusOr<std::map<int32_t, int64_t>> ends = testing::EndOffsets(bootstrap_, "case-events");
    absl::StatusOr<std::map<int32_t, int64_t>> committed =
        testing::CommittedOffsets(bootstrap_, "fristvagt", "case-events");
    if (!ends.ok() || !committed.ok()) return false;
    for (const auto& [partition, end] : *ends) {
      if (end > 0 && (*committed)[partition] < end) return false;
    }
    return true;
  }

  testing::TempDir dir_;
  std::string bootstrap_;
};

TEST_F(KafkaExactlyOnceTest, KilledAtEveryPointReadCommittedSeesEveryAlertExactlyOnce) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 120, .seed = 5});
  ASSERT_TRUE(
      testing::Produce(bootstrap_, "case-events", testing::CaseEventMessages(lines)).ok());
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  const std::map<std::string, std::string> expected =
      testing::ExpectedAlerts(dir_.path(), lines, erased);
  ASSERT_GT(expected.size(), 300u);

  testing::RunSettings settings;
  settings.state_dir = dir_.path() / "state";
  settings.guarantee = "exactly_once";
  // Each point twice: the first kill of a pair lands in a fresh process's first rounds, where
  // a restart re-sends what the killed one left in its outbox.
  const std::vector<std::map<std::string, std::string>> kills = {
      {{"FRISTVAGT_CRASH_AT", "kafka.after_store_write:3"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.between_phases:2"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.after_produce_before_ack:2"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.between_batches:3"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.after_store_write:1"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.between_phases:1"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.after_produce_before_ack:1"}},
      {{"FRISTVAGT_CRASH_AT", "state.before_commit:5"}},
  };
  int killed_by_hook = 0;
  for (size_t k = 0; k < kills.size(); ++k) {
    std::unique_ptr<ChildProcess> run = testing::StartProcessor(
        dir_.path(), absl::StrCat("run-", k), bootstrap_, settings, kills[k]);
    bool done = false;
    ASSERT_TRUE(testing::WaitUntil([&] { return !run->Running() || (done = CommittedToEnd()); },
                                   absl::Seconds(120), absl::Milliseconds(250)))
        << kills[k].begin()->second << " " << run->ReadLog();
    if (!run->Running()) {
      EXPECT_EQ(run->Wait(absl::Seconds(1)), -SIGKILL) << run->ReadLog();
      ++killed_by_hook;
    } else {
      run->Signal(SIGKILL);
      run->Wait(absl::Seconds(10));
    }
    if (done) break;
  }
  EXPECT_GE(killed_by_hook, 6) << "the kill points were not reached; too few events?";

  std::unique_ptr<ChildProcess> last =
      testing::StartProcessor(dir_.path(), "last", bootstrap_, settings);
  auto all_alerts = [&] {
    const std::set<std::string> ids = Alerts(erased, true).ids();
    for (const auto& [id, json] : expected) {
      if (ids.count(id) == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return CommittedToEnd() && all_alerts(); },
                                 absl::Seconds(120), absl::Milliseconds(500)))
      << last->ReadLog();
  last->Signal(SIGTERM);
  EXPECT_EQ(last->Wait(absl::Seconds(15)), 0) << last->ReadLog();

  const testing::AlertTopic committed = Alerts(erased, true);
  EXPECT_EQ(committed.by_id, expected);
  EXPECT_EQ(committed.conflicts, std::vector<std::string>{});
  EXPECT_EQ(committed.copies, committed.by_id.size())
      << "a read_committed reader saw an alert twice";
  const testing::AlertTopic everything = Alerts(erased, false);
  EXPECT_GT(everything.copies, committed.copies)
      << "no kill left an aborted transaction behind: nothing was filtered";
}

// Without a static identity the transactional id comes from the state dir's process id
// (processor/kafka/process_id.h): a process SIGKILLed with a transaction open — alerts on the
// broker, no commit — is followed on the same state dir by one with the same transactional id,
// whose init aborts that transaction at once. transaction.timeout.ms is set to the broker's
// maximum (15 min), so an instance under a new id would leave read_committed readers of
// fristvagt.alerts stuck far beyond this test's bounded wait.
TEST_F(KafkaExactlyOnceTest, RestartAfterKillIsNotBlockedByTheOpenTransaction) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 40, .seed = 7});
  ASSERT_TRUE(
      testing::Produce(bootstrap_, "case-events", testing::CaseEventMessages(lines)).ok());
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  const std::map<std::string, std::string> expected =
      testing::ExpectedAlerts(dir_.path(), lines, erased);
  ASSERT_GT(expected.size(), 50u);

  testing::RunSettings settings;
  settings.state_dir = dir_.path() / "state";
  settings.guarantee = "exactly_once";
  settings.kafka["transaction.timeout.ms"] = "900000";
  // Killed in its fourth round (the first rounds may hold nothing but changelog records),
  // after the alerts and obligations were flushed to the broker, before the changelog and
  // the commit: the transaction stays open.
  std::unique_ptr<ChildProcess> killed = testing::StartProcessor(
      dir_.path(), "killed", bootstrap_, settings,
      {{"FRISTVAGT_CRASH_AT", "kafka.between_phases:4"}});
  ASSERT_EQ(killed->Wait(absl::Seconds(120)), -SIGKILL) << killed->ReadLog();
  const std::string id = testing::ReadFile(settings.state_dir / "fristvagt.process-id");
  ASSERT_EQ(id.size(), 33u) << id;  // 32 hex digits and a newline
  // The open transaction's alerts and obligations are on the broker, invisible to
  // read_committed (the earlier rounds' are committed).
  auto records = [&](bool read_committed) {
    size_t n = 0;
    for (const char* topic : {"fristvagt.alerts", "fristvagt.obligations"}) {
      absl::StatusOr<std::vector<testing::KafkaRecord>> read =
          testing::ConsumeToEnd(bootstrap_, topic, read_committed, absl::Seconds(10));
      EXPECT_TRUE(read.ok()) << read.status();
      if (read.ok()) n += read->size();
    }
    return n;
  };
  EXPECT_GT(records(false), records(true))
      << "the killed round left no open transaction on the broker" << killed->ReadLog();

  const absl::Time restarted = absl::Now();
  std::unique_ptr<ChildProcess> after =
      testing::StartProcessor(dir_.path(), "after", bootstrap_, settings);
  auto all_alerts = [&] {
    const std::set<std::string> ids = Alerts(erased, true).ids();
    for (const auto& [alert_id, json] : expected) {
      if (ids.count(alert_id) == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return CommittedToEnd() && all_alerts(); },
                                 absl::Seconds(120), absl::Milliseconds(500)))
      << after->ReadLog();
  std::cout << "read_committed saw every alert " << absl::Now() - restarted
            << " after the restart\n";
  after->Signal(SIGTERM);
  EXPECT_EQ(after->Wait(absl::Seconds(15)), 0) << after->ReadLog();
  const std::string transactional_id = "transactional id fristvagt-" + id.substr(0, 32);
  EXPECT_NE(killed->ReadLog().find(transactional_id), std::string::npos) << killed->ReadLog();
  EXPECT_NE(after->ReadLog().find(transactional_id), std::string::npos) << after->ReadLog();
  EXPECT_EQ(testing::ReadFile(settings.state_dir / "fristvagt.process-id"), id);

  const testing::AlertTopic committed = Alerts(erased, true);
  EXPECT_EQ(committed.by_id, expected);
  EXPECT_EQ(committed.copies, committed.by_id.size());
}

// Whether `pid` is stopped (SIGSTOP): state 'T' in /proc/<pid>/stat.
bool Stopped(pid_t pid) {
  const std::string stat = testing::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'T';
}

// A zombie: an exactly-once instance stops (SIGSTOP, as in a long GC pause or a frozen VM) in
// the middle of a produce round — alerts on the broker, its transaction open. A successor with
// the same identity (group_instance_id, so the same transactional id, on a disk of its own)
// takes over, aborts that transaction, restores from the changelog and finishes the input.
// Then the zombie wakes up (SIGCONT): it must write nothing a read_committed reader sees,
// move no committed offset, and stop with a log line saying it was fenced.
TEST_F(KafkaExactlyOnceTest, ZombieWakingUpAfterItsSuccessorIsFencedAndStops) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 40, .seed = 9});
  ASSERT_TRUE(
      testing::Produce(bootstrap_, "case-events", testing::CaseEventMessages(lines)).ok());
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  const std::map<std::string, std::string> expected =
      testing::ExpectedAlerts(dir_.path(), lines, erased);
  ASSERT_GT(expected.size(), 50u);

  testing::RunSettings settings;
  settings.guarantee = "exactly_once";
  settings.state_dir = dir_.path() / "zombie.state";
  // Both announce on the instances topic under one key, as two incarnations of a StatefulSet
  // pod do: the zombie's stop must not erase its successor's announcement.
  settings.http_port = testing::FreeTcpPort();
  settings.http_advertised_address = "member-1.fristvagt:8080";
  std::unique_ptr<ChildProcess> zombie = testing::StartProcessor(
      dir_.path(), "zombie", bootstrap_, settings,
      {{"FRISTVAGT_GROUP_INSTANCE_ID", "member-1"},
       {"FRISTVAGT_STOP_AT", "kafka.between_phases:4"}});
  ASSERT_TRUE(testing::WaitUntil([&] { return Stopped(zombie->pid()) || !zombie->Running(); },
                                 absl::Seconds(120), absl::Milliseconds(100)))
      << zombie->ReadLog();
  ASSERT_TRUE(zombie->Running()) << zombie->ReadLog();
  auto records = [&](bool read_committed) {
    size_t n = 0;
    for (const char* topic : {"fristvagt.alerts", "fristvagt.obligations"}) {
      absl::StatusOr<std::vector<testing::KafkaRecord>> read =
          testing::ConsumeToEnd(bootstrap_, topic, read_committed, absl::Seconds(10));
      EXPECT_TRUE(read.ok()) << read.status();
      if (read.ok()) n += read->size();
    }
    return n;
  };
  EXPECT_GT(records(false), records(true)) << "the zombie stopped with no transaction open";

  settings.state_dir = dir_.path() / "successor.state";
  settings.http_port = testing::FreeTcpPort();
  std::unique_ptr<ChildProcess> successor = testing::StartProcessor(
      dir_.path(), "successor", bootstrap_, settings, {{"FRISTVAGT_GROUP_INSTANCE_ID", "member-1"}});
  auto all_alerts = [&] {
    const std::set<std::string> ids = Alerts(erased, true).ids();
    for (const auto& [alert_id, json] : expected) {
      if (ids.count(alert_id) == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return CommittedToEnd() && all_alerts(); },
                                 absl::Seconds(120), absl::Milliseconds(500)))
      << successor->ReadLog();
  const std::map<int32_t, int64_t> offsets =
      testing::CommittedOffsets(bootstrap_, "fristvagt", "case-events").value();

  zombie->Signal(SIGCONT);
  const std::optional<int> exit = zombie->Wait(absl::Seconds(90));
  ASSERT_TRUE(exit.has_value()) << "the zombie carries on after SIGCONT\n" << zombie->ReadLog();
  EXPECT_EQ(*exit, 1) << zombie->ReadLog();
  const std::string zombie_log = zombie->ReadLog();
  EXPECT_NE(zombie_log.find("stopping: fenced: another instance took over"), std::string::npos)
      << zombie_log;
  EXPECT_EQ(testing::CommittedOffsets(bootstrap_, "fristvagt", "case-events").value(), offsets)
      << "the zombie moved the group's committed offsets";
  absl::StatusOr<std::vector<testing::KafkaRecord>> announcements =
      testing::ConsumeToEnd(bootstrap_, "fristvagt.instances");
  ASSERT_TRUE(announcements.ok()) << announcements.status();
  std::optional<std::string> last;  // the key's latest value; nullopt: a tombstone or none
  for (const testing::KafkaRecord& record : *announcements) {
    if (record.key == settings.http_advertised_address) last = record.value;
  }
  // The successor holds every partition; an empty list or a tombstone would be the zombie's.
  EXPECT_TRUE(last.has_value() && !absl::StrContains(*last, "partitions=\n"))
      << "the zombie's stop replaced its successor's announcement: " << last.value_or("tombstone");
  EXPECT_TRUE(successor->Running()) << successor->ReadLog();
  successor->Signal(SIGTERM);
  EXPECT_EQ(successor->Wait(absl::Seconds(15)), 0) << successor->ReadLog();

  const testing::AlertTopic committed = Alerts(erased, true);
  EXPECT_EQ(committed.by_id, expected);
  EXPECT_EQ(committed.conflicts, std::vector<std::string>{});
  EXPECT_EQ(committed.copies, committed.by_id.size()) << "a read_committed reader saw an alert twice";
  EXPECT_GT(Alerts(erased, false).copies, committed.copies)
      << "nothing of the zombie's aborted transaction was on the log";
}

// The sum over partitions of the consumer-lag gauge in a /metrics text; -1 when absent.
int64_t LagSum(int port) {
  std::optional<testing::HttpResult> metrics = testing::HttpGet(port, "/metrics");
  if (!metrics.has_value() || metrics->status != 200) return -1;
  int64_t sum = -1;
  std::istringstream lines(metrics->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("fristvagt_processor_consumer_lag_messages{", 0) != 0) continue;
    sum = std::max<int64_t>(sum, 0) + std::llround(std::stod(line.substr(line.rfind(' ') + 1)));
  }
  return sum;
}

// The consumer-lag metric under read_committed: records of a transaction still open on the
// input cannot be read yet, so they are not lag — the end is the last stable offset, not the
// high watermark (librdkafka's cached watermark; processor/kafka/stable_offsets.h).
TEST_F(KafkaExactlyOnceTest, LagUnderReadCommittedEndsAtTheLastStableOffset) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 10, .seed = 3});
  ASSERT_TRUE(
      testing::Produce(bootstrap_, "case-events", testing::CaseEventMessages(lines)).ok());
  testing::RunSettings settings;
  settings.state_dir = dir_.path() / "state";
  settings.http_port = testing::FreeTcpPort();
  std::unique_ptr<ChildProcess> run =
      testing::StartProcessor(dir_.path(), "run", bootstrap_, settings);
  ASSERT_TRUE(testing::WaitUntil([&] { return CommittedToEnd() && LagSum(settings.http_port) == 0; },
                                 absl::Seconds(120), absl::Milliseconds(250)))
      << run->ReadLog();

  // Another producer holds a transaction open with records on the input.
  absl::StatusOr<rd_kafka_conf_t*> conf = processor::MakeConf(
      {{"bootstrap.servers", bootstrap_}, {"transactional.id", "test-open-transaction"}});
  ASSERT_TRUE(conf.ok()) << conf.status();
  absl::StatusOr<processor::KafkaHandle> producer = processor::NewClient(RD_KAFKA_PRODUCER, *conf);
  ASSERT_TRUE(producer.ok()) << producer.status();
  rd_kafka_t* rk = producer->get();
  ASSERT_EQ(rd_kafka_init_transactions(rk, 30000), nullptr);
  ASSERT_EQ(rd_kafka_begin_transaction(rk), nullptr);
  const std::vector<testing::OutgoingMessage> held = testing::CaseEventMessages(
      testing::SyntheticEventLines({.persons = 10, .seed = 4}));
  for (const testing::OutgoingMessage& m : held) {
    ASSERT_EQ(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("case-events"),
                                RD_KAFKA_V_KEY(m.key->data(), m.key->size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  // The high watermark minus the last stable offset: what the open transaction holds back.
  auto end_sum = [&](const char* isolation) {
    absl::StatusOr<rd_kafka_conf_t*> c = processor::MakeConf(
        {{"bootstrap.servers", bootstrap_}, {"group.id", "test-ends"}, {"isolation.level", isolation}});
    absl::StatusOr<processor::KafkaHandle> consumer =
        c.ok() ? processor::NewClient(RD_KAFKA_CONSUMER, *c)
               : absl::StatusOr<processor::KafkaHandle>(c.status());
    int64_t sum = 0;
    for (int32_t p = 0; consumer.ok() && p < 3; ++p) {
      int64_t low = 0, high = 0;
      if (processor::QueryWatermarks(consumer->get(), "case-events", p, &low, &high, 10000) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        return int64_t{-1};
      }
      sum += high;
    }
    return consumer.ok() ? sum : int64_t{-1};
  };
  auto held_back = [&] {
    return static_cast<size_t>(end_sum("read_uncommitted") - end_sum("read_committed"));
  };
  ASSERT_EQ(held_back(), held.size());

  // The processor's statistics (every 5 s) see the open transaction; from then on, and for as
  // long as it is open, the lag is 0. A lag from the high watermark would stay at
  // held.size().
  // Until then (one statistics interval at most) the lag may count them: the wait is for 0
  // held for longer than an interval.
  absl::Time last_nonzero = absl::Now();
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        if (LagSum(settings.http_port) != 0) last_nonzero = absl::Now();
        return absl::Now() - last_nonzero > absl::Seconds(7);
      },
      absl::Seconds(40), absl::Milliseconds(250)))
      << "lag " << LagSum(settings.http_port) << " with " << held.size() << " records held back";
  const absl::Time open_until = absl::Now() + absl::Seconds(12);  // over two statistics rounds
  while (absl::Now() < open_until) {
    ASSERT_EQ(LagSum(settings.http_port), 0) << run->ReadLog();
    absl::SleepFor(absl::Milliseconds(500));  // sampling a running process, not waiting for it
  }
  EXPECT_EQ(held_back(), held.size());

  // Aborted, not committed: the next test empties the cluster, and a transaction left open
  // would wait for transaction.timeout.ms there.
  ASSERT_EQ(rd_kafka_abort_transaction(rk, 30000), nullptr);
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 0) << run->ReadLog();
}

}  // namespace
}  // namespace fristvagt
