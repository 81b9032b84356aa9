#include "processor/kafka/broker_health.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "processor/base/logging.h"

namespace fristvagt::processor {

namespace {

// The processor's own clients log every refused connection already; the probe reports only
// through /readyz and its transition lines.
void DropLog(const rd_kafka_t*, int, const char*, const char*) {}

}  // namespace

absl::StatusOr<std::unique_ptr<BrokerHealth>> BrokerHealth::Start(BrokerHealthOptions options,
                                                                  Metrics* metrics) {
  std::map<std::string, std::string> props = options.kafka;
  props["bootstrap.servers"] = options.bootstrap;
  props["client.id"] = "fristvagt-broker-health";
  // Consumer-only and transactional [kafka] properties mean nothing to this plain client.
  for (const char* name : {"transactional.id", "group.id", "group.instance.id",
                           "isolation.level", "session.timeout.ms", "heartbeat.interval.ms"}) {
    props.erase(name);
  }
  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf(props);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_log_cb(*conf, &DropLog);
  absl::StatusOr<KafkaHandle> client = NewClient(RD_KAFKA_PRODUCER, *conf);
  if (!client.ok()) return client.status();
  std::unique_ptr<BrokerHealth> self(new BrokerHealth(std::move(options), metrics));
  self->client_ = std::move(*client);
  self->thread_ = std::thread([raw = self.get()] { raw->Loop(); });
  return self;
}

BrokerHealth::~BrokerHealth() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  metrics_->SetBrokersUnreachable("");  // nobody watches any more
}

// A metadata request naming no topic: answered by any broker that is up.
bool BrokerHealth::Probe() {
  const int timeout_ms = static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(options_.grace), 100, 2000));
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(client_.get(), 0, nullptr, &metadata, timeout_ms) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return false;
  }
  rd_kafka_metadata_destroy(metadata);
  return true;
}

void BrokerHealth::Loop() {
  // Start runs after the processor's own clients have started: count that as an answer, so a
  // cluster that is down from the start is reported after `grace` too.
  absl::Time last_answer = options_.clock->Now();
  bool unreachable = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    const bool answered = Probe();
    const absl::Time now = options_.clock->Now();
    if (answered) {
      if (unreachable) {
        Logger("kafka")->info("a broker answers again after {} s; /readyz no longer waits for one",
                              absl::ToInt64Seconds(now - last_answer));
        metrics_->SetBrokersUnreachable("");
        unreachable = false;
      }
      last_answer = now;
    } else if (!unreachable && now - last_answer >= options_.grace) {
      const std::string reason = absl::StrCat(
          "broker unreachable: none of ", options_.bootstrap, " has answered since ",
          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", last_answer, absl::UTCTimeZone()));
      Logger("kafka")->warn("{}; /readyz answers 503 until one does", reason);
      metrics_->SetBrokersUnreachable("a broker: " + reason);
      unreachable = true;
    }
    lock.lock();
    wake_.wait_for(lock, absl::ToChronoMilliseconds(options_.interval), [this] { return stop_; });
  }
}

}  // namespace fristvagt::processor
