// Helpers of kafka_bench (see kafka_bench_support.h): clients, offsets, the child process,
// /readyz, and the synthetic events and person records.
#include "bench/kafka_bench_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <queue>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "processor/base/config.h"
#include "processor/engine/engine.h"
#include "state/store.h"

namespace fristvagt::bench {

double SecondsSince(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Check(const absl::Status& status, const std::string& what) {
  if (status.ok()) return;
  std::cerr << "kafka_bench: " << what << ": " << status << '\n';
  std::exit(1);
}

processor::KafkaHandle Client(rd_kafka_type_t type, std::map<std::string, std::string> props) {
  props.emplace("log_level", "3");
  absl::StatusOr<rd_kafka_conf_t*> conf = processor::MakeConf(props);
  Check(conf.status(), "client configuration");
  absl::StatusOr<processor::KafkaHandle> client = processor::NewClient(type, *conf);
  Check(client.status(), "creating a client");
  return std::move(*client);
}

void ProduceAll(const std::string& bootstrap, const std::string& topic,
                const std::vector<Message>& messages) {
  processor::KafkaHandle producer =
      Client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                 {"enable.idempotence", "true"},
                                 {"linger.ms", "5"},
                                 {"queue.buffering.max.messages", "500000"}});
  for (const Message& message : messages) {
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(
          producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_PARTITION(message.partition < 0 ? RD_KAFKA_PARTITION_UA : message.partition),
          RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer.get(), 50);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Check(absl::InternalError(rd_kafka_err2str(err)), "producing to " + topic);
    }
  }
  if (rd_kafka_flush(producer.get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_outq_len(producer.get()) > 0) {
    Check(absl::DeadlineExceededError("not acknowledged"), "producing to " + topic);
  }
}

std::map<int32_t, int64_t> EndOffsets(rd_kafka_t* rk, const std::string& topic, int partitions) {
  std::map<int32_t, int64_t> ends;
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (int attempt = 0; attempt < 5 && err != RD_KAFKA_RESP_ERR_NO_ERROR; ++attempt) {
      err = processor::QueryWatermarks(rk, topic, p, &low, &high, 10000);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Check(absl::UnavailableError(rd_kafka_err2str(err)), "end offsets of " + topic);
    }
    ends[p] = high;
  }
  return ends;
}

void ProduceCaseEvents(const std::string& bootstrap, const std::vector<v1::CaseEvent>& events,
                       int partitions) {
  std::vector<Message> messages;
  messages.reserve(events.size());
  for (const v1::CaseEvent& e : events) messages.push_back({e.person_key(), e.SerializeAsString()});
  ProduceAll(bootstrap, "case-events", messages);
  messages.clear();
  RequireWholeLog(bootstrap, "case-events", partitions);
}

void RequireWholeLog(const std::string& bootstrap, const std::string& topic, int partitions) {
  processor::KafkaHandle client = Client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    if (processor::QueryWatermarks(client.get(), topic, p, &low, &high, 10000) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        low > 0) {
      Check(absl::OutOfRangeError(absl::StrCat(
                topic, "/", p, " starts at ", low,
                ": the embedded broker keeps 5 MiB per partition; use fewer --events or more "
                "partitions")),
            "producing");
    }
  }
}

int64_t Sum(const std::map<int32_t, int64_t>& offsets) {
  int64_t sum = 0;
  for (const auto& [partition, offset] : offsets) sum += offset;
  return sum;
}

std::map<int32_t, int64_t> CommittedOffsets(rd_kafka_t* group_client, const std::string& topic,
                                            int partitions) {
  processor::PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (int32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
  }
  std::map<int32_t, int64_t> committed;
  if (rd_kafka_committed(group_client, list.get(), 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return committed;
  }
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].offset >= 0) committed[list->elems[i].partition] = list->elems[i].offset;
  }
  return committed;
}

