#pragma once
// Helpers for the integration tests that run `fristvagt broker` and `fristvagt run` as separate
// processes (tests/integration/kafka_*_test.cc): child processes with a deadline on every wait,
// a small librdkafka producer and a reader that consumes a topic to its current end with
// headers, an HTTP GET for /readyz and /metrics, and case events as Kafka messages. Used by
// the test's main thread only.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fristvagt::testing {

// Polls `condition` every `interval` until it holds or `timeout` passed; true if it held.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration interval = absl::Milliseconds(100));

// One child process running the fristvagt binary, stdout and stderr appended to `log`. The
// destructor kills (SIGKILL) and reaps it if it is still running.
class ChildProcess {
 public:
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& args,
                                             const std::map<std::string, std::string>& env,
                                             const std::filesystem::path& log);
  // Any program (`argv[0]` a path), the same way. The child gets SIGKILL when the test dies,
  // so a crashed test leaves no process behind.
  static std::unique_ptr<ChildProcess> StartProgram(const std::vector<std::string>& argv,
                                                    const std::map<std::string, std::string>& env,
                                                    const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log() const { return log_; }
  bool Running();
  void Signal(int signal);
  // The exit code, or -N when killed by signal N; nullopt if still running after `timeout`.
  std::optional<int> Wait(absl::Duration timeout);
  std::string ReadLog() const;

 private:
  ChildProcess(pid_t pid, std::filesystem::path log) : pid_(pid), log_(std::move(log)) {}

  pid_t pid_;
  std::filesystem::path log_;
  std::optional<int> exit_;
};

// The broker of an integration test. With the embedded backend: `fristvagt broker
// --partitions N --port-file F` in its own process, ready once it wrote F. With the real one
// (RealKafka()): the process's shared Apache Kafka cluster, emptied (every topic and group
// deleted) and given fristvagt's topics with N partitions each; `process` is then null.
struct EmbeddedBrokerProcess {
  std::unique_ptr<ChildProcess> process;
  std::string bootstrap;
};
absl::StatusOr<EmbeddedBrokerProcess> StartBroker(const std::filesystem::path& dir, int partitions);

// True when the integration tests run against a real Apache Kafka: FRISTVAGT_TEST_KAFKA=real
// (set by ctest for the tests labelled `realkafka`, tests/integration/CMakeLists.txt).
bool RealKafka();
// The real cluster's bootstrap address: the one ctest's fixture started (its directory in
// FRISTVAGT_REAL_KAFKA_DIR), else a single-node cluster this process starts at first use and
// stops at exit (tests/testing/kafka_cluster.h).
absl::StatusOr<std::string> SharedRealKafka();

struct OutgoingMessage {
  std::optional<std::string> key;
  std::string value;
};

// Produces `messages` in order (partitioned by key with `partitioner`, librdkafka's default
// consistent_random (crc32) unless given, e.g. "murmur2_random" as the Java client) and waits
// for every acknowledgement.
absl::Status Produce(const std::string& bootstrap, const std::string& topic,
                     const std::vector<OutgoingMessage>& messages,
                     const std::string& partitioner = "");

struct KafkaRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;  // nullopt: a tombstone
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header called `name`, or nullopt.
  std::optional<std::string> Header(const std::string& name) const;
};

// Every record of every partition of `topic` from the beginning up to the end the broker
// reports when called, in partition then offset order. `read_committed` reads as the
// processor's own consumers do.
absl::StatusOr<std::vector<KafkaRecord>> ConsumeToEnd(const std::string& bootstrap,
                                                      const std::string& topic,
                                                      bool read_committed = false,
                                                      absl::Duration timeout = absl::Seconds(20));

// The high watermark (next offset) of each partition of `topic`.
absl::StatusOr<std::map<int32_t, int64_t>> EndOffsets(const std::string& bootstrap,
                                                      const std::string& topic);

// The offsets `group` committed on each partition of `topic` (-1001 when none).
absl::StatusOr<std::map<int32_t, int64_t>> CommittedOffsets(const std::string& bootstrap,
                                                            const std::string& group,
                                                            const std::string& topic);

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};
// GET http://127.0.0.1:port/path with `headers` added; nullopt when nothing answers.
std::optional<HttpResult> HttpGet(int port, const std::string& path,
                                  const std::map<std::string, std::string>& headers = {});

