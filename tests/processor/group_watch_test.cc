// GroupJoinWatch: a member that is idle in a stable group (more members than partitions; a real
// group on the embedded broker) reports "steady" and is not called stuck; a member whose join
// state stays elsewhere is, but only after the patience has run out.

#include "processor/group_watch.h"

#include <map>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "processor/embedded_broker.h"
#include "processor/kafka_client.h"

namespace fristvagt::processor {
namespace {

int KeepStatistics(rd_kafka_t*, char* json, size_t len, void* opaque);

// A group member; its statistics (every 200 ms) go to `*statistics` when given.
KafkaHandle Consumer(const std::string& bootstrap, std::string* statistics) {
  absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf({{"bootstrap.servers", bootstrap},
                                                    {"group.id", "watched"},
                                                    {"session.timeout.ms", "6000"},
                                                    {"heartbeat.interval.ms", "500"},
                                                    {"statistics.interval.ms", "200"},
                                                    {"log_level", "3"}});
  EXPECT_TRUE(conf.ok());
  if (statistics != nullptr) {
    rd_kafka_conf_set_stats_cb(*conf, &KeepStatistics);
    rd_kafka_conf_set_opaque(*conf, statistics);
  }
  absl::StatusOr<KafkaHandle> consumer = NewClient(RD_KAFKA_CONSUMER, *conf);
  EXPECT_TRUE(consumer.ok());
  rd_kafka_poll_set_consumer(consumer->get());
  return std::move(*consumer);
}

void Subscribe(rd_kafka_t* consumer) {
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "t", RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
}

bool HasMemberId(rd_kafka_t* consumer) {
  char* id = rd_kafka_memberid(consumer);
  const bool has = id != nullptr && id[0] != '\0';
  if (id != nullptr) rd_kafka_mem_free(consumer, id);
  return has;
}

bool HasAssignment(rd_kafka_t* consumer) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(consumer, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  const bool has = assigned->cnt > 0;
  rd_kafka_topic_partition_list_destroy(assigned);
  return has;
}

int KeepStatistics(rd_kafka_t*, char* json, size_t len, void* opaque) {
  *static_cast<std::string*>(opaque) = std::string(json, len);
  return 0;
}

TEST(GroupJoinWatchTest, AnIdleMemberOfAStableGroupReportsSteadyAndIsLeftAlone) {
  absl::StatusOr<std::unique_ptr<EmbeddedBroker>> broker = EmbeddedBroker::Start(1, {"t"}, 1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  std::string idle_stats;
  KafkaHandle busy = Consumer((*broker)->bootstrap_servers(), nullptr);
  KafkaHandle idle = Consumer((*broker)->bootstrap_servers(), &idle_stats);
  Subscribe(busy.get());
  Subscribe(idle.get());
  // Both poll until the single partition has an owner and the other member is steady.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  rd_kafka_t* without = nullptr;
  while (absl::Now() < deadline) {
    for (rd_kafka_t* c : {busy.get(), idle.get()}) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 50)) rd_kafka_message_destroy(m);
    }
    if (HasAssignment(busy.get()) != HasAssignment(idle.get()) && HasMemberId(busy.get()) &&
        HasMemberId(idle.get())) {
      without = HasAssignment(busy.get()) ? idle.get() : busy.get();
      if (without == idle.get() && GroupJoinWatch::JoinStateOf(idle_stats) == "steady") break;
    }
  }
  ASSERT_EQ(without, idle.get()) << "the partition did not settle on the first member in 60 s";
  ASSERT_EQ(GroupJoinWatch::JoinStateOf(idle_stats), "steady") << idle_stats.substr(0, 500);

  const absl::Time t0 = absl::Now();
  GroupJoinWatch watch("watched", absl::Seconds(30));
  watch.OnStatistics(idle_stats);
  watch.Reset(t0);
  EXPECT_FALSE(watch.LooksStuck(without, false, t0 + absl::Seconds(31)))
      << "an idle member of a stable group is not stuck";
  for (rd_kafka_t* c : {busy.get(), idle.get()}) rd_kafka_consumer_close(c);
}

TEST(GroupJoinWatchTest, AMemberStuckInAJoinIsReportedAfterThePatienceOnly) {
  absl::StatusOr<std::unique_ptr<EmbeddedBroker>> broker = EmbeddedBroker::Start(1, {"t"}, 1);
  ASSERT_TRUE(broker.ok()) << broker.status();
  KafkaHandle stranger = Consumer((*broker)->bootstrap_servers(), nullptr);
  const absl::Time t0 = absl::Now();
  GroupJoinWatch watch("watched", absl::Seconds(30));
  watch.Reset(t0);
  watch.OnStatistics(R"({"name":"c","cgrp":{"state":"up","join_state":"wait-sync"}})");
  EXPECT_EQ(watch.join_state(), "wait-sync");
  EXPECT_FALSE(watch.LooksStuck(stranger.get(), false, t0 + absl::Seconds(29))) << "patience first";
  EXPECT_TRUE(watch.LooksStuck(stranger.get(), false, t0 + absl::Seconds(31)));
  // Looked at once per patience period, and partitions reset the watch.
  EXPECT_FALSE(watch.LooksStuck(stranger.get(), false, t0 + absl::Seconds(32)));
  EXPECT_FALSE(watch.LooksStuck(stranger.get(), true, t0 + absl::Seconds(70)));
  EXPECT_FALSE(watch.LooksStuck(stranger.get(), false, t0 + absl::Seconds(71)));
  // Statistics without a group section leave the last known state.
  watch.OnStatistics(R"({"name":"c"})");
  EXPECT_EQ(watch.join_state(), "wait-sync");
}

}  // namespace
}  // namespace fristvagt::processor
