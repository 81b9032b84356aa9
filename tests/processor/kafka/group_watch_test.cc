// GroupJoinWatch: a member that is idle in a stable group (more members than partitions; a real
// group on the embedded broker) reports "steady" and is not called stuck; a member whose join
// state stays elsewhere is, but only after the patience has run out.

#include "processor/kafka/group_watch.h"

#include <map>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "processor/kafka/embedded_broker.h"
#include "processor/kafka/kafka_client.h"

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
  // Which member gets the single partition is the coordinator's choice: both keep statistics.
  std::string stats[2];
  KafkaHandle members[2] = {Consumer((*broker)->bootstrap_servers(), &stats[0]),
                            Consumer((*broker)->bootstrap_servers(), &stats[1])};
  for (KafkaHandle& member : members) Subscribe(member.get());
  // Both poll until the partition has an owner and the other member reports steady.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  int idle = -1;
  while (absl::Now() < deadline && idle < 0) {
    for (KafkaHandle& member : members) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(member.get(), 50)) {
        rd_kafka_message_destroy(m);
      }
    }
    const bool owns[2] = {HasAssignment(members[0].get()), HasAssignment(members[1].get())};
    if (owns[0] == owns[1] || !HasMemberId(members[0].get()) || !HasMemberId(members[1].get())) {
      continue;
    }
    const int candidate = owns[0] ? 1 : 0;
    if (GroupJoinWatch::JoinStateOf(stats[candidate]) == "steady") idle = candidate;
  }
  ASSERT_GE(idle, 0) << "the group did not settle with one idle, steady member in 60 s";
  rd_kafka_t* without = members[idle].get();
  const std::string idle_stats = stats[idle];

  const absl::Time t0 = absl::Now();
  GroupJoinWatch watch("watched", absl::Seconds(30));
  watch.OnStatistics(idle_stats);
  watch.Reset(t0);
  EXPECT_FALSE(watch.LooksStuck(without, false, t0 + absl::Seconds(31)))
      << "an idle member of a stable group is not stuck";
  for (KafkaHandle& member : members) rd_kafka_consumer_close(member.get());
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