// The value of an unlabelled metric in Prometheus text; 0 when absent.
uint64_t MetricValue(const std::string& metrics, const std::string& name);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeTcpPort();

// Case events as `replay` reads them (one JSON line each) turned into the Kafka messages a
// case system sends: protobuf CaseEvent, key person_key. Lines that are not valid events are
// returned as they are, keyless, in `invalid`.
std::vector<OutgoingMessage> CaseEventMessages(const std::vector<std::string>& json_lines,
                                               std::vector<std::string>* invalid = nullptr);

// An Alert (protobuf bytes) as `fristvagt replay` prints it: one JSON line, proto field names.
std::string AlertJson(const std::string& alert_bytes);
// The string value of "name" in a flat JSON line; empty when absent.
std::string JsonField(const std::string& json, const std::string& name);

// What a test's `fristvagt run` finds in its TOML file. The session timeout (6 s) is short so
// that the group notices a killed member within seconds, but longer than the embedded broker's
// 3 s initial rebalance delay plus its 1 s session check: with 2.5 s the mock coordinator
// sometimes expired a member whose first JoinGroup was still waiting out that delay, and the
// consumer then waited forever for the answer (a CI failure of KafkaShutdownTest).
struct RunSettings {
  std::filesystem::path state_dir;
  std::string group_id = "fristvagt";
  int http_port = 0;                                  // 0: no HTTP server
  std::string http_token = "integration-test-token";  // the query API's bearer token
  std::string http_advertised_address;                // empty: the default (bind:port)
  std::string partitioner;                            // [input] partitioner; empty: default
  int batch_size = 25;
  int threads = 1;  // [processing] threads
  int shutdown_timeout_ms = 10000;
  std::string guarantee = "at_least_once";
  int session_timeout_ms = 6000;
  std::map<std::string, std::string> kafka;  // more [kafka] properties
};
std::string ProcessorToml(const std::string& bootstrap, const RunSettings& settings);

// `fristvagt run --config dir/name.toml` with that file written from `settings` (state in
// dir/name.state unless set), logging to dir/name.log.
std::unique_ptr<ChildProcess> StartProcessor(const std::filesystem::path& dir,
                                             const std::string& name, const std::string& bootstrap,
                                             RunSettings settings,
                                             const std::map<std::string, std::string>& env = {});

// The input offset each partition's changelog last recorded (the processor writes it with a
// batch's state, after the batch's alerts were acknowledged); partitions without one absent.
absl::StatusOr<std::map<int32_t, int64_t>> ChangelogInputOffsets(const std::string& bootstrap);
// True when the changelog records every input partition as applied up to its current end.
bool InputApplied(const std::string& bootstrap);

// The alerts on fristvagt.alerts, leaving out those about persons in `skip`.
struct AlertTopic {
  std::map<std::string, std::string> by_id;  // alert_id -> the alert as AlertJson prints it
  size_t copies = 0;                         // records read (repeats included)
  std::vector<std::string> conflicts;        // ids sent twice with different bytes
  std::set<std::string> ids() const;
};
absl::StatusOr<AlertTopic> ReadAlerts(const std::string& bootstrap,
                                      const std::set<std::string>& skip = {},
                                      bool read_committed = false);

// The persons a list of JSON event lines erases (person_erased).
std::set<std::string> ErasedPersons(const std::vector<std::string>& lines);

// `fristvagt replay` over `lines` (written to dir/events.jsonl) with the clock ending now,
// state in dir/replay.state and rejects in dir/replay.rejects; its alerts by alert_id.
std::map<std::string, std::string> ReplayAlerts(const std::filesystem::path& dir,
                                                const std::vector<std::string>& lines);
// ReplayAlerts without the alerts of the `erased` persons (erasure takes them along, so a
// reader of the alert topic is not expected to see them): what every run must deliver.
std::map<std::string, std::string> ExpectedAlerts(const std::filesystem::path& dir,
                                                  const std::vector<std::string>& lines,
                                                  const std::set<std::string>& erased);

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& text);

// The partitions a `fristvagt run` holds according to its log (assigned, and not revoked or
// lost since), each with whether it caught up since: whether its clock follows the wall clock.
std::map<int, bool> LivePartitions(const std::string& log);
// True when every partition of LivePartitions caught up.
bool AllLive(const std::map<int, bool>& partitions);

}  // namespace fristvagt::testing
