// peer_bench: fristvagt against the Kafka Streams peer of issue 15 (bench/peers/kafka-streams)
// on the same events through the same real broker, one after the other. A plain program, not a
// test (conventions.md); bench/peers/run_side_by_side.sh drives it, docs/benchmarks.md has the
// figures.
//
//   peer_bench --bootstrap HOST:PORT --peer-classpath CP [--persons N] [--partitions N]
//              [--binary PATH] [--rules DIR] [--dir DIR] [--java PATH] [--peer-heap SIZE]
//              [--peer-commit-ms N] [--only fp]
//
// 1. The bench's topics are deleted and created empty (kafka_bench_broker.cc), and a cohort of
//    N persons is produced to case-events (protobuf CaseEvent, key person_key), each record's
//    timestamp its occurred_at, so that the peer's stream time is the events' time. Per person
//    a first contact; by person % 10: 0 no meeting, 1 no test need assessment, 2 assessed
//    TEST_NEEDED and no test, 3 TEST_NEEDED and a test after 20 days, 4 the meeting 8 days and
//    12 hours late instead of 3 days, else a meeting after 3 days and NOT_NEEDED after 10 (the
//    cohort of replay_bench). First contacts over 60 days ending 40 days ago, so every deadline
//    of the three rules has passed. Last, one first contact at the present moment on every
//    partition: it carries the peer's stream time (hence its punctuator) past every deadline,
//    as fristvagt's clock gets there by the wall clock.
// 2. f: `fristvagt run` (regime --rules, group fristvagt-bench), from launch until its committed
//    offsets reach the end of case-events; its process CPU (utime+stime) at that moment.
// 3. p: the peer (java, group = application id peer-bench-<unix time>), the same until its committed
//    offsets reach the end; JVM start-up included in its CPU, also reported apart (CPU until
//    its first commit is not separable, so: CPU at the moment its group first shows a commit).
// 4. The breaches of each by rule: fristvagt's BREACH alerts on fristvagt.alerts, the peer's
//    "BREACH rule" lines on its output topic (bench.passthrough, created empty in 1).
// The report is Markdown on stdout, progress on stderr.

#include <sys/resource.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/kafka_bench_support.h"
#include "processor/base/config.h"
#include "proto/alert.pb.h"

