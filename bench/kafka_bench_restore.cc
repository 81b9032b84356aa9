// The restore measurement of kafka_bench (see kafka_bench_restore.h).
#include "bench/kafka_bench_restore.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "processor/base/config.h"

namespace fristvagt::bench {

namespace {

// Reads every partition of `topic` from the start to its end: records per second.
double RawConsume(const std::string& bootstrap, const std::string& topic, int partitions,
                  int64_t* records) {
  processor::KafkaHandle consumer = Client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                               {"group.id", "bench-raw-restore"},
                                                               {"enable.auto.commit", "false"},
                                                               {"enable.partition.eof", "true"}});
  const std::map<int32_t, int64_t> ends = EndOffsets(consumer.get(), topic, partitions);
  processor::PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (const auto& [p, end] : ends) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  const Clock::time_point began = Clock::now();
  rd_kafka_assign(consumer.get(), list.get());
  std::map<int32_t, bool> done;
  *records = 0;
  while (static_cast<int>(done.size()) < partitions) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && m->offset >= ends.at(m->partition)) {
      done[m->partition] = true;
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++*records;
    }
    rd_kafka_message_destroy(m);
  }
  return *records / SecondsSince(began);
}

}  // namespace

// Partitions the restore needs so that the mock cluster holds the whole changelog: at most
// 4 MiB of records each (it keeps 5 MiB), never fewer than the processor's default 3.
int RestorePartitions(uint64_t persons, uint64_t mean_bytes) {
  const uint64_t bytes = persons * (mean_bytes + 40);  // + key and record overhead
  return std::max<int>(3, static_cast<int>((bytes + (4 << 20) - 1) / (4 << 20)));
}

RestoreResult MeasureRestore(const RestoreParams& o, const std::vector<v1::PersonState>& templates,
                             int partitions, int run) {
  RestoreResult r;
  auto broker = StartBroker(partitions);
  const std::string bootstrap = broker->bootstrap_servers();
  const std::string changelog = processor::TopicNames().changelog;
  std::vector<std::string> template_bytes;
  for (const auto& person : templates) template_bytes.push_back(person.SerializeAsString());
  for (uint64_t from = 0; from < o.persons; from += 100000) {  // in chunks, to bound memory
    std::vector<Message> chunk;
    for (uint64_t i = from; i < std::min(o.persons, from + 100000); ++i) {
      const size_t t = i % templates.size();
      chunk.push_back({PersonKey(i), PersonRecordFor(template_bytes[t], templates[t].person_key(),
                                                     PersonKey(i))});
    }
    ProduceAll(bootstrap, changelog, chunk);
  }
  std::vector<Message> progress;  // what a processor's batch writes after its persons
  const std::string clock = std::to_string(absl::ToUnixMicros(absl::Now()));
  for (int p = 0; p < partitions; ++p) {
    progress.push_back({std::string(1, '\0') + "clock_micros", clock, p});
    progress.push_back({std::string(1, '\0') + "input_offset", "0", p});
  }
  ProduceAll(bootstrap, changelog, progress);
  RequireWholeLog(bootstrap, changelog, partitions);
  r.raw = RawConsume(bootstrap, changelog, partitions, &r.records);
  std::cerr << "run " << run << ": raw consume of " << r.records << " changelog records: " << r.raw
            << " records/s\n";

  ProcessorSettings settings;
  settings.bootstrap = bootstrap;
  settings.state_dir = o.dir / "restore.state";
  settings.http_port = FreeTcpPort();
  RunningProcessor p = LaunchProcessor(o.binary, o.dir, "restore", settings, absl::Hours(1));
  r.ready_seconds = p.ready_seconds;
  r.rss_kb = p.child->PeakRssKb();
  {  // CPU time of the processor until ready (user + system), less noisy than wall time on a
     // shared machine; fields 14 and 15 of /proc/PID/stat, in clock ticks
    std::ifstream stat(absl::StrCat("/proc/", p.child->pid(), "/stat"));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stol(field);
    }
    r.cpu_seconds = static_cast<double>(ticks) / sysconf(_SC_CLK_TCK);
  }
  p.child->Stop(absl::Seconds(15));
  if (const char* keep = std::getenv("FRISTVAGT_BENCH_KEEP_LOGS"); keep != nullptr) {
    std::error_code ec;  // for profiling: the processor's log outlives the run's dir
    std::filesystem::copy_file(p.log,
                               std::filesystem::path(keep) / absl::StrCat("restore-", run, ".log"),
                               std::filesystem::copy_options::overwrite_existing, ec);
  }
  std::ifstream log(p.log);
  // Per partition: "partition N: restored K changelog records in S s". A processor that restores
  // an assignment's partitions together (through one consumer) also logs, per assignment,
  // "restored K changelog records of P partitions in S s"; then its S add up (assignments are
  // restored one after another) and the per-partition S, which overlap, are not used. Older
  // binaries restored partitions one after another: their per-partition S add up.
  const std::regex line(R"(partition \d+: restored (\d+) changelog records in ([0-9.]+) s)");
  const std::regex whole(R"(restored (\d+) changelog records of \d+ partitions in ([0-9.]+) s)");
  int64_t partition_records = 0, whole_records = 0;
  double partition_seconds = 0, whole_seconds = 0;
  bool any_whole = false;
  for (std::string text; std::getline(log, text);) {
    std::smatch match;
    if (std::regex_search(text, match, whole)) {
      any_whole = true;
      whole_records += std::stoll(match[1]);
      whole_seconds += std::stod(match[2]);
    } else if (std::regex_search(text, match, line)) {
      partition_records += std::stoll(match[1]);
      partition_seconds += std::stod(match[2]);
    }
  }
  r.restored = any_whole ? whole_records : partition_records;
  r.restore_seconds = any_whole ? whole_seconds : partition_seconds;
  r.processor = r.restore_seconds > 0 ? r.restored / r.restore_seconds : 0;
  std::cerr << "run " << run << ": restored " << r.restored << " records in " << r.restore_seconds
            << " s = " << r.processor << " records/s, ready after " << r.ready_seconds
            << " s, peak RSS " << r.rss_kb / 1024 << " MiB, processor CPU until ready "
            << r.cpu_seconds << " s\n";
  return r;
}

}  // namespace fristvagt::bench
