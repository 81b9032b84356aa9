#include "processor/cli/run_commands.h"

#include <signal.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "processor/base/clock.h"
#include "processor/base/config.h"
#include "processor/cli/demo_feed.h"
#include "processor/cli/version.h"
#include "processor/input/event_decoder.h"
#include "processor/kafka/broker_health.h"
#include "processor/kafka/credential_check.h"
#include "processor/kafka/kafka_client.h"
#include "processor/kafka/embedded_broker.h"
#include "access/audit_log.h"
#include "access/tls.h"
#include "access/token_file.h"
#include "processor/serve/http_server.h"
#include "processor/serve/instance_directory.h"
#include "processor/kafka/kafka_processor.h"
#include "processor/kafka/topic_admin.h"
#include "processor/base/logging.h"
#include "processor/base/metrics.h"
#include "processor/serve/partition_directory.h"
#include "processor/serve/query_api.h"
#include "processor/serve/report_api.h"
#include "rules/regime_loader.h"

namespace fristvagt::processor {

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Flags --name value; the usage errors name the command.
bool ParseFlags(const std::string& command, const std::vector<std::string>& args,
                const std::vector<std::string>& known, std::map<std::string, std::string>* flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string name = args[i].rfind("--", 0) == 0 ? args[i].substr(2) : "";
    if (std::find(known.begin(), known.end(), name) == known.end() || i + 1 >= args.size()) {
      LogFatal("usage: fristvagt " + command + ": unexpected argument '" + args[i] + "'");
      return false;
    }
    (*flags)[name] = args[++i];
  }
  return true;
}

std::vector<std::string> AllTopics(const Config& config) {
  return {config.topics.input,       config.topics.alerts,    config.topics.obligations,
          config.topics.dead_letter, config.topics.changelog, config.topics.instances};
}

// Ends the process if shutdown takes longer than configured: a stuck broker must not keep a
// terminating pod alive forever.
void StartShutdownWatchdog(absl::Duration timeout) {
  std::thread([timeout] {
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
    Logger("processor")
        ->error("shutdown took longer than {} ms; exiting", absl::ToInt64Milliseconds(timeout));
    _exit(1);
  }).detach();
}

absl::Time ProcessNow() { return ProcessClock().Now(); }

// Operations endpoints and the query API (issue 6) over `state`.
// What the HTTP server needs beyond the handlers (issue 18); owned by the Runtime.
struct HttpSecurity {
  std::unique_ptr<access::TokenStore> tokens;
  std::unique_ptr<access::AuditLog> audit;
  std::unique_ptr<access::TlsContext> tls;
};