namespace {

namespace fs = std::filesystem;
namespace v1 = fristvagt::v1;
using namespace fristvagt::bench;  // NOLINT: this file is the benchmark's own program

struct Options {
  std::string bootstrap;
  std::string peer_classpath;
  uint64_t persons = 100000;
  int partitions = 3;
  std::string binary = FRISTVAGT_BENCH_BINARY;
  std::string rules_dir = FRISTVAGT_BENCH_PEER_RULES_DIR;
  fs::path dir = fs::temp_directory_path() / "fristvagt-peer-bench";
  std::string java = "/usr/bin/java";
  std::string peer_heap = "1g";
  int peer_commit_ms = 1000;
  std::string only = "fp";
  // Unique per run: its internal topics and committed offsets must not be an earlier run's.
  std::string peer_app_id = absl::StrCat("peer-bench-", absl::ToUnixSeconds(absl::Now()));
};

struct Record {
  std::string key;
  std::string value;
  int32_t partition = -1;
  int64_t timestamp_ms = 0;
};

Record ToRecord(const v1::CaseEvent& event, int32_t partition = -1) {
  return {event.person_key(), event.SerializeAsString(), partition,
          event.occurred_at().seconds() * 1000 + event.occurred_at().nanos() / 1000000};
}

// The cohort of the header, in time order, then the per-partition markers at `now`.
std::vector<Record> Cohort(const Options& o, absl::Time now) {
  const absl::Time start = now - absl::Hours(24 * 100);
  const absl::Duration spacing = absl::Hours(24 * 60) / static_cast<double>(o.persons);
  std::vector<std::pair<absl::Time, v1::CaseEvent>> events;
  events.reserve(o.persons * 3);
  for (uint64_t i = 0; i < o.persons; ++i) {
    const absl::Time contact = start + spacing * static_cast<double>(i);
    events.emplace_back(contact, MakeEvent({contact, i, Kind::kFirstContact}));
    const int variant = static_cast<int>(i % 10);
    if (variant != 0) {
      const absl::Time at = contact + absl::Hours(variant == 4 ? 24 * 8 + 12 : 24 * 3);
      events.emplace_back(at, MakeEvent({at, i, Kind::kMeeting}));
    }
    if (variant != 1) {
      const absl::Time at = contact + absl::Hours(24 * 10);
      v1::CaseEvent assessed = MakeEvent({at, i, Kind::kTestNeed});
      if (variant == 2 || variant == 3) {
        assessed.mutable_test_need_assessed()->set_outcome(v1::TEST_NEEDED);
      }
      events.emplace_back(at, std::move(assessed));
    }
    if (variant == 3) {
      const absl::Time at = contact + absl::Hours(24 * 20);
      v1::CaseEvent test = MakeEvent({at, i, Kind::kTestNeed});
      test.mutable_test_completed();  // replaces the payload (a oneof)
      test.set_event_id(absl::StrCat("e-", i, "-test"));
      events.emplace_back(at, std::move(test));
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Record> out;
  out.reserve(events.size() + o.partitions);
  for (const auto& [at, event] : events) out.push_back(ToRecord(event));
  for (int p = 0; p < o.partitions; ++p) {
    out.push_back(ToRecord(MakeEvent({now, o.persons + p, Kind::kFirstContact}), p));
  }
  return out;
}

void Produce(const std::string& bootstrap, const std::vector<Record>& records) {
  fristvagt::processor::KafkaHandle producer =
      Client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                 {"enable.idempotence", "true"},
                                 {"linger.ms", "5"},
                                 // Java's partitioner, as fristvagt's [input] default expects
                                 {"partitioner", "murmur2_random"},
                                 {"queue.buffering.max.messages", "500000"}});
  for (const Record& r : records) {
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC("case-events"),
          RD_KAFKA_V_PARTITION(r.partition < 0 ? RD_KAFKA_PARTITION_UA : r.partition),
          RD_KAFKA_V_KEY(r.key.data(), r.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
          RD_KAFKA_V_TIMESTAMP(r.timestamp_ms), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer.get(), 50);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Check(absl::InternalError(rd_kafka_err2str(err)), "producing to case-events");
    }
  }
  if (rd_kafka_flush(producer.get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_outq_len(producer.get()) > 0) {
    Check(absl::DeadlineExceededError("not acknowledged"), "producing to case-events");
  }
}

struct Measured {
  double wall_seconds = 0;        // launch → committed offsets at the end of the input
  double cpu_seconds = 0;         // its process's utime+stime at that moment
  double startup_cpu = 0;         // CPU when its group's first commit was seen
  double startup_wall = 0;        // and when
  long peak_rss_mib = 0;
  std::map<std::string, int64_t> breaches;  // by rule
  int64_t outputs = 0;                      // records on its output topic
};

// Waits until `group` has committed the end of case-events (polling every 100 ms); fills the
// timing fields of `m` from `child`.
void AwaitEnd(Child* child, const std::string& bootstrap, const std::string& group,
              int partitions, int64_t end, Clock::time_point launched, Measured* m) {
  fristvagt::processor::KafkaHandle watcher =
      Client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap}, {"group.id", group}});
  bool first = false;
  for (;;) {
    const double cpu = child->CpuSeconds();
    const double wall = SecondsSince(launched);
    const long rss = child->PeakRssKb();
    if (rss > 0) m->peak_rss_mib = rss / 1024;
    if (!child->Running()) Check(absl::InternalError("exited early"), group);
    const int64_t committed = Sum(CommittedOffsets(watcher.get(), "case-events", partitions));
    if (committed > 0 && !first) {
      first = true;
      m->startup_cpu = cpu;
      m->startup_wall = wall;
    }
    if (committed >= end) {
      m->wall_seconds = wall;
      m->cpu_seconds = cpu;
      return;
    }
    if (wall > 3600) Check(absl::DeadlineExceededError("not at the end after an hour"), group);
    absl::SleepFor(absl::Milliseconds(100));
  }
}

