// The guarantees of architecture.md, proven against the real binary and the embedded broker:
// `fristvagt run` is killed (SIGKILL, through the crash points of state/crash_point.h, compiled
// into test builds) at chosen points of its produce rounds
// and restarted against the same broker and state dirs until every event is applied. Then:
// every expected alert is on fristvagt.alerts and every repeat is byte-identical; the state is
// that of a run that was never killed (no change applied twice, none lost); every bad message
// is on case-events.dlq with its headers and the other events were still processed.
//
// What "expected" means: the live processor reads the wall clock, so its alerts could depend
// on when the test runs. The events are therefore dated in 2023 (the synthetic cohort of
// replay_state_test), so every deadline they open passed long before any run of this test;
// and they are all in the input topic before a processor starts, so the processor works
// through them as a backlog, with the event-driven clock (rules.md §1), and only then moves
// to the wall clock, which finds nothing more to fire. The result is then the one
// `fristvagt replay --until <now>` gives over the same events, whatever the wall time:
// replay is the reference, compared byte for byte (alerts as replay prints them) and record
// for record (the state dumps).

#include <signal.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "proto/case_event.pb.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::KafkaRecord;
using testing::OutgoingMessage;

struct BadMessage {
  OutgoingMessage message;
  std::string code;  // the fristvagt.error.code it must get
};

v1::CaseEvent ValidEvent(const std::string& id, const std::string& person) {
  v1::CaseEvent event;
  event.set_event_id(id);
  event.set_person_key(person);
  event.set_municipality_code("851");
  event.mutable_occurred_at()->set_seconds(1675242000);  // 2023-02-01T09:00:00Z
  event.mutable_recorded_at()->set_seconds(1675242000);
  event.mutable_first_contact()->set_age_years(20);
  return event;
}

// Bad input of events.md as a case system's bugs produce it: bytes that are no CaseEvent, an
// event without person_key, a payload this version does not know, a key that is not the
// event's person_key.
std::vector<BadMessage> BadMessages() {
  std::vector<BadMessage> bad;
  // Field 1 (event_id) claims 5 bytes and has 2: not a protobuf CaseEvent.
  bad.push_back({{"bad-garbage", std::string{'\x0a', '\x05', 'a', 'b'}}, "DECODE_FAILED"});
  v1::CaseEvent missing = ValidEvent("bad-missing-key", "");
  bad.push_back({{std::nullopt, missing.SerializeAsString()}, "MISSING_FIELD"});
  // A payload field number (199) in the payload range that case_event.proto does not define.
  v1::CaseEvent unknown = ValidEvent("bad-unknown-payload", "p-unknown-payload");
  unknown.clear_payload();
  bad.push_back(
      {{"p-unknown-payload", unknown.SerializeAsString() + std::string("\xba\x0c\x00", 3)},
       "UNKNOWN_PAYLOAD"});
  v1::CaseEvent mismatch = ValidEvent("bad-key-mismatch", "p-key-mismatch");
  bad.push_back({{"p-someone-else", mismatch.SerializeAsString()}, "KEY_MISMATCH"});
  return bad;
}

class KafkaGuaranteesTest : public ::testing::Test {
 protected:
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  void SetUp() override {
    absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(dir_.path(), 3);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
  }

  std::unique_ptr<ChildProcess> StartRun(const std::map<std::string, std::string>& env) {
    testing::RunSettings settings;
    settings.state_dir = Path("state");
    // Two partition threads ([processing] threads): the crash points are then also reached
    // on a worker (state.*) while the other partition's task runs.
    settings.threads = 2;
    return testing::StartProcessor(dir_.path(), "run", broker_.bootstrap, settings, env);
  }

  // Person and timer records of a store, as `debug-dump-state` prints them. The progress and
  // outbox families are left out: they say how far the process got, not what it knows.
  std::vector<std::string> StateLines(const fs::path& store) {
    const fs::path out = Path("dump.txt");
    fs::remove(out);
    EXPECT_EQ(
        testing::RunBinary("debug-dump-state --state-dir " + store.string() + " > " + out.string()),
        0);
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(testing::ReadFile(out), '\n', absl::SkipEmpty())) {
      if (absl::StartsWith(line, "persons\t") || absl::StartsWith(line, "timers\t")) {
        lines.emplace_back(line);
      }
    }
    return lines;
  }

  std::vector<KafkaRecord> Read(const std::string& topic) {
    absl::StatusOr<std::vector<KafkaRecord>> records =
        testing::ConsumeToEnd(broker_.bootstrap, topic);
    EXPECT_TRUE(records.ok()) << records.status();
    return records.ok() ? *records : std::vector<KafkaRecord>{};
  }

  testing::AlertTopic Alerts(const std::set<std::string>& skip) {
    absl::StatusOr<testing::AlertTopic> alerts = testing::ReadAlerts(broker_.bootstrap, skip);
    EXPECT_TRUE(alerts.ok()) << alerts.status();
    return alerts.ok() ? *alerts : testing::AlertTopic{};
  }

  testing::TempDir dir_;
  testing::EmbeddedBrokerProcess broker_;
};