absl::Status OpenHttpSecurity(const Config& config, HttpSecurity* out) {
  if (!config.http_tokens_file.empty()) {
    std::vector<std::string> errors;
    absl::StatusOr<std::unique_ptr<access::TokenStore>> tokens =
        access::TokenStore::Open(config.http_tokens_file, &errors);
    if (!tokens.ok()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
    out->tokens = *std::move(tokens);
  }
  const std::string audit_path = config.http_audit_log.empty()
                                     ? config.state_dir + "/audit-lookups.jsonl"
                                     : config.http_audit_log;
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(audit_path).parent_path(), ignored);
  absl::StatusOr<std::unique_ptr<access::AuditLog>> audit = access::AuditLog::Open(audit_path);
  if (!audit.ok()) return audit.status();
  out->audit = *std::move(audit);
  if (!config.http_tls_cert_file.empty()) {
    absl::StatusOr<std::unique_ptr<access::TlsContext>> tls =
        access::TlsContext::Open(config.http_tls_cert_file, config.http_tls_key_file);
    if (!tls.ok()) return tls.status();
    out->tls = *std::move(tls);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HttpServer>> StartHttp(const Config& config,
                                                      const rules::Catalog& catalog,
                                                      const LocalState* state, Metrics* metrics,
                                                      const HttpSecurity& security) {
  std::map<std::string, HttpHandler> handlers;
  QueryApiOptions query;
  query.tokens = security.tokens.get();
  query.audit = security.audit.get();
  query.allow_plaintext = config.http_allow_plaintext;
  query.token = config.http_token;
  query.allow_unauthenticated = config.http_allow_unauthenticated;
  query.language = config.language;
  query.catalog = &catalog;
  if (!AddQueryHandlers(query, state, &ProcessNow, &handlers)) {
    return absl::FailedPreconditionError(
        "the query API needs http.token (or http.allow_unauthenticated = true)");
  }
  AddReportHandlers(AccessGateOptions{config.http_token, false, security.tokens.get(),
                                      security.audit.get(), config.http_allow_plaintext},
                    state, &ProcessNow, &handlers);
  handlers["/healthz"] = [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n"}; };
  handlers["/readyz"] = [metrics](const HttpRequest&) {
    // One line per wait: no broker answering (even with every partition held), then the
    // processor's own (an assignment, a restore, nothing after a stop).
    std::string waits;
    if (std::string brokers = metrics->BrokersUnreachable(); !brokers.empty()) {
      waits = "waiting for " + brokers + "\n";
    }
    if (!metrics->ready.load()) waits += "waiting for " + metrics->WaitingFor() + "\n";
    return waits.empty() ? HttpResponse{200, "text/plain", "ready\n"}
                         : HttpResponse{503, "text/plain", waits};
  };
  handlers["/metrics"] = [metrics](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4", metrics->RenderPrometheus()};
  };
  HttpServerOptions options;
  options.on_request = [metrics](std::string_view route, int status) {
    metrics->ObserveHttpRequest(route, status);
  };
  return HttpServer::Start(config.http_bind, config.http_port, std::move(handlers),
                           security.tls.get(), std::move(options));
}

// Where other instances send a client for a person held here: http.advertised_address, else
// bind:port, with the host name for a wildcard bind.
std::string AdvertisedAddress(const Config& config, int port) {
  if (!config.http_advertised_address.empty()) return config.http_advertised_address;
  std::string host = config.http_bind;
  if (host.empty() || host == "0.0.0.0" || host == "::") {
    char name[256] = {};
    host = gethostname(name, sizeof(name) - 1) == 0 ? name : "localhost";
  } else if (host.find(':') != std::string::npos) {
    host = absl::StrCat("[", host, "]");  // an IPv6 address in host:port form
  }
  return absl::StrCat(host, ":", port);
}

// "file:line: key" for a key of the configuration file, or just "key" without one.
std::string Where(const Config& config, const std::string& key) {
  const auto line = config.key_lines.find(key);
  if (config.file.empty()) return key;
  return line == config.key_lines.end() ? absl::StrCat(config.file, ": ", key)
                                        : absl::StrCat(config.file, ":", line->second, ": ", key);
}

// What would otherwise fail after the port is open (or abort on the first assignment): the
// state dir must be writable and every librdkafka property valid. Logs and returns false.
bool StartupChecks(const Config& config) {
  const std::string& dir = config.state_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string probe = dir + "/.fristvagt-write-check";
  const int fd = ec ? -1 : open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    LogFatal(absl::StrCat(Where(config, "state.dir"), ": cannot write to ", dir, ": ",
                          ec ? ec.message() : std::strerror(errno)));
    return false;
  }
  close(fd);
  unlink(probe.c_str());
  for (const auto& [name, value] : config.kafka) {
    absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf({{name, value}});
    if (!conf.ok()) {
      // MakeConf's message starts with "kafka.NAME".
      const std::string message(conf.status().message());
      LogFatal(absl::StrCat(Where(config, "kafka." + name),
                            message.substr(std::min(message.size(), name.size() + 6))));
      return false;
    }
    rd_kafka_conf_destroy(*conf);
  }
  return true;
}

std::vector<std::string> DeadLetterCodes() {
  std::vector<std::string> codes;
  for (RejectCode code :
       {RejectCode::kDecodeFailed, RejectCode::kMissingField, RejectCode::kNoPayload,
        RejectCode::kUnknownPayload, RejectCode::kKeyMismatch, RejectCode::kCprAsKey,
        RejectCode::kBadMunicipality, RejectCode::kBadTime, RejectCode::kNoCourse,
        RejectCode::kTooLarge, RejectCode::kTooManyEvents}) {
    codes.emplace_back(RejectCodeName(code));
  }
  return codes;
}

// Recounts open and overdue obligations by rule and municipality from the owned partitions'
// stores every kRecount, for the fristvagt_obligations_* gauges (docs/metrics.md).
class ObligationGauges {
 public:
  static constexpr absl::Duration kRecount = absl::Seconds(15);

  ObligationGauges(const LocalState* state, Metrics* metrics)
      : thread_([this, state, metrics] {
          std::unique_lock<std::mutex> lock(mu_);
          while (!stop_) {
            lock.unlock();
            metrics->SetObligations(Count(*state));
            lock.lock();
            cv_.wait_for(lock, absl::ToChronoMilliseconds(kRecount), [this] { return stop_; });
          }
        }) {}
  ~ObligationGauges() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  static Metrics::ObligationCounts Count(const LocalState& state) {
    Metrics::ObligationCounts counts;
    state.Scan("", [&](const v1::PersonState& person) {
      const std::string municipality = MunicipalityLabel(person.municipality_code());
      for (const v1::ObligationRecord& o : person.obligations()) {
        if (o.retired()) continue;
        if (o.status() == v1::OPEN) ++counts[{o.rule_id(), municipality}].first;
        if (o.status() == v1::BREACHED) ++counts[{o.rule_id(), municipality}].second;
      }
      return true;
    });
    return counts;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

// Everything `run` and `demo` share once the configuration is known.
class Runtime {
 public:
  int Init(const Config& config, const std::string& default_rules_dir) {
    config_ = config;
    const std::string rules_dir = config_.rules_dir.empty() ? default_rules_dir : config_.rules_dir;
    std::vector<rules::RuleFileError> errors;
    absl::StatusOr<rules::Catalog> catalog = rules::LoadCatalog(rules_dir, &errors, config_.rules_drafts);
    if (!catalog.ok()) {
      for (const auto& e : errors) LogFatal(e.ToString());
      LogFatal("refusing to start with invalid rules in " + rules_dir);
      return 2;
    }
    catalog_ = std::move(*catalog);
    if (!StartupChecks(config_)) return 2;
    std::vector<std::string> regimes;
    for (const auto& regime : catalog_.regimes) regimes.push_back(regime.id);
    metrics_.SetBuildInfo(FRISTVAGT_VERSION, regimes);
    metrics_.DeclareDeadLetterCodes(DeadLetterCodes());
    Logger("fristvagt")->info("fristvagt {} starting, rules {} ({} regimes)", FRISTVAGT_VERSION,
                              rules_dir, regimes.size());
    if (config_.embedded()) {
      absl::StatusOr<std::unique_ptr<EmbeddedBroker>> broker =
          EmbeddedBroker::Start(config_.embedded_brokers, AllTopics(config_), config_.partitions);
      if (!broker.ok()) return Fail(broker.status());
      broker_ = std::move(*broker);
      bootstrap_ = broker_->bootstrap_servers();
      Logger("fristvagt")
          ->info("embedded Kafka broker ({} brokers) at {}", config_.embedded_brokers, bootstrap_);
      // librdkafka's mock cluster keeps only the newest ~5 MiB (100,000 message sets) of each
      // partition and cannot be told otherwise: fine for the demo and development, not for a
      // production volume (docs/operations.md, "The embedded broker").
      Logger("processor")
          ->warn(
              "embedded broker: each partition keeps only its newest ~5 MiB; older input and "
              "changelog records are dropped. Use a real Kafka cluster beyond a demo.");
    } else {
      bootstrap_ = config_.kafka.at("bootstrap.servers");
      // A wrong password must stop the start, not become a retry loop that looks healthy.
      if (absl::Status s = CheckKafkaCredentials(config_.kafka, absl::Seconds(10));
          absl::IsUnauthenticated(s) || absl::IsInvalidArgument(s)) {
        std::cerr << s.message() << "\nfristvagt: refusing to start (kafka)" << std::endl;
        return 2;
      }
      // Like Kafka Streams: create what is missing, refuse a changelog that would lose state.
      if (absl::Status s = EnsureTopics(config_); absl::IsUnavailable(s)) {
        // Broker trouble at start is retried, not fatal (KafkaProcessor::Start); the topics
        // then go unchecked.
        Logger("processor")
            ->warn("cannot check or create the topics now ({}); going on without",
                   std::string(s.message()));
      } else if (!s.ok()) {
        std::cerr << "fristvagt: " << s.message() << '\n';
        return absl::IsFailedPrecondition(s) ? 2 : 1;
      }
    }
    processor_ = std::make_unique<KafkaProcessor>(config_, catalog_, &metrics_);
    if (config_.http_port != 0) {
      partitions_ = std::make_unique<PartitionDirectory>(config_.input_partitioner);
      if (absl::Status s = OpenHttpSecurity(config_, &http_security_); !s.ok()) {
        LogFatal(std::string(s.message()));
        LogFatal("refusing to start (http)");
        return 2;
      }
      absl::StatusOr<std::unique_ptr<HttpServer>> http =
          StartHttp(config_, catalog_, partitions_.get(), &metrics_, http_security_);
      if (!http.ok()) {
        LogFatal(absl::StrCat(Where(config_, "http.port"), ": ", http.status().message()));
        return 2;
      }
      http_ = std::move(*http);
      const std::string address = AdvertisedAddress(config_, http_->port());
      partitions_->SetSelfAddress(address);
      Logger("fristvagt")
          ->info("{}://{}:{}/metrics /healthz /readyz /v1/persons/{{person_key}}/obligations "
                 "/v1/obligations /v1/instances{}; advertised as {}",
                 http_security_.tls ? "https" : "http",
                 config_.http_bind.find(':') != std::string::npos
                     ? absl::StrCat("[", config_.http_bind, "]")
                     : config_.http_bind,
                 http_->port(),
                 config_.http_token.empty() && !http_security_.tokens
                     ? " (query API without a token)"
                     : "",
                 address);
      obligation_gauges_ = std::make_unique<ObligationGauges>(partitions_.get(), &metrics_);
      InstanceDirectoryOptions directory;
      directory.clock = &ProcessClock();
      directory.bootstrap = bootstrap_;
      directory.kafka = config_.kafka;
      directory.group_id = config_.group_id;
      directory.input_topic = config_.topics.input;
      directory.instances_topic = config_.topics.instances;
      directory.instance_id = address;
      directory.address = address;
      absl::StatusOr<std::unique_ptr<InstanceDirectory>> instances =
          InstanceDirectory::Start(std::move(directory), partitions_.get());
      if (!instances.ok()) return Fail(instances.status());
      instances_ = std::move(*instances);
      processor_->store_listener = partitions_.get();
    }
    return 0;
  }

  int Run() {
    if (absl::Status s = processor_->Start(bootstrap_); !s.ok()) return Fail(s);
    absl::StatusOr<std::unique_ptr<BrokerHealth>> health =
        BrokerHealth::Start(BrokerHealthOptions{bootstrap_, config_.kafka}, &metrics_);
    if (!health.ok()) return Fail(health.status());
    StartShutdownWatchdog(config_.shutdown_timeout);
    absl::Status s = processor_->Run(g_stop);
    health->reset();
    // A clean stop announces that this instance holds nothing any more. After an error stop it
    // says nothing: a fenced zombie's successor may announce under the same key (the same
    // advertised address), and the tombstone would erase that; the partitions' new owners
    // announce themselves later, and the latest announcement of a partition wins anyway.
    if (!s.ok() && instances_ != nullptr) instances_->StopWithoutTombstone();
    instances_.reset();
    if (!s.ok()) Logger("processor")->error("stopped on an error: {}", std::string(s.message()));
    Logger("processor")->info("stopped");
    return s.ok() ? 0 : 1;
  }

  static int Fail(const absl::Status& status) {
    LogFatal(std::string(status.message()));
    return 1;
  }

  const std::string& bootstrap() const { return bootstrap_; }
  KafkaProcessor* processor() { return processor_.get(); }
  Metrics* metrics() { return &metrics_; }
  const Config& config() const { return config_; }

 private:
  Config config_;
  rules::Catalog catalog_;
  Metrics metrics_;
  std::unique_ptr<EmbeddedBroker> broker_;
  // Destroyed in reverse: the processor unregisters its stores before the HTTP server stops.
  std::unique_ptr<PartitionDirectory> partitions_;
  HttpSecurity http_security_;  // outlives the server
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<InstanceDirectory> instances_;
  std::unique_ptr<ObligationGauges> obligation_gauges_;  // reads partitions_: stops before
  std::unique_ptr<KafkaProcessor> processor_;
  std::string bootstrap_;
};

}  // namespace

int RunProcessor(const std::vector<std::string>& args, const std::string& default_rules_dir) {
  std::map<std::string, std::string> flags;
  if (!ParseFlags("run", args, {"config"}, &flags)) return 2;
  Config config;
  if (flags.count("config")) {
    std::vector<std::string> errors;
    absl::StatusOr<Config> loaded = LoadConfig(flags["config"], &errors);
    if (!loaded.ok()) {
      for (const std::string& e : errors) LogFatal(e);
      return 2;
    }
    config = std::move(*loaded);
  }
  if (!config.log_level.empty() || !config.log_format.empty()) {
    // Without a [log] level the level stays (--log-level, FRISTVAGT_LOG_LEVEL or info).
    ConfigureLogging(config.log_level.empty() ? std::nullopt : ParseLogLevel(config.log_level),
                     *ParseLogFormat(config.log_format.empty() ? "auto" : config.log_format));
  }
  std::vector<std::string> errors;
  if (!ResolveHttpToken(flags.count("config") ? flags["config"] : "", &config, &errors).ok()) {
    for (const std::string& e : errors) LogFatal(e);
    return 2;
  }
  InstallSignalHandlers();
  Runtime runtime;
  if (int rc = runtime.Init(config, default_rules_dir); rc != 0) return rc;
  return runtime.Run();
}

int RunBroker(const std::vector<std::string>& args) {
  std::map<std::string, std::string> flags;
  if (!ParseFlags("broker", args, {"partitions", "port-file", "brokers"}, &flags)) return 2;
  Config defaults;
  int partitions = defaults.partitions;
  int brokers = defaults.embedded_brokers;
  if ((flags.count("partitions") && !absl::SimpleAtoi(flags["partitions"], &partitions)) ||
      (flags.count("brokers") && !absl::SimpleAtoi(flags["brokers"], &brokers)) || partitions < 1 ||
      brokers < 1) {
    LogFatal("usage: fristvagt broker: --partitions and --brokers take a positive integer");
    return 2;
  }
  InstallSignalHandlers();
  absl::StatusOr<std::unique_ptr<EmbeddedBroker>> broker =
      EmbeddedBroker::Start(brokers, AllTopics(defaults), partitions);
  if (!broker.ok()) return Runtime::Fail(broker.status());
  std::cout << (*broker)->bootstrap_servers() << std::endl;
  if (flags.count("port-file")) {
    const std::string tmp = flags["port-file"] + ".tmp";
    std::ofstream(tmp) << (*broker)->bootstrap_servers() << '\n';
    std::rename(tmp.c_str(), flags["port-file"].c_str());  // readers never see half a file
  }
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}

int RunDemo(const std::vector<std::string>& args, const std::string& default_rules_dir) {
  std::map<std::string, std::string> flags;
  if (!ParseFlags("demo", args, {"persons", "seed", "language", "http-port", "state-dir"},
                  &flags)) {
    return 2;
  }
  Config config;
  config.partitions = 3;
  config.http_port = 0;
  config.batch_linger = absl::Milliseconds(5);
  config.state_dir = flags.count("state-dir") ? flags["state-dir"] : "";
  if (flags.count("http-port")) absl::SimpleAtoi(flags["http-port"], &config.http_port);
  // The demo's query API answers on 127.0.0.1 only, without a token: nothing to configure.
  config.http_bind = "127.0.0.1";
  config.http_allow_unauthenticated = true;
  // The demo feed is a librdkafka producer with its default partitioner.
  config.input_partitioner = KeyPartitioner::kConsistentRandom;
  if (flags.count("language") && flags["language"] == "en") {
    config.language = alerts::Language::kEnglish;
  }
  char tmp_template[] = "/tmp/fristvagt-demo-XXXXXX";
  if (config.state_dir.empty()) config.state_dir = mkdtemp(tmp_template);
  DemoFeedOptions feed;
  if (flags.count("persons")) absl::SimpleAtoi(flags["persons"], &feed.persons);
  if (flags.count("seed")) absl::SimpleAtoi(flags["seed"], &feed.seed);
  InstallSignalHandlers();
  Runtime runtime;
  if (int rc = runtime.Init(config, default_rules_dir); rc != 0) return rc;
  DemoPrinter printer(std::cout);
  runtime.processor()->on_alert = [&printer](const v1::Alert& alert) { printer.Print(alert); };
  std::thread producer([&] {
    absl::Status s = ProduceDemoEvents(runtime.bootstrap(), config.topics.input, feed,
                                       runtime.metrics(), &g_stop);
    if (!s.ok()) {
      LogFatal("demo: " + std::string(s.message()));
      g_stop = true;
    }
  });
  const int rc = runtime.Run();
  producer.join();
  printer.Summary();
  return rc;
}

}  // namespace fristvagt::processor
