#pragma once
// kafka_bench measurement 3: event-to-alert latency of a live `fristvagt run` at a steady
// produce rate. Each event is a first contact registered ten days late, so its first meeting
// deadline has already passed and the processor raises a BREACH at once; the time from
// handing the event to the producer to consuming its first alert from fristvagt.alerts is
// one sample. The baseline (`echo`) answers each event with an alert straight from a plain
// consumer/producer in this process, so that it shows what the Kafka hops alone cost here.

#include <cstdint>
#include <filesystem>
#include <string>

#include "bench/kafka_bench_support.h"

namespace fristvagt::bench {

struct LatencyParams {
  std::string binary;
  std::filesystem::path dir;
  int partitions = 3;
  int rate = 5000;  // events per second offered
  double seconds = 20;
  ProcessorSettings settings;  // bootstrap, state_dir and http_port are filled in
  bool echo = false;           // the baseline instead of the processor: see Echo in the .cc
};

struct LatencyResult {
  int rate = 0;
  uint64_t sent = 0;
  uint64_t matched = 0;   // events whose alert arrived before the drain deadline
  uint64_t breaches = 0;  // of those, the first alert was a BREACH
  double send_seconds = 0;
  double offered_rate = 0;    // sent / send_seconds (the producer's achieved pace)
  double processed_rate = 0;  // matched / (last alert - first send)
  bool sustained = false;     // every alert in, the last within 1 s after the last send
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  long peak_rss_kb = 0;
};

LatencyResult MeasureLatency(const LatencyParams& params, int run);

}  // namespace fristvagt::bench