Child::Child(const std::string& binary, const std::vector<std::string>& args,
             const std::filesystem::path& log) {
  std::vector<std::string> strings = {binary};
  strings.insert(strings.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (std::string& arg : strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

Child::~Child() { Stop(absl::ZeroDuration()); }

bool Child::Running() {
  if (exited_ || pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == 0) return true;
  exited_ = true;
  return false;
}

long Child::PeakRssKb() const {
  std::ifstream status(absl::StrCat("/proc/", pid_, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

double Child::CpuSeconds() const {
  std::ifstream in(absl::StrCat("/proc/", pid_, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

void Child::Stop(absl::Duration grace) {
  if (!Running()) return;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + grace;
  while (Running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  if (Running()) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
  }
}

int HttpStatus(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[64] = {};
      const ssize_t n = read(fd, buffer, sizeof(buffer) - 1);  // "HTTP/1.1 200 OK"
      if (n > 12) status = std::atoi(buffer + 9);
    }
  }
  close(fd);
  return status;
}

int FreeTcpPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
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

std::string ProcessorToml(const ProcessorSettings& s) {
  std::string kafka = absl::StrCat("[kafka]\n\"bootstrap.servers\" = \"", s.bootstrap,
                                   "\"\n\"session.timeout.ms\" = 10000\n");
  if (s.fetch_wait_max_ms >= 0) {
    absl::StrAppend(&kafka, "\"fetch.wait.max.ms\" = ", s.fetch_wait_max_ms, "\n");
  }
  // The broker's topics (StartBroker) are the default names, whatever the group id, from
  // which the changelog's and instances' names would otherwise derive.
  const processor::TopicNames names;
  absl::StrAppend(&kafka, "[topics]\nchangelog = \"", names.changelog, "\"\ninstances = \"",
                  names.instances, "\"\n");
  return absl::StrCat(kafka, "[processing]\ngroup_id = \"", s.group_id,
                      "\"\nbatch_size = ", s.batch_size, "\nbatch_linger_ms = ", s.batch_linger_ms,
                      "\nthreads = ", s.threads,
                      "\noverlap_delivery = ", s.overlap_delivery ? "true" : "false",
                      "\n[state]\ndir = \"", s.state_dir.string(),
                      "\"\n[http]\nport = ", s.http_port, "\nallow_unauthenticated = true\n");
}

RunningProcessor LaunchProcessor(const std::string& binary, const std::filesystem::path& dir,
                                 const std::string& name, ProcessorSettings settings,
                                 absl::Duration timeout) {
  std::error_code ignored;
  std::filesystem::remove_all(settings.state_dir, ignored);
  const std::filesystem::path config = dir / (name + ".toml");
  std::ofstream(config) << ProcessorToml(settings);
  RunningProcessor running;
  running.log = dir / (name + ".log");
  std::filesystem::remove(running.log, ignored);
  const Clock::time_point launched = Clock::now();
  running.child = std::make_unique<Child>(
      binary, std::vector<std::string>{"run", "--config", config.string()}, running.log);
  std::cerr << name << ": fristvagt run is pid " << running.child->pid() << '\n';
  const absl::Time deadline = absl::Now() + timeout;
  while (HttpStatus(settings.http_port, "/readyz") != 200) {
    if (!running.child->Running()) {
      Check(absl::InternalError("exited; see " + running.log.string()), "fristvagt run");
    }
    if (absl::Now() > deadline) {
      Check(absl::DeadlineExceededError("not ready; see " + running.log.string()), "fristvagt run");
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  running.ready_seconds = SecondsSince(launched);
  return running;
}

void WaitUntilCommittedToEnd(const RunningProcessor& processor, const ProcessorSettings& settings,
                             int partitions, absl::Duration poll) {
  processor::KafkaHandle group =
      Client(RD_KAFKA_CONSUMER,
             {{"bootstrap.servers", settings.bootstrap}, {"group.id", settings.group_id}});
  const std::map<int32_t, int64_t> ends = EndOffsets(group.get(), "case-events", partitions);
  while (true) {
    const std::map<int32_t, int64_t> committed =
        CommittedOffsets(group.get(), "case-events", partitions);
    bool done = true;
    for (const auto& [partition, end] : ends) {
      auto it = committed.find(partition);
      done = done && (end == 0 || (it != committed.end() && it->second >= end));
    }
    if (done) return;
    if (!processor.child->Running()) {
      Check(absl::InternalError("exited; see " + processor.log.string()), "fristvagt run");
    }
    absl::SleepFor(poll);
  }
}

std::vector<v1::CaseEvent> CohortEvents(uint64_t events, absl::Time start) {
  const uint64_t persons = (events + 2) / 3;
  const absl::Duration spacing = absl::Hours(24 * 60) / static_cast<double>(persons);
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> followups;
  std::vector<v1::CaseEvent> out;
  out.reserve(events);
  uint64_t next_person = 0;
  while (out.size() < events) {
    const absl::Time contact_at = start + spacing * static_cast<double>(next_person);
    if (!followups.empty() && (next_person >= persons || followups.top().at <= contact_at)) {
      out.push_back(MakeEvent(followups.top()));
      followups.pop();
      continue;
    }
    if (next_person >= persons) break;
    out.push_back(MakeEvent({contact_at, next_person, Kind::kFirstContact}));
    followups.push({contact_at + absl::Hours(24 * 3), next_person, Kind::kMeeting});
    followups.push({contact_at + absl::Hours(24 * 10), next_person, Kind::kTestNeed});
    ++next_person;
  }
  return out;
}

v1::CaseEvent LateFirstContact(const std::string& person_key, const std::string& event_id,
                               absl::Time recorded_at, absl::Duration late) {
  v1::CaseEvent event;
  event.set_person_key(person_key);
  event.set_event_id(event_id);
  event.set_municipality_code("851");
  event.set_caseworker_id("cw-bench");
  event.set_source_system("bench");
  SetTime(recorded_at - late, event.mutable_occurred_at());
  SetTime(recorded_at, event.mutable_recorded_at());
  v1::FirstContact* fc = event.mutable_first_contact();
  fc->set_age_years(22);
  fc->set_benefit(v1::UDDANNELSESHJAELP);
  return event;
}

std::vector<v1::PersonState> PersonTemplates(const rules::Catalog& catalog, int count,
                                             absl::Time now) {
  std::unique_ptr<state::StateStore> store = state::NewMemoryStore();
  processor::Engine engine(catalog, store.get(), {});
  for (int i = 0; i < count; ++i) {
    const absl::Time contact = now - absl::Hours(72) + absl::Minutes(i % 2880);
    v1::CaseEvent event = MakeEvent({contact, static_cast<uint64_t>(i), Kind::kFirstContact});
    Check(engine.ApplyEvent(event, contact, "bench"), "template first contact");
    if (i % 2 == 1) {
      const absl::Time meeting = std::min(now, contact + absl::Hours(24));
      event = MakeEvent({meeting, static_cast<uint64_t>(i), Kind::kMeeting});
      Check(engine.ApplyEvent(event, meeting, "bench"), "template meeting");
    }
  }
  Check(engine.Flush(), "template flush");
  std::vector<v1::PersonState> templates;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::optional<v1::PersonState>> person = store->GetPerson(PersonKey(i));
    Check(person.status(), "template read");
    if (person->has_value()) templates.push_back(**person);
  }
  return templates;
}

std::string PersonRecordFor(const std::string& template_bytes, const std::string& template_key,
                            const std::string& key) {
  return absl::StrReplaceAll(template_bytes, {{template_key, key}});
}

double Median(std::vector<double> values) { return Percentile(std::move(values), 0.5); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace fristvagt::bench
