#pragma once
// kafka_bench measurement 4: restoring a partition's state from the changelog. A changelog of
// `persons` person records (copies of engine-made templates under new keys, in the format of
// Engine::EnqueueChangelog) and each partition's progress records is written directly to a
// fresh embedded broker, read raw to its end (the baseline), then restored by a fresh
// `fristvagt run` with an empty state dir; the restore rate comes from its log lines.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/kafka_bench_support.h"

namespace fristvagt::bench {

struct RestoreParams {
  std::string binary;
  std::filesystem::path dir;
  uint64_t persons = 0;
};

struct RestoreResult {
  double raw = 0, processor = 0, ready_seconds = 0, restore_seconds = 0;
  double cpu_seconds = 0;  // the processor's user + system time until ready
  int64_t records = 0, restored = 0;
  long rss_kb = 0;
};

// Partitions the restore needs so that the embedded broker holds the whole changelog.
int RestorePartitions(uint64_t persons, uint64_t mean_bytes);

RestoreResult MeasureRestore(const RestoreParams& params,
                             const std::vector<v1::PersonState>& templates, int partitions,
                             int run);

}  // namespace fristvagt::bench
