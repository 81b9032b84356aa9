// kafka_bench: the Kafka path of issues 5 and 8 measured against the embedded broker (an
// in-process librdkafka mock cluster) or a real cluster (issue 12), with the real
// `fristvagt run` as a child process. A plain program, not a test (conventions.md); figures
// and commands in docs/benchmarks.md.
//
//   kafka_bench [--quick] [--runs N] [--events N] [--persons N] [--rate N] [--seconds S]
//               [--only tlr] [--fetch-wait-ms N] [--dir DIR] [--binary PATH] [--rules DIR]
//               [--bootstrap HOST:PORT] [--partitions N] [--threads N] [--batch-size N]
//               [--overlap-delivery 0|1]
//
// --bootstrap: a real cluster instead of the embedded broker; the bench's own topics and
// groups are deleted and created again before each measurement (kafka_bench_broker.cc).
//
// t (throughput): N case events of replay_bench's cohort are produced to case-events; then
//   (1) passthrough: a raw librdkafka consumer group reads them and produces each to
//   bench.passthrough until all are acknowledged; (2) engine alone: Engine + RocksDB in this
//   process over the same events (the replay loop, no Kafka); (3) the processor: a fresh
//   `fristvagt run` (fresh group and state dir) until its committed offsets reach the end.
// l (latency): see kafka_bench_latency.h; at --rate, and if that is not sustained, at lower
//   rates found in the first run; each followed by the echo baseline at the same rate.
// p (threads, not in the default --only): see kafka_bench_threads.h; `fristvagt run` with
//   [processing] threads = 1 and = --threads (default 2), alternating, --runs times each.
// r (restore): a changelog of --persons person records written directly in the processor's
//   format, read raw to its end (the baseline), then restored by a fresh `fristvagt run`.
// Every measurement runs --runs times (default 3) and the medians are reported: a Markdown
// section on stdout, diagnostics on stderr. Defaults: 90,000 events, 1,000,000 persons, 10 s
// at 5,000 events/s; --quick: 1 run, 10,000 events, 50,000 persons, 3 s.

#include <sys/resource.h>

#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/kafka_bench_latency.h"
#include "bench/kafka_bench_restore.h"
#include "bench/kafka_bench_support.h"
#include "bench/kafka_bench_threads.h"
#include "processor/base/config.h"
#include "processor/engine/clock_driver.h"
#include "processor/engine/engine.h"
#include "rules/regime_loader.h"
#include "state/rocksdb_store.h"

namespace {

namespace fs = std::filesystem;
namespace v1 = fristvagt::v1;
using namespace fristvagt::bench;  // NOLINT: this file is the benchmark's own program
using fristvagt::processor::KafkaHandle;

struct Options {
  bool quick = false;
  int runs = 3;
  uint64_t events = 90000;  // 3 partitions x 5 MiB is all the embedded broker keeps
  uint64_t persons = 1000000;
  int rate = 5000;
  double seconds = 10;
  std::string only = "tlr";
  int fetch_wait_ms = 5;
  int partitions = 3;
  int threads = 2;
  bool overlap_delivery = false;  // measurement p: [processing] overlap_delivery
  int batch_size = 500;  // measurement p: the processor's [processing] batch_size  // measurement p: compared with 1
  fs::path dir = fs::temp_directory_path() / "fristvagt-kafka-bench";
  std::string binary = FRISTVAGT_BENCH_BINARY;
  std::string rules_dir = FRISTVAGT_BENCH_RULES_DIR;
  std::string bootstrap;  // empty: the embedded broker
};

double CpuSecondsOfThisProcess() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The raw baseline of (1): consume, produce each message on, until all are acknowledged.
double Passthrough(const std::string& bootstrap, uint64_t events, int run, double* cpu_seconds) {
  const double cpu_before = CpuSecondsOfThisProcess();
  KafkaHandle consumer = Client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                    {"group.id", absl::StrCat("bench-pass", run)},
                                                    {"auto.offset.reset", "earliest"},
                                                    {"enable.auto.commit", "false"}});
  rd_kafka_poll_set_consumer(consumer.get());
  fristvagt::processor::PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), "case-events", RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer.get(), topics.get());
  KafkaHandle producer = Client(
      RD_KAFKA_PRODUCER,
      {{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}, {"linger.ms", "5"}});
  uint64_t consumed = 0;
  Clock::time_point first;
  while (consumed < events) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (consumed++ == 0) first = Clock::now();
      rd_kafka_resp_err_t err;
      do {
        err = rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(kPassthroughTopic),
                                RD_KAFKA_V_KEY(m->key, m->key_len),
                                RD_KAFKA_V_VALUE(m->payload, m->len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer.get(), 10);
      } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
      rd_kafka_poll(producer.get(), 0);
      if (consumed % 500 == 0) rd_kafka_commit(consumer.get(), nullptr, /*async=*/1);
    }
    rd_kafka_message_destroy(m);
  }
  if (rd_kafka_flush(producer.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Check(absl::DeadlineExceededError("passthrough output not acknowledged"), "passthrough");
  }
  rd_kafka_commit(consumer.get(), nullptr, /*async=*/0);
  const double seconds = SecondsSince(first);
  rd_kafka_consumer_close(consumer.get());
  *cpu_seconds = CpuSecondsOfThisProcess() - cpu_before;
  return events / seconds;
}

