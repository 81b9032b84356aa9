#include "tests/testing/kafka_test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "processor/input/event_decoder.h"
#include "processor/kafka/kafka_client.h"
#include "proto/alert.pb.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_cluster.h"

namespace fristvagt::testing {

namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Kafka = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

absl::StatusOr<Kafka> NewClient(rd_kafka_type_t type,
                                const std::map<std::string, std::string>& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", error));
    }
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(error);
  }
  return Kafka(rk);
}

absl::StatusOr<int> PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &metadata, 10000);
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(err)));
  }
  int count = 0;
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    count = metadata->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(metadata);
  if (count == 0) return absl::NotFoundError(absl::StrCat("no partitions for ", topic));
  return count;
}

}  // namespace

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration interval) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(interval);
  }
}

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& args,
                                                  const std::map<std::string, std::string>& env,
                                                  const std::filesystem::path& log) {
  std::vector<std::string> argv = {BinaryPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return StartProgram(argv, env, log);
}

std::unique_ptr<ChildProcess> ChildProcess::StartProgram(
    const std::vector<std::string>& argv_strings, const std::map<std::string, std::string>& env,
    const std::filesystem::path& log) {
  std::vector<std::string> args = argv_strings;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the test died before prctl
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, log));
}

ChildProcess::~ChildProcess() {
  if (Running()) {
    Signal(SIGKILL);
    Wait(absl::Seconds(10));
  }
}

bool ChildProcess::Running() {
  if (exit_.has_value()) return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == 0) return true;
  if (done == pid_) {
    exit_ = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  } else {
    exit_ = -1000;  // not our child any more: treat as gone
  }
  return false;
}

void ChildProcess::Signal(int signal) {
  if (Running()) kill(pid_, signal);
}

std::optional<int> ChildProcess::Wait(absl::Duration timeout) {
  WaitUntil([this] { return !Running(); }, timeout, absl::Milliseconds(20));
  return exit_;
}

std::string ChildProcess::ReadLog() const { return ReadFile(log_); }

bool RealKafka() {
  const char* backend = std::getenv("FRISTVAGT_TEST_KAFKA");
  return backend != nullptr && std::string(backend) == "real";
}

absl::StatusOr<std::string> SharedRealKafka() {
  if (const char* dir = std::getenv("FRISTVAGT_REAL_KAFKA_DIR"); dir != nullptr && *dir != 0) {
    const std::string bootstrap(
        absl::StripAsciiWhitespace(ReadFile(std::filesystem::path(dir) / "bootstrap")));
    if (bootstrap.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("no cluster in FRISTVAGT_REAL_KAFKA_DIR=", dir,
                       " (ctest's realkafka_cluster_start failed?)"));
    }
    return bootstrap;
  }
  // Destroyed at exit, which stops the nodes; if the test crashes they die with it.
  static TempDir* dir = new TempDir();
  static std::unique_ptr<KafkaCluster> cluster;
  if (cluster == nullptr) {
    absl::StatusOr<std::unique_ptr<KafkaCluster>> started =
        KafkaCluster::Start(dir->path() / "kafka");
    if (!started.ok()) return started.status();
    cluster = std::move(*started);
    std::atexit([] {
      cluster.reset();
      delete dir;
    });
  }
  return cluster->bootstrap();
}

absl::StatusOr<EmbeddedBrokerProcess> StartBroker(const std::filesystem::path& dir,
                                                  int partitions) {
  EmbeddedBrokerProcess broker;
  if (RealKafka()) {
    absl::StatusOr<std::string> bootstrap = SharedRealKafka();
    if (!bootstrap.ok()) return bootstrap.status();
    broker.bootstrap = *bootstrap;
    if (absl::Status s = DeleteAllTopicsAndGroups(broker.bootstrap); !s.ok()) return s;
    if (absl::Status s = CreateTopics(broker.bootstrap, FristvagtTopics(partitions)); !s.ok()) {
      return s;
    }
    return broker;
  }
  const std::filesystem::path port_file = dir / "broker.address";
  broker.process = ChildProcess::Start(
      {"broker", "--partitions", std::to_string(partitions), "--port-file", port_file.string()}, {},
      dir / "broker.log");
  if (!WaitUntil([&] { return std::filesystem::exists(port_file); }, absl::Seconds(20))) {
    return absl::DeadlineExceededError("the broker wrote no address: " + broker.process->ReadLog());
  }
  std::istringstream in(ReadFile(port_file));
  std::getline(in, broker.bootstrap);
  return broker;
}

