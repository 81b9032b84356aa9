#pragma once
// Whether any Kafka broker answers, for /readyz (issue 12): while none has answered for
// `grace`, Metrics::BrokersUnreachable names the wait ("broker unreachable") and /readyz
// answers 503 even where the instance holds all its partitions; the first answer clears it.
//
// A probe of its own (one metadata request per `interval` on its own client and thread), not
// the processor's statistics or error callbacks: those are served by the processing thread,
// which during an outage sits for up to 30 s each in a flush and a transaction commit, so
// /readyz would have lagged the outage by a minute. The probe uses the processor's bootstrap
// and [kafka] properties (security included), so it reaches what the processor's clients reach.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "processor/base/clock.h"
#include "processor/base/metrics.h"
#include "processor/kafka/kafka_client.h"

namespace fristvagt::processor {

struct BrokerHealthOptions {
  std::string bootstrap;
  std::map<std::string, std::string> kafka;  // [kafka] properties
  absl::Duration interval = absl::Seconds(1);
  absl::Duration grace = absl::Seconds(5);  // no answer for this long: unreachable
  const Clock* clock = &WallClock::Get();
};

class BrokerHealth {
 public:
  static absl::StatusOr<std::unique_ptr<BrokerHealth>> Start(BrokerHealthOptions options,
                                                             Metrics* metrics);
  ~BrokerHealth();
  BrokerHealth(const BrokerHealth&) = delete;
  BrokerHealth& operator=(const BrokerHealth&) = delete;

 private:
  BrokerHealth(BrokerHealthOptions options, Metrics* metrics)
      : options_(std::move(options)), metrics_(metrics) {}
  void Loop();
  bool Probe();

  BrokerHealthOptions options_;
  Metrics* metrics_;
  KafkaHandle client_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace fristvagt::processor
