// PartitionQueues against the embedded broker in this process: once every partition's queue
// holds messages, a Take spread over all of them gives each an equal share, in offset order,
// and one spread over fewer (the thread count) takes from only that many; a partition with
// fewer leaves its share to the others; no message reaches the consumer queue; a Wait
// ends when a message arrives. Waits are for real events, each with a deadline (no sleeps).
#include "processor/kafka/partition_queues.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "processor/kafka/embedded_broker.h"
#include "processor/kafka/kafka_client.h"

namespace fristvagt::processor {
namespace {

constexpr int kPartitions = 4;
constexpr char kTopic[] = "input";

class PartitionQueuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<EmbeddedBroker>> broker =
        EmbeddedBroker::Start(1, {kTopic}, kPartitions);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    absl::StatusOr<rd_kafka_conf_t*> conf = MakeConf(
        {{"bootstrap.servers", broker_->bootstrap_servers()}, {"log_level", "0"}, {"linger.ms", "0"}});
    ASSERT_TRUE(conf.ok());
    absl::StatusOr<KafkaHandle> producer = NewClient(RD_KAFKA_PRODUCER, *conf);
    ASSERT_TRUE(producer.ok());
    producer_ = std::move(*producer);
    conf = MakeConf({{"bootstrap.servers", broker_->bootstrap_servers()},
                     {"group.id", "partition-queues-test"},
                     {"enable.auto.commit", "false"},
                     {"log_level", "0"}});
    ASSERT_TRUE(conf.ok());
    absl::StatusOr<KafkaHandle> consumer = NewClient(RD_KAFKA_CONSUMER, *conf);
    ASSERT_TRUE(consumer.ok());
    consumer_ = std::move(*consumer);
    rd_kafka_poll_set_consumer(consumer_.get());
    absl::StatusOr<std::unique_ptr<PartitionQueues>> queues =
        PartitionQueues::Create(consumer_.get(), kTopic);
    ASSERT_TRUE(queues.ok()) << queues.status();
    queues_ = std::move(*queues);
  }

  void TearDown() override {
    if (queues_ != nullptr) queues_->DetachAll();
    queues_.reset();
    if (consumer_ != nullptr) rd_kafka_consumer_close(consumer_.get());
  }

