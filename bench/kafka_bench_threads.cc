// The threads measurement of kafka_bench (see kafka_bench_threads.h).
#include "bench/kafka_bench_threads.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "processor/engine/engine.h"
#include "processor/kafka/partition_workers.h"
#include "state/rocksdb_store.h"

namespace fristvagt::bench {

namespace {

// The events of each partition as librdkafka's default partitioner (crc32 of the key, as
// ProduceAll's producer) would place them; the engines need only a split by key.
std::vector<std::vector<const v1::CaseEvent*>> SplitByKey(const std::vector<v1::CaseEvent>& events,
                                                          int partitions) {
  std::vector<std::vector<const v1::CaseEvent*>> out(partitions);
  for (const v1::CaseEvent& e : events) {
    out[std::hash<std::string>()(e.person_key()) % partitions].push_back(&e);
  }
  return out;
}

// Engine + RocksDB of every partition over its events (as EngineAlone in kafka_bench.cc: the
// event-time clock, a flush and an outbox drain per 500 events), the partitions as tasks of
// the processor's pool with `threads`.
double EnginesAlone(const rules::Catalog& catalog, const std::vector<v1::CaseEvent>& events,
                    int partitions, int threads, const std::filesystem::path& dir) {
  const auto split = SplitByKey(events, partitions);
  std::vector<std::unique_ptr<state::StateStore>> stores;
  std::vector<std::unique_ptr<processor::Engine>> engines;
  processor::EngineOptions options;
  options.emit_obligation_records = true;
  options.emit_changelog = true;
  options.cached_persons = 50000 / partitions;  // as `run` shares [state] cached_persons
  for (int p = 0; p < partitions; ++p) {
    const std::filesystem::path store_dir = dir / absl::StrCat("engines-", p);
    std::filesystem::remove_all(store_dir);
    auto store = state::OpenRocksDbStore(store_dir.string(), {"case-events", p});
    Check(store.status(), "opening an engines-alone store");
    stores.push_back(std::move(*store));
    engines.push_back(std::make_unique<processor::Engine>(catalog, stores.back().get(), options));
  }
  processor::PartitionWorkers workers(threads);
  const Clock::time_point began = Clock::now();
  workers.Run(partitions, [&](size_t p) {
    processor::Engine& engine = *engines[p];
    state::StateStore& store = *stores[p];
    auto drain = [&] {
      Check(engine.Flush(), "flush");
      std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
      Check(store.ScanOutbox(SIZE_MAX, &entries), "outbox");
      state::Batch done;
      for (const auto& [seq, entry] : entries) done.outbox_removed.push_back(seq);
      Check(store.Commit(done), "outbox removal");
    };
    absl::Time clock = absl::InfinitePast();
    for (size_t i = 0; i < split[p].size(); ++i) {
      const v1::CaseEvent& event = *split[p][i];
      const absl::Time at = absl::FromUnixSeconds(event.recorded_at().seconds()) +
                            absl::Nanoseconds(event.recorded_at().nanos());
      if (at > clock) {
        Check(engine.FireTimersUpTo(at), "timers");
        clock = at;
      }
      Check(engine.ApplyEvent(event, clock, "bench"), "apply");
      if ((i + 1) % 500 == 0) drain();
    }
    drain();
  });
  return events.size() / SecondsSince(began);
}

// CPU seconds of `pid`'s threads so far, summed by kind (see ThreadsResult).
std::map<std::string, double> ThreadCpu(pid_t pid) {
  std::map<std::string, double> out;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream in(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = stat.substr(open + 1, close - open - 1);
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::atoll(field.c_str());
      if (i == 15) stime = std::atoll(field.c_str());
    }
    const std::string kind = task.path().filename() == std::to_string(pid) ? "main"
                             : comm == "partition-work"                    ? "pool helpers"
                             : comm.rfind("rdk:", 0) == 0                  ? "librdkafka"
                             : comm.rfind("rocksdb", 0) == 0               ? "rocksdb"
                                                                           : "other";
    out[kind] += static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
  }
  return out;
}

}  // namespace

ThreadsResult MeasureThreads(const ThreadsParams& params, const rules::Catalog& catalog,
                             const std::vector<v1::CaseEvent>& events, int threads, int run) {
  ThreadsResult r;
  r.threads = threads;
  auto broker = StartBroker(params.partitions);
  const std::string bootstrap = broker->bootstrap_servers();
  ProduceCaseEvents(bootstrap, events, params.partitions);

  ProcessorSettings settings;
  settings.bootstrap = bootstrap;
  settings.state_dir = params.dir / "threads.state";
  settings.http_port = FreeTcpPort();
  settings.threads = threads;
  settings.batch_size = params.batch_size;
  settings.overlap_delivery = params.overlap_delivery;
  const std::string name = absl::StrCat("threads-", threads, "-run", run);
  RunningProcessor p = LaunchProcessor(params.binary, params.dir, name, settings,
                                       absl::Seconds(120));
  const Clock::time_point ready = Clock::now();
  const double cpu_at_ready = p.child->CpuSeconds();
  const std::map<std::string, double> threads_at_ready = ThreadCpu(p.child->pid());
  WaitUntilCommittedToEnd(p, settings, params.partitions, absl::Milliseconds(20));
  const double seconds = SecondsSince(ready);
  r.events_per_second = events.size() / seconds;
  r.cpu_us_per_event = 1e6 * (p.child->CpuSeconds() - cpu_at_ready) / events.size();
  double accounted_us = 0;
  for (const auto& [kind, seconds] : ThreadCpu(p.child->pid())) {
    auto before = threads_at_ready.find(kind);
    r.cpu_us_by_thread[kind] =
        1e6 * (seconds - (before != threads_at_ready.end() ? before->second : 0)) / events.size();
    accounted_us += r.cpu_us_by_thread[kind];
  }
  // /proc/<pid>/task lists live threads only, while the process's own CPU time keeps what its
  // exited threads used (session 11: per-round threads showed 6.6 us per event missing from
  // every kind). The rest is theirs, plus each live thread's rounding down to a clock tick
  // (~1-1.5 us per event over 60,000 events with no thread exiting); never below 0.
  r.cpu_us_by_thread["exited"] = std::max(0.0, r.cpu_us_per_event - accounted_us);
  r.rss_kb = p.child->PeakRssKb();
  p.child->Stop(absl::Seconds(15));
  broker.reset();
  r.engine_alone = EnginesAlone(catalog, events, params.partitions, threads, params.dir);
  std::cerr << "run " << run << ", threads " << threads << ": processor " << r.events_per_second
            << " events/s, " << r.cpu_us_per_event << " us CPU per event; engines alone "
            << r.engine_alone << " events/s\n";
  return r;
}

}  // namespace fristvagt::bench
