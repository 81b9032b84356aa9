// The latency measurement of kafka_bench (see kafka_bench_latency.h): a paced producer thread,
// the alerts read on the main thread, a fresh broker and processor per measurement.
#include "bench/kafka_bench_latency.h"

#include <atomic>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "processor/base/config.h"
#include "proto/alert.pb.h"

namespace fristvagt::bench {

namespace {

constexpr char kKeyMark[] = "k";  // person keys are "p-lat<run>x<rate>k<index>"

int64_t Nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void Send(rd_kafka_t* producer, const std::string& topic, const v1::CaseEvent& event) {
  const std::string value = event.SerializeAsString();
  rd_kafka_resp_err_t err;
  do {
    err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                            RD_KAFKA_V_KEY(event.person_key().data(), event.person_key().size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer, 10);
  } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Check(absl::InternalError(rd_kafka_err2str(err)), "producing a latency event");
  }
  rd_kafka_poll(producer, 0);
}

// The baseline: a consumer group member that answers every case event at once with a
// one-field alert for its person on fristvagt.alerts (producer as the processor's: idempotent,
// linger.ms 5), so the samples hold the Kafka hops and the pacing and nothing else.
void Echo(const std::string& bootstrap, int fetch_wait_max_ms, const std::atomic<bool>& stop) {
  const processor::TopicNames topics;
  std::map<std::string, std::string> props = {{"bootstrap.servers", bootstrap},
                                              {"group.id", "bench-echo"},
                                              {"auto.offset.reset", "earliest"}};
  if (fetch_wait_max_ms >= 0) props["fetch.wait.max.ms"] = std::to_string(fetch_wait_max_ms);
  processor::KafkaHandle consumer = Client(RD_KAFKA_CONSUMER, props);
  rd_kafka_poll_set_consumer(consumer.get());
  processor::PartitionList subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topics.input.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer.get(), subscription.get());
  processor::KafkaHandle producer = Client(
      RD_KAFKA_PRODUCER,
      {{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}, {"linger.ms", "5"}});
  while (!stop) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 50);
    if (m == nullptr) continue;
    v1::CaseEvent event;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        event.ParseFromArray(m->payload, static_cast<int>(m->len))) {
      v1::Alert alert;
      alert.set_person_key(event.person_key());
      alert.set_kind(v1::BREACH);
      const std::string value = alert.SerializeAsString();
      rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC(topics.alerts.c_str()),
                        RD_KAFKA_V_KEY(m->key, m->key_len),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    }
    rd_kafka_message_destroy(m);
    rd_kafka_poll(producer.get(), 0);
  }
  rd_kafka_flush(producer.get(), 5000);
  rd_kafka_consumer_close(consumer.get());
}

}  // namespace