// Engine + RocksDB over the same events, as `fristvagt run` drives them but without Kafka:
// the event-time clock, a flush and an outbox drain per 500 events.
double EngineAlone(const fristvagt::rules::Catalog& catalog,
                   const std::vector<v1::CaseEvent>& events, const fs::path& dir) {
  fs::remove_all(dir);
  auto store = fristvagt::state::OpenRocksDbStore(dir.string(), {"case-events", 0});
  Check(store.status(), "opening the engine-alone store");
  fristvagt::processor::EngineOptions options;
  options.emit_obligation_records = true;
  options.emit_changelog = true;
  fristvagt::processor::Engine engine(catalog, store->get(), options);
  auto drain = [&] {
    Check(engine.Flush(), "flush");
    std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
    Check((*store)->ScanOutbox(SIZE_MAX, &entries), "outbox");
    fristvagt::state::Batch done;
    for (const auto& [seq, entry] : entries) done.outbox_removed.push_back(seq);
    Check((*store)->Commit(done), "outbox removal");
  };
  fristvagt::processor::ClockDriver driver(&engine);
  const Clock::time_point began = Clock::now();
  for (size_t i = 0; i < events.size(); ++i) {
    Check(driver.Apply(events[i], "bench"), "apply");
    if ((i + 1) % 500 == 0) drain();
  }
  drain();
  return events.size() / SecondsSince(began);
}

struct Throughput {
  double passthrough = 0, engine_alone = 0, processor = 0, launch_to_done = 0;
  double passthrough_cpu = 0, processor_cpu = 0;  // CPU seconds (this process / the child)
  int64_t alerts = 0;
  int64_t produced = 0;  // messages the processor wrote: alerts, obligations, changelog
  long rss_kb = 0;
};

Throughput MeasureThroughput(const Options& o, const fristvagt::rules::Catalog& catalog,
                             const std::vector<v1::CaseEvent>& events, int run) {
  Throughput t;
  auto broker = StartBroker(o.partitions);
  const std::string bootstrap = broker->bootstrap_servers();
  ProduceCaseEvents(bootstrap, events, o.partitions);
  t.passthrough = Passthrough(bootstrap, events.size(), run, &t.passthrough_cpu);
  std::cerr << "run " << run << ": passthrough " << t.passthrough << " events/s\n";
  t.engine_alone = EngineAlone(catalog, events, o.dir / "engine-alone.state");
  std::cerr << "run " << run << ": engine alone " << t.engine_alone << " events/s\n";

  ProcessorSettings settings;
  settings.bootstrap = bootstrap;
  settings.state_dir = o.dir / "throughput.state";
  settings.http_port = FreeTcpPort();
  const Clock::time_point launched = Clock::now();
  RunningProcessor p = LaunchProcessor(o.binary, o.dir, "throughput", settings, absl::Seconds(120));
  const Clock::time_point ready = Clock::now();
  WaitUntilCommittedToEnd(p, settings, o.partitions, absl::Milliseconds(100));
  t.processor = events.size() / SecondsSince(ready);
  t.launch_to_done = SecondsSince(launched);
  t.rss_kb = p.child->PeakRssKb();
  t.processor_cpu = p.child->CpuSeconds();
  p.child->Stop(absl::Seconds(15));
  KafkaHandle group = Client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap}});
  t.alerts = Sum(EndOffsets(group.get(), "fristvagt.alerts", o.partitions));
  // What the broker had to take: the passthrough writes one message per event, the processor
  // an alert, obligation records and changelog records (issue 8: this is what bounds it).
  t.produced = t.alerts;
  for (const char* topic : {"fristvagt.obligations", "fristvagt.state-changelog"}) {
    const int64_t n = Sum(EndOffsets(group.get(), topic, o.partitions));
    std::cerr << "run " << run << ": " << n << " messages on " << topic << "\n";
    t.produced += n;
  }
  std::cerr << "run " << run << ": processor " << t.processor << " events/s (ready after "
            << p.ready_seconds << " s), " << t.alerts << " alerts, " << t.produced
            << " messages produced, peak RSS " << t.rss_kb / 1024 << " MiB\n";
  return t;
}