TEST_F(KafkaGuaranteesTest, KilledAndRestartedProcessorKeepsEveryGuarantee) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 120, .seed = 5});
  std::vector<std::string> not_events;
  std::vector<OutgoingMessage> messages = testing::CaseEventMessages(lines, &not_events);
  ASSERT_FALSE(not_events.empty());  // the cohort's garbage lines
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  ASSERT_FALSE(erased.empty());

  // Bad input, spread over the stream: the cohort's lines that are no JSON event (sent as they
  // are, keyless) and one message of each kind of BadMessages().
  std::vector<BadMessage> bad;
  for (size_t i = 0; i < not_events.size(); ++i) {  // made unique, to be told apart
    bad.push_back({{std::nullopt, absl::StrCat(not_events[i], " #", i)}, "DECODE_FAILED"});
  }
  for (BadMessage& b : BadMessages()) bad.push_back(std::move(b));
  for (size_t i = 0; i < bad.size(); ++i) {
    const size_t at = (i + 1) * messages.size() / (bad.size() + 1);
    messages.insert(messages.begin() + static_cast<std::ptrdiff_t>(at), bad[i].message);
  }
  ASSERT_TRUE(testing::Produce(broker_.bootstrap, "case-events", messages).ok());

  // The expected alerts, leaving out erased persons: person_erased also drops the person's
  // alerts still waiting in the outbox, so which of them went out depends on where batches
  // (and kills) fell.
  const std::map<std::string, std::string> expected =
      testing::ExpectedAlerts(dir_.path(), lines, erased);
  ASSERT_GT(expected.size(), 300u);
  std::set<std::string> expected_ids;
  for (const auto& [id, json] : expected) expected_ids.insert(id);
  auto finished = [&] {
    if (!testing::InputApplied(broker_.bootstrap)) return false;
    const std::set<std::string> ids = Alerts(erased).ids();
    return std::includes(ids.begin(), ids.end(), expected_ids.begin(), expected_ids.end());
  };

  // Kill points (state/crash_point.h): the processor's at the Nth produce round, and the
  // store's before the Nth RocksDB write. N = 1 kills in the re-send of what the previous run left in the outbox.
  const std::vector<std::map<std::string, std::string>> kills = {
      {{"FRISTVAGT_CRASH_AT", "kafka.after_store_write:4"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.between_phases:3"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.after_produce_before_ack:5"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.after_store_write:1"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.between_batches:4"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.after_produce_before_ack:1"}},
      {{"FRISTVAGT_CRASH_AT", "state.before_commit:7"}},
      {{"FRISTVAGT_CRASH_AT", "kafka.between_phases:1"}},
  };
  int killed_by_hook = 0;
  for (const auto& env : kills) {
    std::unique_ptr<ChildProcess> run = StartRun(env);
    // A kill point past the work left is never reached: then the run ends here, killed too.
    bool done = false;
    ASSERT_TRUE(testing::WaitUntil([&] { return !run->Running() || (done = finished()); },
                                   absl::Seconds(60), absl::Milliseconds(250)))
        << env.begin()->second << " " << run->ReadLog();
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

  std::unique_ptr<ChildProcess> last = StartRun({});
  ASSERT_TRUE(testing::WaitUntil(finished, absl::Seconds(60), absl::Milliseconds(250)))
      << last->ReadLog();
  last->Signal(SIGTERM);
  EXPECT_EQ(last->Wait(absl::Seconds(15)), 0) << last->ReadLog();
  const std::string log = testing::ReadFile(Path("run.log"));
  EXPECT_EQ(log.find("\"critical\""), std::string::npos) << log;

  // Every expected alert arrived, nothing else did, and each copy of one is byte-identical
  // (to the other copies and to replay's alert).
  const testing::AlertTopic alerts = Alerts({});
  EXPECT_EQ(alerts.conflicts, std::vector<std::string>{}) << "sent twice with different bytes";
  const testing::AlertTopic received = Alerts(erased);
  EXPECT_EQ(received.by_id, expected);
  EXPECT_GT(received.copies, received.by_id.size()) << "no kill made a restart re-send an alert";

  // Each state change applied exactly once: the stores hold what replay's store holds.
  std::vector<std::string> live_state;
  for (int p = 0; p < 3; ++p) {
    for (std::string& line : StateLines(Path("state") / ("case-events-" + std::to_string(p)))) {
      live_state.push_back(std::move(line));
    }
  }
  std::sort(live_state.begin(), live_state.end());
  std::vector<std::string> replay_state = StateLines(Path("replay.state"));
  std::sort(replay_state.begin(), replay_state.end());
  ASSERT_FALSE(replay_state.empty());
  EXPECT_EQ(live_state, replay_state);

  // Every bad message is on the dead-letter topic, unchanged, with the headers of events.md,
  // and nothing else is; a restart may repeat one. Besides them, NO_COURSE letters: events of
  // erased persons that came after the erasure wait for a first contact and expire, as in
  // replay. The engine keeps a waiting event decoded, so such a letter carries the event as a
  // JSON line rather than the bytes that were sent.
  std::map<std::string, std::pair<int32_t, int64_t>> input_position;  // value -> where it is
  std::map<std::pair<int32_t, int64_t>, KafkaRecord> input;
  for (KafkaRecord& record : Read("case-events")) {
    input_position[record.value.value_or("")] = {record.partition, record.offset};
    input[{record.partition, record.offset}] = std::move(record);
  }
  std::map<std::pair<int32_t, int64_t>, std::string> expected_dlq;  // position -> code
  for (const BadMessage& b : bad) {
    ASSERT_EQ(input_position.count(b.message.value), 1u);
    expected_dlq[input_position[b.message.value]] = b.code;
  }
  std::map<std::pair<int32_t, int64_t>, std::string> dlq;
  std::set<std::pair<int32_t, int64_t>> no_course;
  for (const KafkaRecord& record : Read("case-events.dlq")) {
    std::string source = "(";
    for (const auto& [name, value] : record.headers)
      absl::StrAppend(&source, name, "=", value, " ");
    absl::StrAppend(&source, record.value.value_or("").substr(0, 100), ")");
    EXPECT_EQ(record.Header("fristvagt.source.topic"), "case-events") << source;
    const std::string code = record.Header("fristvagt.error.code").value_or("");
    EXPECT_FALSE(record.Header("fristvagt.error.message").value_or("").empty()) << source;
    std::pair<int32_t, int64_t> position;
    ASSERT_TRUE(
        absl::SimpleAtoi(record.Header("fristvagt.source.partition").value_or(""),
                         &position.first) &&
        absl::SimpleAtoi(record.Header("fristvagt.source.offset").value_or(""), &position.second))
        << source;
    auto sent = input.find(position);
    ASSERT_NE(sent, input.end()) << "no input message at the source of " << source;
    if (code == "NO_COURSE") {
      v1::CaseEvent event;
      ASSERT_TRUE(event.ParseFromString(sent->second.value.value_or(""))) << source;
      EXPECT_EQ(testing::JsonField(record.value.value_or(""), "event_id"), event.event_id());
      no_course.insert(position);
      continue;
    }
    EXPECT_EQ(record.value, sent->second.value) << source;
    EXPECT_EQ(record.key, sent->second.key) << source;
    dlq[position] = code;
  }
  EXPECT_EQ(dlq, expected_dlq);
  size_t replay_no_course = 0;
  for (absl::string_view line : absl::StrSplit(testing::ReadFile(Path("replay.rejects")), '\n')) {
    if (absl::StrContains(line, "\"code\":\"NO_COURSE\"")) ++replay_no_course;
  }
  EXPECT_EQ(no_course.size(), replay_no_course);
}

// processing_guarantee = "exactly_once" wraps each partition's produce round and its input
// offsets in a Kafka transaction. The embedded broker accepts the whole API flow (init, begin,
// send offsets, commit) but does not filter aborted transactions nor persist transactional
// offset commits (architecture.md, 6), so what this proves is that flow, that the changelog's
// transaction markers neither make a restart rebuild a store it already has nor stall the
// rebuild of a lost one; not that read_committed readers are spared the records of an
// aborted transaction.
TEST_F(KafkaGuaranteesTest, ExactlyOnceRunsEveryBatchInATransaction) {
  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 40, .seed = 9});
  ASSERT_TRUE(
      testing::Produce(broker_.bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  const std::map<std::string, std::string> expected =
      testing::ExpectedAlerts(dir_.path(), lines, erased);
  ASSERT_GT(expected.size(), 50u);
  auto committed_alerts = [&] {
    absl::StatusOr<testing::AlertTopic> alerts =
        testing::ReadAlerts(broker_.bootstrap, erased, /*read_committed=*/true);
    return alerts.ok() ? *alerts : testing::AlertTopic{};
  };
  testing::RunSettings settings;
  settings.state_dir = Path("state");
  settings.http_port = testing::FreeTcpPort();
  settings.guarantee = "exactly_once";
  std::unique_ptr<ChildProcess> run =
      testing::StartProcessor(dir_.path(), "eos", broker_.bootstrap, settings);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return testing::InputApplied(broker_.bootstrap) &&
               committed_alerts().by_id.size() >= expected.size();
      },
      absl::Seconds(60), absl::Milliseconds(250)))
      << run->ReadLog();
  // The counters of what the engine did reach /metrics.
  std::optional<testing::HttpResult> metrics = testing::HttpGet(settings.http_port, "/metrics");
  ASSERT_TRUE(metrics.has_value());
  std::set<std::string> event_ids;
  bool redelivery = false;
  for (const std::string& line : lines) {
    redelivery |= !event_ids.insert(testing::JsonField(line, "event_id")).second;
  }
  ASSERT_TRUE(redelivery);  // the cohort re-delivers some meetings
  for (const char* counter :
       {"fristvagt_processor_timers_fired_total", "fristvagt_processor_events_redelivered_total",
        "fristvagt_processor_events_consumed_total"}) {
    EXPECT_FALSE(absl::StrContains(metrics->body, absl::StrCat("\n", counter, " 0\n")))
        << metrics->body;
  }
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 0) << run->ReadLog();
  const testing::AlertTopic alerts = committed_alerts();
  EXPECT_EQ(alerts.by_id, expected);
  EXPECT_EQ(alerts.copies, alerts.by_id.size()) << "an alert was sent twice without a crash";
  EXPECT_FALSE(absl::StrContains(run->ReadLog(), "transaction failed")) << run->ReadLog();

  // A restart finds its stores current: the marker that ends each committed transaction on
  // the changelog is not taken for changes made elsewhere.
  std::unique_ptr<ChildProcess> again =
      testing::StartProcessor(dir_.path(), "eos-again", broker_.bootstrap, settings);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        std::optional<testing::HttpResult> metrics =
            testing::HttpGet(settings.http_port, "/metrics");
        return metrics.has_value() &&
               absl::StrContains(metrics->body, "\nfristvagt_processor_ready 1\n") &&
               absl::StrContains(again->ReadLog(), "partition 2 assigned");
      },
      absl::Seconds(30), absl::Milliseconds(100)))
      << again->ReadLog();
  again->Signal(SIGTERM);
  EXPECT_EQ(again->Wait(absl::Seconds(15)), 0) << again->ReadLog();
  EXPECT_FALSE(absl::StrContains(again->ReadLog(), "restoring")) << again->ReadLog();
  EXPECT_EQ(committed_alerts().copies, alerts.copies);

  // A new disk rebuilds every store from the transactional changelog, whose last offsets are
  // markers that are never delivered, and ends up with the same state.
  settings.state_dir = Path("fresh");
  std::unique_ptr<ChildProcess> fresh =
      testing::StartProcessor(dir_.path(), "eos-fresh", broker_.bootstrap, settings);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const std::string log = fresh->ReadLog();
        return absl::StrContains(log, "partition 0: restored") &&
               absl::StrContains(log, "partition 1: restored") &&
               absl::StrContains(log, "partition 2: restored");
      },
      absl::Seconds(30), absl::Milliseconds(100)))
      << fresh->ReadLog();
  fresh->Signal(SIGTERM);
  EXPECT_EQ(fresh->Wait(absl::Seconds(15)), 0) << fresh->ReadLog();
  EXPECT_EQ(committed_alerts().copies, alerts.copies);
  for (int p = 0; p < 3; ++p) {
    const std::string store = "case-events-" + std::to_string(p);
    EXPECT_EQ(StateLines(Path("fresh") / store), StateLines(Path("state") / store)) << store;
  }
}

}  // namespace
}  // namespace fristvagt