LatencyResult MeasureLatency(const LatencyParams& params, int run) {
  const processor::TopicNames topics;
  std::unique_ptr<BenchBroker> broker = StartBroker(params.partitions);
  const std::string bootstrap = broker->bootstrap_servers();
  ProcessorSettings settings = params.settings;
  settings.bootstrap = bootstrap;
  settings.http_port = FreeTcpPort();
  settings.state_dir = params.dir / "latency.state";
  RunningProcessor processor;
  std::atomic<bool> echo_stop = false;
  std::thread echo;
  if (params.echo) {
    echo = std::thread(Echo, bootstrap, settings.fetch_wait_max_ms, std::cref(echo_stop));
  } else {
    processor = LaunchProcessor(params.binary, params.dir, "latency", settings, absl::Seconds(120));
  }

  std::map<std::string, std::string> consumer_props = {{"bootstrap.servers", bootstrap},
                                                       {"group.id", "bench-latency"},
                                                       {"enable.auto.commit", "false"}};
  if (settings.fetch_wait_max_ms >= 0) {
    consumer_props["fetch.wait.max.ms"] = std::to_string(settings.fetch_wait_max_ms);
  }
  processor::KafkaHandle consumer = Client(RD_KAFKA_CONSUMER, consumer_props);
  processor::PartitionList assignment(rd_kafka_topic_partition_list_new(params.partitions));
  for (int32_t p = 0; p < params.partitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment.get(), topics.alerts.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(consumer.get(), assignment.get());
  processor::KafkaHandle producer = Client(
      RD_KAFKA_PRODUCER,
      {{"bootstrap.servers", bootstrap}, {"enable.idempotence", "true"}, {"linger.ms", "1"}});

  const uint64_t total = static_cast<uint64_t>(params.rate * params.seconds);
  const std::string prefix = absl::StrCat("p-lat", run, "x", params.rate, kKeyMark);
  std::vector<std::atomic<int64_t>> sent_at(total + 1);
  std::vector<int64_t> received_at(total + 1, 0);
  std::vector<bool> was_breach(total + 1, false);
  auto event_for = [&](uint64_t i) {
    return LateFirstContact(absl::StrCat(prefix, i), absl::StrCat("lat-", i), absl::Now(),
                            absl::Hours(24 * 10));
  };
  // Reads alerts until `until` or until `want` more first alerts arrived; returns how many.
  uint64_t matched = 0;
  auto read_alerts = [&](Clock::time_point until, uint64_t want) {
    while (matched < want && Clock::now() < until) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 20);
      if (message == nullptr) continue;
      const int64_t now = Nanos(Clock::now());
      v1::Alert alert;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
          alert.ParseFromArray(message->payload, static_cast<int>(message->len))) {
        const std::string& key = alert.person_key();
        uint64_t index = 0;
        const size_t mark = key.rfind(kKeyMark[0]);
        if (key.rfind(prefix, 0) == 0 && mark != std::string::npos &&
            absl::SimpleAtoi(key.substr(mark + 1), &index) && index <= total &&
            received_at[index] == 0) {
          received_at[index] = now;
          was_breach[index] = alert.kind() == v1::BREACH;
          ++matched;
        }
      }
      rd_kafka_message_destroy(message);
    }
  };

  // One event first, to see the alert arrive at all and to have every client connected.
  sent_at[total] = Nanos(Clock::now());
  Send(producer.get(), topics.input, event_for(total));
  read_alerts(Clock::now() + std::chrono::seconds(60), 1);
  if (matched != 1) {
    Check(absl::DeadlineExceededError("no alert for the warm-up event within 60 s; see " +
                                      processor.log.string()),
          "latency");
  }
  matched = 0;

  const Clock::time_point start = Clock::now();
  std::atomic<bool> sending = true;
  std::thread pacer([&] {
    const auto period = std::chrono::nanoseconds(1000000000LL / params.rate);
    for (uint64_t i = 0; i < total; ++i) {
      std::this_thread::sleep_until(start + period * i);
      const v1::CaseEvent event = event_for(i);
      sent_at[i] = Nanos(Clock::now());
      Send(producer.get(), topics.input, event);
    }
    sending = false;
  });
  while (sending) read_alerts(Clock::now() + std::chrono::milliseconds(100), total);
  pacer.join();
  LatencyResult result;
  result.rate = params.rate;
  result.sent = total;
  result.send_seconds = SecondsSince(start);
  result.offered_rate = total / result.send_seconds;
  read_alerts(Clock::now() + std::chrono::seconds(5), total);  // the drain
  result.matched = matched;
  if (params.echo) {
    echo_stop = true;
    echo.join();
  } else {
    result.peak_rss_kb = processor.child->PeakRssKb();
    processor.child->Stop(absl::Seconds(15));
  }
  rd_kafka_flush(producer.get(), 5000);

  std::vector<double> latencies_ms;
  int64_t last = Nanos(start);
  for (uint64_t i = 0; i < total; ++i) {
    if (received_at[i] == 0) continue;
    latencies_ms.push_back((received_at[i] - sent_at[i].load()) / 1e6);
    result.breaches += was_breach[i];
    last = std::max(last, received_at[i]);
  }
  result.processed_rate = matched / std::max(1e-9, (last - Nanos(start)) / 1e9);
  // Kept up: every alert in, the last one within a second after the last event was sent.
  result.sustained = matched == total && (last - Nanos(start)) / 1e9 < result.send_seconds + 1;
  result.p50_ms = Percentile(latencies_ms, 0.5);
  result.p99_ms = Percentile(latencies_ms, 0.99);
  result.max_ms = Percentile(latencies_ms, 1.0);
  std::cerr << (params.echo ? "echo" : "latency") << " run " << run << " at " << params.rate
            << "/s: " << matched << "/" << total << " alerts (" << result.breaches
            << " BREACH first), p50 " << result.p50_ms << " ms, p99 " << result.p99_ms
            << " ms, max " << result.max_ms << " ms, processed " << result.processed_rate
            << "/s, peak RSS " << result.peak_rss_kb / 1024 << " MiB\n";
  return result;
}

}  // namespace fristvagt::bench