absl::Status Produce(const std::string& bootstrap, const std::string& topic,
                     const std::vector<OutgoingMessage>& messages, const std::string& partitioner) {
  std::map<std::string, std::string> properties = {
      {"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}, {"linger.ms", "5"}};
  if (!partitioner.empty()) properties["partitioner"] = partitioner;
  absl::StatusOr<Kafka> producer = NewClient(RD_KAFKA_PRODUCER, properties);
  if (!producer.ok()) return producer.status();
  struct Counts {
    int failed = 0;
    std::string error;
  } counts;
  for (const OutgoingMessage& message : messages) {
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(
          producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_KEY(message.key.has_value() ? message.key->data() : nullptr,
                         message.key.has_value() ? message.key->size() : 0),
          RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer->get(), 50);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::InternalError(absl::StrCat("produce to ", topic, ": ", rd_kafka_err2str(err)));
    }
  }
  if (rd_kafka_flush(producer->get(), 30000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_outq_len(producer->get()) > 0) {
    return absl::DeadlineExceededError(absl::StrCat("messages to ", topic, " not acknowledged"));
  }
  return absl::OkStatus();
}

std::optional<std::string> KafkaRecord::Header(const std::string& name) const {
  for (const auto& [header, value] : headers) {
    if (header == name) return value;
  }
  return std::nullopt;
}

absl::StatusOr<std::map<int32_t, int64_t>> EndOffsets(const std::string& bootstrap,
                                                      const std::string& topic) {
  absl::StatusOr<Kafka> consumer =
      NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap}, {"group.id", "test-ends"}});
  if (!consumer.ok()) return consumer.status();
  absl::StatusOr<int> partitions = PartitionCount(consumer->get(), topic);
  if (!partitions.ok()) return partitions.status();
  std::map<int32_t, int64_t> ends;
  for (int32_t p = 0; p < *partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t err =
        processor::QueryWatermarks(consumer->get(), topic, p, &low, &high, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("offsets of ", topic, "/", p, ": ", rd_kafka_err2str(err)));
    }
    ends[p] = high;
  }
  return ends;
}

absl::StatusOr<std::map<int32_t, int64_t>> CommittedOffsets(const std::string& bootstrap,
                                                            const std::string& group,
                                                            const std::string& topic) {
  absl::StatusOr<Kafka> consumer =
      NewClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap}, {"group.id", group}});
  if (!consumer.ok()) return consumer.status();
  absl::StatusOr<int> partitions = PartitionCount(consumer->get(), topic);
  if (!partitions.ok()) return partitions.status();
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(*partitions);
  for (int32_t p = 0; p < *partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  }
  // Asks the coordinator without joining the group (rd_kafka_committed does not subscribe).
  const rd_kafka_resp_err_t err = rd_kafka_committed(consumer->get(), list, 10000);
  std::map<int32_t, int64_t> offsets;
  for (int i = 0; i < list->cnt; ++i) offsets[list->elems[i].partition] = list->elems[i].offset;
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("committed offsets of ", group, ": ",
                                               rd_kafka_err2str(err)));
  }
  return offsets;
}

absl::StatusOr<std::vector<KafkaRecord>> ConsumeToEnd(const std::string& bootstrap,
                                                      const std::string& topic, bool read_committed,
                                                      absl::Duration timeout) {
  absl::StatusOr<std::map<int32_t, int64_t>> ends = EndOffsets(bootstrap, topic);
  if (!ends.ok()) return ends.status();
  absl::StatusOr<Kafka> consumer =
      NewClient(RD_KAFKA_CONSUMER,
                {{"bootstrap.servers", bootstrap},
                 {"group.id", "test-reader"},
                 {"enable.auto.commit", "false"},
                 {"enable.partition.eof", "true"},
                 {"isolation.level", read_committed ? "read_committed" : "read_uncommitted"}});
  if (!consumer.ok()) return consumer.status();
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(3);
  std::map<int32_t, bool> done;
  for (const auto& [partition, end] : *ends) {
    if (end <= 0) continue;
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    done[partition] = false;
  }
  rd_kafka_assign(consumer->get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  std::map<int32_t, std::vector<KafkaRecord>> by_partition;
  const absl::Time deadline = absl::Now() + timeout;
  auto all_done = [&done] {
    for (const auto& [partition, finished] : done) {
      if (!finished) return false;
    }
    return true;
  };
  while (!all_done()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("reading ", topic, " to its end"));
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer->get(), 200);
    if (message == nullptr) continue;
    const int32_t partition = message->partition;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (message->offset >= (*ends)[partition]) done[partition] = true;
    } else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaRecord record;
      record.partition = partition;
      record.offset = message->offset;
      if (message->key != nullptr) {
        record.key = std::string(static_cast<const char*>(message->key), message->key_len);
      }
      if (message->payload != nullptr) {
        record.value = std::string(static_cast<const char*>(message->payload), message->len);
      }
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i) {
          record.headers.emplace_back(
              name, value != nullptr ? std::string(static_cast<const char*>(value), size) : "");
        }
      }
      by_partition[partition].push_back(std::move(record));
      if (message->offset + 1 >= (*ends)[partition]) done[partition] = true;
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer->get());
  std::vector<KafkaRecord> records;
  for (auto& [partition, list] : by_partition) {
    for (KafkaRecord& record : list) records.push_back(std::move(record));
  }
  return records;
}

