// /readyz's "broker unreachable" (processor/kafka/broker_health.h) on the embedded broker: every
// broker of librdkafka's mock cluster taken down, then up again.
#include "processor/kafka/broker_health.h"

#include <librdkafka/rdkafka_mock.h>

#include "gtest/gtest.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt::processor {
namespace {

TEST(BrokerHealthTest, UnreachableWhileEveryBrokerIsDownAndClearedWhenOneIsBack) {
  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf({{"log_level", "0"}});
  ASSERT_TRUE(conf.ok());
  absl::StatusOr<KafkaHandle> host = NewClient(RD_KAFKA_PRODUCER, *conf);
  ASSERT_TRUE(host.ok());
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host->get(), 3);
  ASSERT_NE(cluster, nullptr);
  Metrics metrics;
  BrokerHealthOptions options;
  options.bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  // librdkafka's reconnect backoff grows to 10 s; short here, so the test waits for the probe.
  options.kafka = {{"reconnect.backoff.max.ms", "200"}};
  options.interval = absl::Milliseconds(50);
  options.grace = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<BrokerHealth>> health = BrokerHealth::Start(options, &metrics);
  ASSERT_TRUE(health.ok()) << health.status();
  auto unreachable = [&] { return !metrics.BrokersUnreachable().empty(); };
  EXPECT_FALSE(unreachable());

  for (int32_t broker = 1; broker <= 3; ++broker) rd_kafka_mock_broker_set_down(cluster, broker);
  ASSERT_TRUE(testing::WaitUntil(unreachable, absl::Seconds(20)));
  const std::string what = metrics.BrokersUnreachable();
  EXPECT_NE(what.find("broker unreachable: none of " + options.bootstrap + " has answered since "),
            std::string::npos)
      << what;

  rd_kafka_mock_broker_set_up(cluster, 2);
  EXPECT_TRUE(testing::WaitUntil([&] { return !unreachable(); }, absl::Seconds(20)));
  health->reset();
  rd_kafka_mock_cluster_destroy(cluster);
}

}  // namespace
}  // namespace fristvagt::processor
