#pragma once
// What kafka_bench needs besides the measurements themselves: librdkafka clients and offsets,
// the `fristvagt run` child process, an HTTP probe of /readyz, and the synthetic data (case
// events of a cohort, late first contacts that breach at once, person records for a
// changelog). Split out of kafka_bench.cc so that each file stays readable.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bench/bench_events.h"
#include "processor/kafka/embedded_broker.h"
#include "processor/kafka/kafka_client.h"
#include "proto/case_event.pb.h"
#include "proto/state.pb.h"
#include "rules/regime.h"

namespace fristvagt::bench {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point since);
// Prints `what: status` to stderr and exits 1.
void Check(const absl::Status& status, const std::string& what);

// A librdkafka client with `props` (log_level 3 unless set); exits on a bad property.
processor::KafkaHandle Client(rd_kafka_type_t type, std::map<std::string, std::string> props);

struct Message {
  std::string key;
  std::string value;
  int32_t partition = -1;  // -1: librdkafka's partitioner on the key (as every producer here)
};

// Produces every message and waits for all acknowledgements; exits if one fails.
void ProduceAll(const std::string& bootstrap, const std::string& topic,
                const std::vector<Message>& messages);

// The high watermark of each partition 0..partitions-1 of `topic`.
std::map<int32_t, int64_t> EndOffsets(rd_kafka_t* rk, const std::string& topic, int partitions);
int64_t Sum(const std::map<int32_t, int64_t>& offsets);

// The embedded broker (librdkafka's mock cluster) keeps only the last 5 MiB (and 100,000
// message sets) of each partition and drops older records: a trimmed topic would make every
// figure wrong, so this stops the program when a partition of `topic` no longer starts at 0.
void RequireWholeLog(const std::string& bootstrap, const std::string& topic, int partitions);
// `events` as protobuf, keyed by person, to case-events; then RequireWholeLog on it.
void ProduceCaseEvents(const std::string& bootstrap, const std::vector<v1::CaseEvent>& events,
                       int partitions);

// The offsets `group` committed on `topic` (a partition without a commit is absent).
std::map<int32_t, int64_t> CommittedOffsets(rd_kafka_t* group_client, const std::string& topic,
                                            int partitions);

// `fristvagt ARGS` with stdout and stderr appended to `log`; SIGKILLed when destroyed running.
class Child {
 public:
  Child(const std::string& binary, const std::vector<std::string>& args,
        const std::filesystem::path& log);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Peak resident set (VmHWM, kB) while it runs; -1 once it is gone.
  long PeakRssKb() const;
  // User + system CPU seconds it has used so far (its threads included); -1 once it is gone.
  double CpuSeconds() const;
  // SIGTERM, then SIGKILL if it has not exited within `grace`.
  void Stop(absl::Duration grace);

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
};

// HTTP status of GET http://127.0.0.1:port/path, 0 when nothing answers.
int HttpStatus(int port, const std::string& path);
int FreeTcpPort();

// The broker of one measurement (kafka_bench_broker.cc): by default a fresh in-process
// embedded broker (librdkafka's mock cluster, 3 brokers); after UseExternalBroker (--bootstrap)
// that cluster, with the bench's topics and groups deleted and created again. Either way the
// processor's topics and kPassthroughTopic have `partitions` each and start empty.
inline constexpr char kPassthroughTopic[] = "bench.passthrough";
struct BenchBroker {
  std::unique_ptr<processor::EmbeddedBroker> embedded;  // null on an external cluster
  std::string bootstrap;
  const std::string& bootstrap_servers() const { return bootstrap; }
};
void UseExternalBroker(const std::string& bootstrap);
bool ExternalBroker();
std::unique_ptr<BenchBroker> StartBroker(int partitions);

// A `fristvagt run` configuration against an external broker.
struct ProcessorSettings {
  std::string bootstrap;
  std::filesystem::path state_dir;
  std::string group_id = "fristvagt-bench";
  int http_port = 0;
  int batch_size = 500;        // the defaults of docs/configuration.md
  int batch_linger_ms = 20;    //
  int fetch_wait_max_ms = -1;  // -1: librdkafka's default (500)
  int threads = 1;             // [processing] threads
  bool overlap_delivery = false;  // [processing] overlap_delivery
};
std::string ProcessorToml(const ProcessorSettings& settings);

// `fristvagt run` with `settings` (config and log in `dir`, named `name`), started and
// waited for until /readyz answers 200 (exits after `timeout`).
struct RunningProcessor {
  std::unique_ptr<Child> child;
  double ready_seconds = 0;  // launch to /readyz 200
  std::filesystem::path log;
};
RunningProcessor LaunchProcessor(const std::string& binary, const std::filesystem::path& dir,
                                 const std::string& name, ProcessorSettings settings,
                                 absl::Duration timeout);
// Polls every `poll` until the group `settings.group_id` has committed the end of every
// partition of case-events as it stands now; exits when the processor exits first.
void WaitUntilCommittedToEnd(const RunningProcessor& processor, const ProcessorSettings& settings,
                             int partitions, absl::Duration poll);

// Pseudonymised person keys in no particular order, all of the same length.

// The first `events` events of a cohort as replay_bench generates it (first contact, meeting
// after 3 days, test need assessment after 10 days; first contacts over 60 days from `start`),
// in recorded_at order.
std::vector<v1::CaseEvent> CohortEvents(uint64_t events, absl::Time start);

// A first contact registered `late` after it happened, with no meeting: the first meeting
// deadline (first contact + 7 days) has passed when it is recorded, so it breaches at once.
v1::CaseEvent LateFirstContact(const std::string& person_key, const std::string& event_id,
                               absl::Time recorded_at, absl::Duration late);

// Person records as the engine writes them: `count` persons run through Engine + MemoryStore
// (a first contact within the last three days before `now`, a meeting for every second one).
std::vector<v1::PersonState> PersonTemplates(const rules::Catalog& catalog, int count,
                                             absl::Time now);
// `person` serialized with its key (and every copy of it in facts) replaced by `key` of the
// same length.
std::string PersonRecordFor(const std::string& template_bytes, const std::string& template_key,
                            const std::string& key);

double Median(std::vector<double> values);
double Percentile(std::vector<double> values, double p);  // p in [0, 1]; nearest rank

}  // namespace fristvagt::bench