std::optional<HttpResult> HttpGet(int port, const std::string& path,
                                  const std::map<std::string, std::string>& headers) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return std::nullopt;
  }
  std::string extra;
  for (const auto& [name, value] : headers) absl::StrAppend(&extra, name, ": ", value, "\r\n");
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n", extra,
                                           "Connection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
  close(fd);
  HttpResult result;
  // "HTTP/1.1 200 OK\r\n..."
  const size_t space = response.find(' ');
  if (space == std::string::npos ||
      !absl::SimpleAtoi(response.substr(space + 1, 3), &result.status)) {
    return std::nullopt;
  }
  const size_t body = response.find("\r\n\r\n");
  if (body != std::string::npos) result.body = response.substr(body + 4);
  const std::string head = response.substr(0, body);
  for (size_t at = head.find("\r\n"); at != std::string::npos;) {
    const size_t next = head.find("\r\n", at + 2);
    const std::string line = head.substr(at + 2, next == std::string::npos ? next : next - at - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      result.headers[name] = std::string(absl::StripLeadingAsciiWhitespace(line.substr(colon + 1)));
    }
    at = next;
  }
  return result;
}

int FreeTcpPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

std::vector<OutgoingMessage> CaseEventMessages(const std::vector<std::string>& json_lines,
                                               std::vector<std::string>* invalid) {
  const processor::EventDecoder decoder;
  std::vector<OutgoingMessage> messages;
  for (const std::string& line : json_lines) {
    processor::DecodeResult decoded = decoder.FromJson(line);
    if (const auto* event = std::get_if<v1::CaseEvent>(&decoded)) {
      messages.push_back({event->person_key(), event->SerializeAsString()});
    } else if (invalid != nullptr) {
      invalid->push_back(line);
    }
  }
  return messages;
}

std::string AlertJson(const std::string& alert_bytes) {
  v1::Alert alert;
  if (!alert.ParseFromString(alert_bytes)) return "";
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(alert, &json, options);
  return json;
}

std::string JsonField(const std::string& json, const std::string& name) {
  const std::string marker = absl::StrCat("\"", name, "\":\"");
  const size_t start = json.find(marker);
  if (start == std::string::npos) return "";
  const size_t from = start + marker.size();
  const size_t end = json.find('"', from);
  return end == std::string::npos ? "" : json.substr(from, end - from);
}

std::string ProcessorToml(const std::string& bootstrap, const RunSettings& settings) {
  std::string kafka;
  for (const auto& [name, value] : settings.kafka) {
    absl::StrAppend(&kafka, "\"", name, "\" = \"", value, "\"\n");
  }
  return absl::StrCat(
      "[kafka]\n", "\"bootstrap.servers\" = \"", bootstrap, "\"\n", "\"session.timeout.ms\" = ",
      settings.session_timeout_ms, "\n", "\"heartbeat.interval.ms\" = 500\n", kafka,
      "[processing]\n",
      "group_id = \"", settings.group_id, "\"\n", "batch_size = ", settings.batch_size, "\n",
      "batch_linger_ms = 5\n", "threads = ", settings.threads, "\n", "shutdown_timeout_ms = ", settings.shutdown_timeout_ms, "\n",
      "processing_guarantee = \"", settings.guarantee, "\"\n", "[state]\n", "dir = \"",
      settings.state_dir.string(), "\"\n",
      settings.partitioner.empty()
          ? ""
          : absl::StrCat("[input]\npartitioner = \"", settings.partitioner, "\"\n"),
      "[http]\n", "port = ", settings.http_port, "\n",
      settings.http_token.empty() ? "" : absl::StrCat("token = \"", settings.http_token, "\"\n"),
      settings.http_advertised_address.empty()
          ? ""
          : absl::StrCat("advertised_address = \"", settings.http_advertised_address, "\"\n"));
}

std::unique_ptr<ChildProcess> StartProcessor(const std::filesystem::path& dir,
                                             const std::string& name, const std::string& bootstrap,
                                             RunSettings settings,
                                             const std::map<std::string, std::string>& env) {
  if (settings.state_dir.empty()) settings.state_dir = dir / (name + ".state");
  const std::filesystem::path config = dir / (name + ".toml");
  WriteFile(config, ProcessorToml(bootstrap, settings));
  return ChildProcess::Start({"run", "--config", config.string()}, env, dir / (name + ".log"));
}