// Every record of `topic` now (all partitions, from the start), handed to `each`.
template <typename Fn>
int64_t ReadAll(const std::string& bootstrap, const std::string& topic, int partitions, Fn each) {
  fristvagt::processor::KafkaHandle consumer =
      Client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                 {"group.id", "peer-bench-reader"},
                                 {"enable.auto.commit", "false"},
                                 {"isolation.level", "read_committed"}});
  const std::map<int32_t, int64_t> ends = EndOffsets(consumer.get(), topic, partitions);
  fristvagt::processor::PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_assign(consumer.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Check(absl::InternalError("assign failed"), topic);
  }
  std::map<int32_t, int64_t> next;
  int64_t count = 0;
  const absl::Time deadline = absl::Now() + absl::Minutes(5);
  auto done = [&] {
    for (const auto& [p, end] : ends) {
      if (end > 0 && next[p] < end) return false;
    }
    return true;
  };
  while (!done() && absl::Now() < deadline) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(consumer.get(), 200);
    if (msg == nullptr) continue;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      next[msg->partition] = msg->offset + 1;
      each(std::string_view(static_cast<const char*>(msg->payload), msg->len));
      ++count;
    } else if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      next[msg->partition] = ends.at(msg->partition);
    }
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_consumer_close(consumer.get());
  return count;
}

Measured RunFristvagt(const Options& o, int64_t end) {
  setenv("FRISTVAGT_RULES", o.rules_dir.c_str(), 1);
  ProcessorSettings settings;
  settings.bootstrap = o.bootstrap;
  settings.state_dir = o.dir / "fristvagt-state";
  settings.http_port = FreeTcpPort();
  const Clock::time_point launched = Clock::now();
  RunningProcessor p = LaunchProcessor(o.binary, o.dir, "fristvagt", settings, absl::Seconds(120));
  Measured m;
  AwaitEnd(p.child.get(), o.bootstrap, settings.group_id, o.partitions, end, launched, &m);
  p.child->Stop(absl::Seconds(15));
  m.outputs = ReadAll(o.bootstrap, "fristvagt.alerts", o.partitions, [&](std::string_view bytes) {
    v1::Alert alert;
    if (alert.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
        alert.kind() == v1::BREACH) {
      ++m.breaches[alert.rule_id()];
    }
  });
  return m;
}