std::string Uptime() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return absl::StrCat(one, " ", five, " ", fifteen);
}

// "median (run1, run2, ...)" with `digits` decimals.
std::string Cell(const std::vector<double>& values, int digits = 0) {
  std::string runs;
  for (double v : values)
    absl::StrAppend(&runs, runs.empty() ? "" : ", ", absl::StrFormat("%.*f", digits, v));
  return absl::StrFormat("**%.*f** (%s)", digits, Median(values), runs);
}

template <typename T, typename F>
std::vector<double> Column(const std::vector<T>& rows, F f) {
  std::vector<double> out;
  for (const T& row : rows) out.push_back(f(row));
  return out;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  bool events_set = false, persons_set = false, seconds_set = false, runs_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--quick") {
      o->quick = true;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (flag == "--runs" && absl::SimpleAtoi(value, &o->runs) && o->runs > 0)
      runs_set = true;
    else if (flag == "--events" && absl::SimpleAtoi(value, &o->events))
      events_set = true;
    else if (flag == "--persons" && absl::SimpleAtoi(value, &o->persons))
      persons_set = true;
    else if (flag == "--seconds" && absl::SimpleAtod(value, &o->seconds))
      seconds_set = true;
    else if (flag == "--rate" && absl::SimpleAtoi(value, &o->rate) && o->rate > 0)
      continue;
    else if (flag == "--fetch-wait-ms" && absl::SimpleAtoi(value, &o->fetch_wait_ms))
      continue;
    else if (flag == "--only")
      o->only = value;
    else if (flag == "--dir")
      o->dir = value;
    else if (flag == "--binary")
      o->binary = value;
    else if (flag == "--rules")
      o->rules_dir = value;
    else if (flag == "--bootstrap")
      o->bootstrap = value;
    else if (flag == "--partitions" && absl::SimpleAtoi(value, &o->partitions) && o->partitions > 0)
      continue;
    else if (flag == "--overlap-delivery" && (value == "0" || value == "1"))
      o->overlap_delivery = value == "1";
    else if (flag == "--batch-size" && absl::SimpleAtoi(value, &o->batch_size) && o->batch_size > 0)
      continue;
    else if (flag == "--threads" && absl::SimpleAtoi(value, &o->threads) && o->threads > 0)
      continue;
    else
      return false;
  }
  if (o->quick) {
    if (!runs_set) o->runs = 1;
    if (!events_set) o->events = 10000;
    if (!persons_set) o->persons = 50000;
    if (!seconds_set) o->seconds = 3;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) {
    std::cerr << "usage: kafka_bench [--quick] [--runs N] [--events N] [--persons N] [--rate N] "
                 "[--seconds S] [--only tlr] [--fetch-wait-ms N] [--dir DIR] [--binary PATH] "
                 "[--rules DIR] [--bootstrap HOST:PORT] [--partitions N] [--threads N] [--batch-size N] [--overlap-delivery 0|1]\n";
    return 2;
  }
  std::vector<fristvagt::rules::RuleFileError> errors;
  auto catalog = fristvagt::rules::LoadCatalog(o.rules_dir, &errors);
  Check(catalog.status(), "loading rules");
  fs::remove_all(o.dir);
  fs::create_directories(o.dir);
  if (!o.bootstrap.empty()) UseExternalBroker(o.bootstrap);
  const std::string load_before = Uptime();
  std::ostringstream out;
  out << "### kafka_bench" << (o.quick ? " --quick" : "") << ": " << o.runs
      << " runs, medians (each run in brackets), "
      << (o.bootstrap.empty() ? std::string("embedded broker")
                              : "real broker at " + o.bootstrap + " (topics recreated per run)")
      << "\n\n";

  if (o.only.find('t') != std::string::npos) {
    const std::vector<v1::CaseEvent> events =
        CohortEvents(o.events, absl::Now() - absl::Hours(24 * 70));
    std::vector<Throughput> rows;
    for (int run = 0; run < o.runs; ++run)
      rows.push_back(MeasureThroughput(o, *catalog, events, run));
    out << "Throughput: " << events.size() << " case events (" << (events.size() + 2) / 3
        << " persons), " << o.partitions << " partitions\n\n| figure | value |\n|---|---|\n"
        << "| (1) passthrough, events/s | "
        << Cell(Column(rows, [](auto& r) { return r.passthrough; })) << " |\n"
        << "| engine alone (Engine + RocksDB, no Kafka), events/s | "
        << Cell(Column(rows, [](auto& r) { return r.engine_alone; })) << " |\n"
        << "| (2) processor end to end (ready → all offsets committed), events/s | "
        << Cell(Column(rows, [](auto& r) { return r.processor; })) << " |\n"
        << "| processor launch → all committed, s | "
        << Cell(Column(rows, [](auto& r) { return r.launch_to_done; }), 1) << " |\n"
        << "| alerts produced | " << Cell(Column(rows, [](auto& r) { return double(r.alerts); }))
        << " |\n"
        << "| messages the processor produced (alerts, obligation and changelog records) | "
        << Cell(Column(rows, [](auto& r) { return double(r.produced); })) << " |\n"
        << "| messages produced per input event: processor (passthrough: 1) | "
        << Cell(Column(rows, [&](auto& r) { return double(r.produced) / events.size(); }), 2)
        << " |\n"
        << "| messages produced per second: processor / passthrough | "
        << Cell(Column(rows,
                       [&](auto& r) {
                         return (r.produced * r.processor / events.size()) / r.passthrough;
                       }),
                3)
        << " |\n"
        << "| ratio processor / passthrough | "
        << Cell(Column(rows, [](auto& r) { return r.processor / r.passthrough; }), 3) << " |\n"
        << "| ratio processor / engine alone | "
        << Cell(Column(rows, [](auto& r) { return r.processor / r.engine_alone; }), 2) << " |\n"
        << "| processor peak RSS (VmHWM), MiB | "
        << Cell(Column(rows, [](auto& r) { return r.rss_kb / 1024.0; })) << " |\n"
        << "| CPU per event, passthrough client (consume + produce, its process), us | "
        << Cell(Column(rows, [&](auto& r) { return 1e6 * r.passthrough_cpu / events.size(); }), 1)
        << " |\n"
        << "| CPU per event, `fristvagt run` (launch → all committed, its process), us | "
        << Cell(Column(rows, [&](auto& r) { return 1e6 * r.processor_cpu / events.size(); }), 1)
        << " |\n"
        << "| ratio CPU per event processor / passthrough | "
        << Cell(Column(rows, [](auto& r) { return r.processor_cpu / r.passthrough_cpu; }), 2)
        << " |\n\n";
  }
  if (o.only.find('l') != std::string::npos) {
    LatencyParams params;
    params.binary = o.binary;
    params.dir = o.dir;
    params.partitions = o.partitions;
    params.seconds = o.seconds;
    params.settings.fetch_wait_max_ms = o.fetch_wait_ms;
    std::vector<int> rates = {o.rate};
    std::map<std::pair<int, bool>, std::vector<LatencyResult>> rows_of;  // (rate, echo)
    for (int run = 0; run < o.runs; ++run) {
      for (size_t k = 0; k < rates.size(); ++k) {
        params.rate = rates[k];
        params.echo = false;
        const LatencyResult r = MeasureLatency(params, run);
        rows_of[{r.rate, false}].push_back(r);
        params.echo = true;  // the baseline at the same rate, right after
        rows_of[{r.rate, true}].push_back(MeasureLatency(params, run));
        // The first run looks for a rate the processor sustains, at most three steps down.
        const int lower = static_cast<int>(r.processed_rate * 0.7 / 100) * 100;
        if (run == 0 && !r.sustained && k + 1 == rates.size() && rates.size() < 4 && lower > 0) {
          rates.push_back(lower);
        }
      }
    }
    out << "Latency: late first contacts (BREACH at once) at a steady rate for " << o.seconds
        << " s; processor batch_size 500, batch_linger_ms 20, fetch.wait.max.ms " << o.fetch_wait_ms
        << " (processor, echo and alert reader); the echo baseline answers each event from a plain "
           "consumer/producer\n\n"
        << "| offered events/s | what | sustained (all alerts in) | alerts / sent | first alert "
           "BREACH | p50 ms | p99 ms | max ms | p99 / echo p99 | processed events/s | peak RSS "
           "MiB |\n"
        << "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [key, rows] : rows_of) {
      const auto& [rate, echo] = key;
      int sustained = 0;
      for (const auto& r : rows) sustained += r.sustained;
      std::vector<double> p99_ratio;
      const std::vector<LatencyResult>& echoes = rows_of[{rate, true}];
      for (size_t i = 0; i < rows.size() && i < echoes.size(); ++i) {
        p99_ratio.push_back(rows[i].p99_ms / std::max(1e-9, echoes[i].p99_ms));
      }
      out << "| " << rate << " | " << (echo ? "echo baseline" : "processor") << " | " << sustained
          << " of " << rows.size() << " runs | "
          << Cell(Column(rows, [](auto& r) { return double(r.matched) / r.sent; }), 3) << " | "
          << Cell(Column(rows,
                         [](auto& r) {
                           return double(r.breaches) / std::max<uint64_t>(1, r.matched);
                         }),
                  3)
          << " | " << Cell(Column(rows, [](auto& r) { return r.p50_ms; }), 1) << " | "
          << Cell(Column(rows, [](auto& r) { return r.p99_ms; }), 1) << " | "
          << Cell(Column(rows, [](auto& r) { return r.max_ms; }), 1) << " | "
          << (echo ? "" : Cell(p99_ratio, 1)) << " | "
          << Cell(Column(rows, [](auto& r) { return r.processed_rate; })) << " | "
          << (echo ? "" : Cell(Column(rows, [](auto& r) { return r.peak_rss_kb / 1024.0; })))
          << " |\n";
    }
    out << '\n';
  }
  if (o.only.find('p') != std::string::npos) {
    const std::vector<v1::CaseEvent> events =
        CohortEvents(o.events, absl::Now() - absl::Hours(24 * 70));
    std::vector<ThreadsResult> one, many;
    const ThreadsParams params{o.binary, o.dir, o.partitions, o.batch_size, o.overlap_delivery};
    for (int run = 0; run < o.runs; ++run) {  // alternating, so both see the same load
      one.push_back(MeasureThreads(params, *catalog, events, 1, run));
      many.push_back(MeasureThreads(params, *catalog, events, o.threads, run));
    }
    auto ratio = [&](auto f) {
      std::vector<double> out;
      for (size_t i = 0; i < one.size(); ++i) out.push_back(f(many[i]) / f(one[i]));
      return out;
    };
    const std::string n = absl::StrCat("threads = ", o.threads);
    out << "Threads: " << events.size() << " case events, " << o.partitions
        << " partitions, `fristvagt run` with [processing] threads = 1 and " << o.threads
        << " (overlap_delivery = " << (o.overlap_delivery ? "true" : "false") << ")"
        << ", alternating, a fresh embedded broker (in this process) each\n\n"
        << "| figure | threads = 1 | " << n << " | ratio " << o.threads << " / 1 |\n|---|---|---|---|\n"
        << "| processor, events/s (/readyz 200 → all offsets committed) | "
        << Cell(Column(one, [](auto& r) { return r.events_per_second; })) << " | "
        << Cell(Column(many, [](auto& r) { return r.events_per_second; })) << " | "
        << Cell(ratio([](auto& r) { return r.events_per_second; }), 2) << " |\n"
        << "| processor CPU per event (all its threads, same span), us | "
        << Cell(Column(one, [](auto& r) { return r.cpu_us_per_event; }), 1) << " | "
        << Cell(Column(many, [](auto& r) { return r.cpu_us_per_event; }), 1) << " | "
        << Cell(ratio([](auto& r) { return r.cpu_us_per_event; }), 2) << " |\n"
        << "| engines alone (Engine + RocksDB per partition on the pool, no Kafka), events/s | "
        << Cell(Column(one, [](auto& r) { return r.engine_alone; })) << " | "
        << Cell(Column(many, [](auto& r) { return r.engine_alone; })) << " | "
        << Cell(ratio([](auto& r) { return r.engine_alone; }), 2) << " |\n"
        ;
    for (const char* kind : {"main", "pool helpers", "librdkafka", "rocksdb", "other", "exited"}) {
      auto of = [kind](const ThreadsResult& r) {
        auto it = r.cpu_us_by_thread.find(kind);
        return it != r.cpu_us_by_thread.end() ? it->second : 0.0;
      };
      out << "| of which " << kind << " threads, us | "
          << Cell(Column(one, [&](auto& r) { return of(r); }), 1) << " | "
          << Cell(Column(many, [&](auto& r) { return of(r); }), 1) << " | |\n";
    }
    out << "| processor peak RSS (VmHWM), MiB | "
        << Cell(Column(one, [](auto& r) { return r.rss_kb / 1024.0; })) << " | "
        << Cell(Column(many, [](auto& r) { return r.rss_kb / 1024.0; })) << " | |\n\n";
  }
  if (o.only.find('r') != std::string::npos) {
    const std::vector<v1::PersonState> templates = PersonTemplates(*catalog, 1000, absl::Now());
    uint64_t bytes = 0;
    for (const auto& t : templates) bytes += t.ByteSizeLong();
    // The embedded broker keeps 5 MiB per partition, so there the persons are spread over as
    // many as they need; a real broker keeps everything in --partitions.
    const int partitions =
        ExternalBroker() ? o.partitions : RestorePartitions(o.persons, bytes / templates.size());
    std::vector<RestoreResult> rows;
    for (int run = 0; run < o.runs; ++run) {
      rows.push_back(MeasureRestore({o.binary, o.dir, o.persons}, templates, partitions, run));
    }
    out << "Restore: " << o.persons << " persons (mean record " << bytes / templates.size()
        << " B) written directly to the changelog with " << 2 * partitions << " progress records, "
        << partitions << " partitions"
        << (ExternalBroker() ? "" : " (the embedded broker keeps 5 MiB per partition)") << "\n\n"
        << "| figure | value |\n|---|---|\n"
        << "| changelog records read by the raw consumer | "
        << Cell(Column(rows, [](auto& r) { return double(r.records); })) << " |\n"
        << "| changelog records the processor restored | "
        << Cell(Column(rows, [](auto& r) { return double(r.restored); })) << " |\n"
        << "| raw consume of the changelog to its end, records/s | "
        << Cell(Column(rows, [](auto& r) { return r.raw; })) << " |\n"
        << "| processor restore (records / the restore seconds of its log lines), records/s | "
        << Cell(Column(rows, [](auto& r) { return r.processor; })) << " |\n"
        << "| ratio restore / raw consume | "
        << Cell(Column(rows, [](auto& r) { return r.processor / r.raw; }), 3) << " |\n"
        << "| records / (launch → /readyz 200), records/s | "
        << Cell(Column(rows, [](auto& r) { return r.restored / r.ready_seconds; })) << " |\n"
        << "| restore time (sum over assignments, or over partitions when restored one by one), s "
           "| "
        << Cell(Column(rows, [](auto& r) { return r.restore_seconds; }), 1) << " |\n"
        << "| launch → /readyz 200, s | "
        << Cell(Column(rows, [](auto& r) { return r.ready_seconds; }), 1) << " |\n"
        << "| processor peak RSS (VmHWM), MiB | "
        << Cell(Column(rows, [](auto& r) { return r.rss_kb / 1024.0; })) << " |\n\n";
  }
  out << "Load average (1/5/15 min): " << load_before << " at the start, " << Uptime()
      << " at the end.\n";
  std::cout << out.str();
  fs::remove_all(o.dir);
  return 0;
}