absl::StatusOr<std::map<int32_t, int64_t>> ChangelogInputOffsets(const std::string& bootstrap) {
  absl::StatusOr<std::vector<KafkaRecord>> records =
      ConsumeToEnd(bootstrap, "fristvagt.state-changelog");
  if (!records.ok()) return records.status();
  const std::string key = std::string(1, '\0') + "input_offset";
  std::map<int32_t, int64_t> offsets;
  for (const KafkaRecord& record : *records) {
    int64_t offset = 0;
    if (record.key == key && record.value.has_value() && absl::SimpleAtoi(*record.value, &offset)) {
      offsets[record.partition] = offset;
    }
  }
  return offsets;
}

bool InputApplied(const std::string& bootstrap) {
  absl::StatusOr<std::map<int32_t, int64_t>> ends = EndOffsets(bootstrap, "case-events");
  absl::StatusOr<std::map<int32_t, int64_t>> applied = ChangelogInputOffsets(bootstrap);
  if (!ends.ok() || !applied.ok()) return false;
  for (const auto& [partition, end] : *ends) {
    if (end == 0) continue;
    auto it = applied->find(partition);
    if (it == applied->end() || it->second < end) return false;
  }
  return true;
}

std::set<std::string> AlertTopic::ids() const {
  std::set<std::string> ids;
  for (const auto& [id, json] : by_id) ids.insert(id);
  return ids;
}

absl::StatusOr<AlertTopic> ReadAlerts(const std::string& bootstrap,
                                      const std::set<std::string>& skip, bool read_committed) {
  absl::StatusOr<std::vector<KafkaRecord>> records =
      ConsumeToEnd(bootstrap, "fristvagt.alerts", read_committed);
  if (!records.ok()) return records.status();
  AlertTopic topic;
  std::map<std::string, std::string> bytes;
  for (const KafkaRecord& record : *records) {
    const std::string json = AlertJson(record.value.value_or(""));
    const std::string id = JsonField(json, "alert_id");
    if (id.empty()) {
      return absl::DataLossError(absl::StrCat("fristvagt.alerts/", record.partition, "@",
                                              record.offset, " is not an alert"));
    }
    if (skip.count(JsonField(json, "person_key")) > 0) continue;
    auto [it, inserted] = bytes.emplace(id, *record.value);
    if (!inserted && it->second != *record.value) topic.conflicts.push_back(id);
    topic.by_id.emplace(id, json);
    ++topic.copies;
  }
  return topic;
}

std::set<std::string> ErasedPersons(const std::vector<std::string>& lines) {
  std::set<std::string> erased;
  for (const std::string& line : lines) {
    if (line.find("\"person_erased\"") != std::string::npos) {
      erased.insert(JsonField(line, "person_key"));
    }
  }
  return erased;
}

std::map<std::string, std::string> ReplayAlerts(const std::filesystem::path& dir,
                                                const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) absl::StrAppend(&text, line, "\n");
  WriteFile(dir / "events.jsonl", text);
  const std::string until =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  std::map<std::string, std::string> alerts;
  const int rc = RunBinary(absl::StrCat(
      "replay --events ", (dir / "events.jsonl").string(), " --until ", until, " --state-dir ",
      (dir / "replay.state").string(), " --out ", (dir / "replay.out").string(), " --rejects ",
      (dir / "replay.rejects").string()));
  if (rc != 0) return alerts;
  std::istringstream out(ReadFile(dir / "replay.out"));
  for (std::string line; std::getline(out, line);) {
    if (!line.empty()) alerts[JsonField(line, "alert_id")] = line;
  }
  return alerts;
}

std::map<std::string, std::string> ExpectedAlerts(const std::filesystem::path& dir,
                                                  const std::vector<std::string>& lines,
                                                  const std::set<std::string>& erased) {
  std::map<std::string, std::string> expected;
  for (auto& [id, json] : ReplayAlerts(dir, lines)) {
    if (erased.count(JsonField(json, "person_key")) == 0) expected[id] = std::move(json);
  }
  return expected;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

uint64_t MetricValue(const std::string& metrics, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (absl::StartsWith(line, name + " ")) {
      uint64_t value = 0;
      if (absl::SimpleAtoi(line.substr(name.size() + 1), &value)) return value;
    }
  }
  return 0;
}

std::map<int, bool> LivePartitions(const std::string& log) {
  std::map<int, bool> partitions;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    const size_t at = line.find("\"msg\":\"partition ");
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(at + 17);
    int partition = -1;
    if (!absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &partition)) continue;
    if (absl::StrContains(rest, " assigned")) partitions[partition] = false;
    if (absl::StrContains(rest, " caught up")) partitions[partition] = true;
    if (absl::StrContains(rest, " revoked\"") || absl::StrContains(rest, " lost\"")) {
      partitions.erase(partition);
    }
  }
  return partitions;
}

bool AllLive(const std::map<int, bool>& partitions) {
  for (const auto& [partition, live] : partitions) {
    if (!live) return false;
  }
  return true;
}

}  // namespace fristvagt::testing