Measured RunPeer(const Options& o, int64_t end) {
  const fs::path state = o.dir / "peer-state";
  fs::remove_all(state);
  const fs::path log = o.dir / "peer.log";
  fs::remove(log);
  const Clock::time_point launched = Clock::now();
  Child child(o.java,
              {absl::StrCat("-Xmx", o.peer_heap), "-Djava.awt.headless=true",
               absl::StrCat("-Dpeer.state.dir=", state.string()),
               absl::StrCat("-Dpeer.commit.interval.ms=", o.peer_commit_ms), "-cp",
               o.peer_classpath, "fristvagt.peer.Peer", o.bootstrap, "case-events",
               kPassthroughTopic, o.peer_app_id},
              log);
  std::cerr << "peer: java is pid " << child.pid() << '\n';
  Measured m;
  AwaitEnd(&child, o.bootstrap, o.peer_app_id, o.partitions, end, launched, &m);
  child.Stop(absl::Seconds(30));
  m.outputs = ReadAll(o.bootstrap, kPassthroughTopic, o.partitions, [&](std::string_view line) {
    if (line.rfind("BREACH ", 0) == 0) ++m.breaches[std::string(line.substr(7))];
  });
  return m;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--bootstrap") o.bootstrap = value;
    else if (flag == "--peer-classpath") o.peer_classpath = value;
    else if (flag == "--persons" && absl::SimpleAtoi(value, &o.persons)) {}
    else if (flag == "--partitions" && absl::SimpleAtoi(value, &o.partitions)) {}
    else if (flag == "--binary") o.binary = value;
    else if (flag == "--rules") o.rules_dir = value;
    else if (flag == "--dir") o.dir = value;
    else if (flag == "--java") o.java = value;
    else if (flag == "--peer-heap") o.peer_heap = value;
    else if (flag == "--peer-commit-ms" && absl::SimpleAtoi(value, &o.peer_commit_ms)) {}
    else if (flag == "--only") o.only = value;
    else {
      std::cerr << "peer_bench: bad flag " << flag << " (see the head of bench/peer_bench.cc)\n";
      return 2;
    }
  }
  if (o.bootstrap.empty() || (o.only.find('p') != std::string::npos && o.peer_classpath.empty())) {
    std::cerr << "peer_bench: --bootstrap and --peer-classpath are required\n";
    return 2;
  }
  fs::create_directories(o.dir);
  const std::string load_start = LoadAverage();
  UseExternalBroker(o.bootstrap);
  auto broker = StartBroker(o.partitions);  // the bench's topics, empty
  const std::vector<Record> records = Cohort(o, absl::Now());
  const Clock::time_point produce_began = Clock::now();
  Produce(o.bootstrap, records);
  const double produce_seconds = SecondsSince(produce_began);
  fristvagt::processor::KafkaHandle probe = Client(
      RD_KAFKA_CONSUMER, {{"bootstrap.servers", o.bootstrap}, {"group.id", "peer-bench-probe"}});
  const int64_t end = Sum(EndOffsets(probe.get(), "case-events", o.partitions));
  std::cerr << "produced " << records.size() << " events (" << end << " in the topic) in "
            << produce_seconds << " s\n";

  std::vector<std::pair<std::string, Measured>> rows;
  std::vector<std::string> loads;
  auto note = [&] {  // on stderr at once: a later failure must not lose a measurement
    const Measured& m = rows.back().second;
    std::cerr << rows.back().first << ": " << m.wall_seconds << " s, CPU " << m.cpu_seconds
              << " s (" << m.startup_cpu << " before its first commit), load " << loads.back()
              << ", " << m.outputs << " output records\n";
  };
  if (o.only.find('f') != std::string::npos) {
    rows.emplace_back("fristvagt run", RunFristvagt(o, end));
    loads.push_back(LoadAverage());
    note();
  }
  if (o.only.find('p') != std::string::npos) {
    rows.emplace_back("Kafka Streams peer", RunPeer(o, end));
    loads.push_back(LoadAverage());
    note();
  }

  std::cout << "### peer_bench: " << o.persons << " persons, " << end
            << " case events, one real broker, " << o.partitions << " partitions\n\n"
            << "Load average at start " << load_start << "; after each: ";
  for (const std::string& l : loads) std::cout << "[" << l << "] ";
  std::cout << "\n\n| | wall s (launch → end committed) | events/s | CPU s | events per "
               "CPU-second | µs CPU per event | CPU s before its first commit | peak RSS MiB |"
               " first_meeting | test_need_assessment | test_completed | output records |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& [name, m] : rows) {
    auto breaches = [&](const std::string& rule) {
      auto it = m.breaches.find(rule);
      return it == m.breaches.end() ? int64_t{0} : it->second;
    };
    std::cout << absl::StrFormat("| %s | %.1f | %.0f | %.1f | %.0f | %.1f | %.1f | %d | %d | %d | %d | %d |\n",
                                 name, m.wall_seconds, end / m.wall_seconds, m.cpu_seconds,
                                 end / m.cpu_seconds, m.cpu_seconds * 1e6 / end, m.startup_cpu,
                                 m.peak_rss_mib, breaches("first_meeting"),
                                 breaches("test_need_assessment"), breaches("test_completed"),
                                 m.outputs);
  }
  if (rows.size() == 2) {
    const double ratio = rows[1].second.cpu_seconds / rows[0].second.cpu_seconds;
    std::cout << absl::StrFormat(
        "\nfristvagt / peer in events per CPU-second: **%.2f** (target ≥ 2); in events/s: %.2f\n",
        ratio, rows[1].second.wall_seconds / rows[0].second.wall_seconds);
    // Below ~100,000 persons the JVM's start-up and JIT warm-up are a large part of the peer's
    // CPU, which flatters the ratio (docs/benchmarks.md, issue 15 session 12: 3.26 at 20,000
    // persons, 0.92-0.95 at 100,000 on the same binaries).
    if (o.persons < 100000) {
      std::cout << "(at " << o.persons << " persons the peer's JVM start-up weighs on its CPU; "
                << "the comparison that counts is at 100,000 persons or more)\n";
    }
  }
  return 0;
}