  // `count` messages "<partition>:<i>" to the partition, acknowledged.
  void Produce(int32_t partition, int count) {
    for (int i = 0; i < count; ++i) {
      const std::string value = absl::StrCat(partition, ":", i);
      ASSERT_EQ(rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(kTopic),
                                  RD_KAFKA_V_PARTITION(partition),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    ASSERT_EQ(rd_kafka_flush(producer_.get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // Attaches every partition and assigns them from the beginning, as the processor does.
  void AttachAndAssign() {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(kPartitions);
    for (int32_t p = 0; p < kPartitions; ++p) {
      ASSERT_TRUE(queues_->Attach(p).ok());
      rd_kafka_topic_partition_list_add(list, kTopic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    ASSERT_EQ(rd_kafka_assign(consumer_.get(), list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
  }

  // Waits (deadline 20 s) until the partition's fetch queue holds at least `n` entries.
  bool QueueHolds(int32_t partition, size_t n) {
    rd_kafka_queue_t* queue = rd_kafka_queue_get_partition(consumer_.get(), kTopic, partition);
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    bool held = false;
    while (!(held = rd_kafka_queue_length(queue) >= n) && absl::Now() < deadline) {
      queues_->Wait(100);
    }
    rd_kafka_queue_destroy(queue);
    return held;
  }

  // Partition 0 gets 3 messages, the others 100 each; returns once the queues hold them.
  void FewInPartitionZeroManyInTheOthers() {
    Produce(0, 3);
    for (int32_t p = 1; p < kPartitions; ++p) Produce(p, 100);
    AttachAndAssign();
    ASSERT_TRUE(QueueHolds(0, 3));
    for (int32_t p = 1; p < kPartitions; ++p) ASSERT_TRUE(QueueHolds(p, 100)) << p;
  }

  // Per partition, the message numbers taken, in the order taken; destroys the messages.
  static std::map<int32_t, std::vector<int>> ByPartition(
      const std::vector<rd_kafka_message_t*>& messages) {
    std::map<int32_t, std::vector<int>> by_partition;
    for (rd_kafka_message_t* message : messages) {
      EXPECT_EQ(message->err, RD_KAFKA_RESP_ERR_NO_ERROR);
      const std::string value(static_cast<const char*>(message->payload), message->len);
      int number = -1;
      EXPECT_TRUE(absl::SimpleAtoi(value.substr(value.find(':') + 1), &number)) << value;
      EXPECT_EQ(value.substr(0, value.find(':')), absl::StrCat(message->partition));
      by_partition[message->partition].push_back(number);
      rd_kafka_message_destroy(message);
    }
    return by_partition;
  }

  std::unique_ptr<EmbeddedBroker> broker_;
  KafkaHandle producer_;
  KafkaHandle consumer_;
  std::unique_ptr<PartitionQueues> queues_;
};

TEST_F(PartitionQueuesTest, ABatchTakesAnEqualShareFromEveryPartitionInOffsetOrder) {
  for (int32_t p = 0; p < kPartitions; ++p) Produce(p, 100);
  AttachAndAssign();
  for (int32_t p = 0; p < kPartitions; ++p) ASSERT_TRUE(QueueHolds(p, 100)) << p;

  std::vector<rd_kafka_message_t*> taken;
  ASSERT_EQ(queues_->Take(40, kPartitions, &taken), 40u);
  std::map<int32_t, std::vector<int>> first = ByPartition(taken);
  ASSERT_EQ(first.size(), 4u);
  for (const auto& [p, numbers] : first) {
    EXPECT_EQ(numbers, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})) << "partition " << p;
  }

  taken.clear();
  ASSERT_EQ(queues_->Take(1000, kPartitions, &taken), 360u);
  for (const auto& [p, numbers] : ByPartition(taken)) {
    ASSERT_EQ(numbers.size(), 90u) << "partition " << p;
    for (size_t i = 0; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], static_cast<int>(10 + i));
  }
  // Nothing went to the consumer queue instead.
  rd_kafka_message_t* stray = rd_kafka_consumer_poll(consumer_.get(), 0);
  EXPECT_EQ(stray, nullptr);
  if (stray != nullptr) rd_kafka_message_destroy(stray);
}

TEST_F(PartitionQueuesTest, APartitionWithFewMessagesLeavesItsShareToTheOthers) {
  ASSERT_NO_FATAL_FAILURE(FewInPartitionZeroManyInTheOthers());

  std::vector<rd_kafka_message_t*> taken;
  ASSERT_EQ(queues_->Take(40, kPartitions, &taken), 40u);
  std::map<int32_t, std::vector<int>> counts = ByPartition(taken);
  EXPECT_EQ(counts[0], (std::vector<int>{0, 1, 2}));
  for (int32_t p = 1; p < kPartitions; ++p) {
    EXPECT_GE(counts[p].size(), 12u) << "partition " << p;  // 37 over three: 12, 12, 13
    EXPECT_LE(counts[p].size(), 13u) << "partition " << p;
  }
}

TEST_F(PartitionQueuesTest, ASpreadOfTwoTakesFromTwoPartitionsAndOneThatRunsDryIsReplaced) {
  ASSERT_NO_FATAL_FAILURE(FewInPartitionZeroManyInTheOthers());

  std::vector<rd_kafka_message_t*> taken;
  // The first call's rotation starts at partition 0: its 3, then partition 1 takes its half
  // and partition 2 the rest; partition 3 is not touched.
  ASSERT_EQ(queues_->Take(40, 2, &taken), 40u);
  std::map<int32_t, std::vector<int>> first = ByPartition(taken);
  EXPECT_EQ(first[0].size(), 3u);
  EXPECT_EQ(first[1].size(), 20u);
  EXPECT_EQ(first[2].size(), 17u);
  EXPECT_EQ(first.count(3), 0u);
  // With one thread a batch comes from one partition (the rotation's next: partition 1).
  taken.clear();
  ASSERT_EQ(queues_->Take(30, 1, &taken), 30u);
  std::map<int32_t, std::vector<int>> second = ByPartition(taken);
  ASSERT_EQ(second.size(), 1u);
  ASSERT_EQ(second.count(1), 1u);
  EXPECT_EQ(second[1].front(), 20);  // where the first call left it
}

TEST_F(PartitionQueuesTest, AWaitEndsWhenAMessageArrives) {
  AttachAndAssign();
  // Whatever the assignment itself woke is drained first: then a Wait with nothing coming
  // times out.
  std::vector<rd_kafka_message_t*> taken;
  bool quiet = false;
  for (int i = 0; i < 50 && !quiet; ++i) {
    while (rd_kafka_message_t* event = rd_kafka_consumer_poll(consumer_.get(), 0)) {
      rd_kafka_message_destroy(event);
    }
    ASSERT_EQ(queues_->Take(10, kPartitions, &taken), 0u);  // the processor's order: read, then wait
    quiet = !queues_->Wait(20);
  }
  ASSERT_TRUE(quiet);

  Produce(2, 1);
  EXPECT_TRUE(queues_->Wait(20000));
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (queues_->Take(10, kPartitions, &taken) == 0 && absl::Now() < deadline) queues_->Wait(1000);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(ByPartition(taken)[2], std::vector<int>{0});
}

}  // namespace
}  // namespace fristvagt::processor
