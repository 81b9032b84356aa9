#pragma once
// kafka_bench measurement p: `[processing] threads` (issue 15, "both cores used"). Alternating
// in the same run, on a fresh embedded broker each time, a fresh `fristvagt run` with
// threads = 1 and with threads = N over the same case events: events/s from /readyz 200 to all
// offsets committed, and the child's CPU time per event over that span. Beside it, the part
// that threads parallelise, alone: Engine + RocksDB per partition (no Kafka) with the
// partitions on 1 and on N threads of the processor's own pool, which bounds what the
// processor can gain on this machine.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "bench/kafka_bench_support.h"

namespace fristvagt::bench {

struct ThreadsParams {
  std::string binary;
  std::filesystem::path dir;
  int partitions = 4;
  int batch_size = 500;  // [processing] batch_size of the processor (docs/configuration.md)
  bool overlap_delivery = false;  // [processing] overlap_delivery
};

struct ThreadsResult {
  int threads = 1;
  double events_per_second = 0;
  double cpu_us_per_event = 0;  // the processor's user + system time, all its threads
  double engine_alone = 0;      // events/s of the partitions' engines alone on `threads`
  // CPU per event by thread (us): the main thread, the pool's helpers ("partition-work"),
  // librdkafka's ("rdk:*"), RocksDB's ("rocksdb:*"), the rest ("other"), and "exited": the
  // process's CPU that no live thread accounts for: threads that ended during the run, and the
  // live threads' rounding down to whole clock ticks.
  std::map<std::string, double> cpu_us_by_thread;
  long rss_kb = 0;
};

ThreadsResult MeasureThreads(const ThreadsParams& params, const rules::Catalog& catalog,
                             const std::vector<v1::CaseEvent>& events, int threads, int run);

}  // namespace fristvagt::bench
