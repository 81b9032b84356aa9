// The embedded broker answers without Nagle's algorithm, as a real Kafka broker does
// (processor/kafka/embedded_broker.h says why it matters: ~45 ms stalls per delivery round).
// The mock's server side of a connection lives in this process, so the test can look at it.
#include "processor/kafka/embedded_broker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace fristvagt::processor {
namespace {

std::set<int> Ports(const std::string& bootstraps) {
  std::set<int> ports;
  for (absl::string_view server : absl::StrSplit(bootstraps, ',')) {
    int port = 0;
    if (absl::SimpleAtoi(server.substr(server.rfind(':') + 1), &port)) ports.insert(port);
  }
  return ports;
}

// TCP_NODELAY of every connected socket of this process bound to one of `ports`: the broker's
// side of its connections (a client's side is bound to an ephemeral port).
std::vector<int> NoDelayOfServerSides(const std::set<int>& ports) {
  std::vector<int> values;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &fd)) continue;
    int listening = 1;
    socklen_t length = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening) continue;
    sockaddr_in address{};
    length = sizeof(address);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        address.sin_family != AF_INET || ports.count(ntohs(address.sin_port)) == 0) {
      continue;
    }
    int nodelay = 0;
    length = sizeof(nodelay);
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length);
    values.push_back(nodelay);
  }
  return values;
}

TEST(EmbeddedBrokerTest, ItsSideOfEveryConnectionHasNagleOff) {
  absl::StatusOr<std::unique_ptr<EmbeddedBroker>> broker = EmbeddedBroker::Start(3, {"t"}, 3);
  ASSERT_TRUE(broker.ok()) << broker.status();
  absl::StatusOr<rd_kafka_conf_t*> conf =
      MakeConf({{"bootstrap.servers", (*broker)->bootstrap_servers()}, {"log_level", "0"}});
  ASSERT_TRUE(conf.ok());
  absl::StatusOr<KafkaHandle> client = NewClient(RD_KAFKA_PRODUCER, *conf);
  ASSERT_TRUE(client.ok());
  // A metadata answer means the broker accepted the client's connection.
  const rd_kafka_metadata_t* metadata = nullptr;
  ASSERT_EQ(rd_kafka_metadata(client->get(), 1, nullptr, &metadata, 10000),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_metadata_destroy(metadata);

  const std::vector<int> nodelay = NoDelayOfServerSides(Ports((*broker)->bootstrap_servers()));
  ASSERT_FALSE(nodelay.empty());
  for (int value : nodelay) EXPECT_EQ(value, 1);
}

TEST(EmbeddedBrokerTest, DisableNagleOnListenersFindsOnlyTheNamedListeners) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  const int other_port = port == 65535 ? 1 : port + 1;
  EXPECT_EQ(DisableNagleOnListeners(absl::StrCat("127.0.0.1:", other_port)), 0);
  int nodelay = -1;
  length = sizeof(nodelay);
  ASSERT_EQ(getsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
  EXPECT_EQ(nodelay, 0);

  EXPECT_EQ(DisableNagleOnListeners(absl::StrCat("localhost:1,127.0.0.1:", port)), 1);
  ASSERT_EQ(getsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
  EXPECT_EQ(nodelay, 1);
  close(listener);
}

}  // namespace
}  // namespace fristvagt::processor
