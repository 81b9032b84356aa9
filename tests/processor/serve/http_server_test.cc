// The HTTP server's own layer: TLS with a real client (curl), the bounds on the request head
// and body, and the loopback flag the query API's plain-text rule relies on (issue 18);
// concurrent connections, the head's deadline, IPv6, '+' in a path and the request counter
// (issue 16). The deadline tests wait for the kernel's socket timeouts (a few hundred ms).
#include "processor/serve/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

#include "absl/strings/str_cat.h"
#include "access/tls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/base/metrics.h"

namespace fristvagt::processor {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  for (size_t n; pipe != nullptr && (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
    out.append(buffer, n);
  }
  if (pipe != nullptr) pclose(pipe);
  return out;
}

// A connected socket to ip:port (IPv4 or IPv6), -1 if it cannot connect. Reads on it give up
// after 10 s, so a server that never answers fails the test instead of hanging it.
int Connect(const std::string& ip, int port) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(ip.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = socket(found->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  timeval give_up{10, 0};
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &give_up, sizeof(give_up));
  return fd;
}

std::string ReadAll(int fd) {
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) answer.append(buffer, n);
  return answer;
}

// Sends `request` on a plain connection to ip:port and returns the whole answer.
std::string Raw(int port, const std::string& request, const std::string& ip = "127.0.0.1") {
  const int fd = Connect(ip, port);
  if (fd < 0) return "";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string answer = ReadAll(fd);
  close(fd);
  return answer;
}

std::string Get(int port, const std::string& target, const std::string& ip = "127.0.0.1") {
  return Raw(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n", ip);
}

std::map<std::string, HttpHandler> Echo() {
  std::map<std::string, HttpHandler> handlers;
  handlers["/who"] = [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", absl::StrCat("secure=", r.secure,
                                                        " loopback=", r.loopback_peer, "\n")};
  };
  handlers["/v1/persons/"] = [](const HttpRequest& r) {
    auto q = r.query.find("q");
    return HttpResponse{200, "text/plain",
                        absl::StrCat("[", r.path, "][", q == r.query.end() ? "" : q->second, "]")};
  };
  return handlers;
}

TEST(HttpServerTest, OversizeHeadIs431AndHugeBodyIs413) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start("127.0.0.1", 0, Echo());
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  EXPECT_THAT(Raw(port, "GET /who HTTP/1.1\r\nHost: x\r\n\r\n"),
              HasSubstr("secure=0 loopback=1"));
  const std::string big_header = "X-Filler: " + std::string(200 * 1024, 'a') + "\r\n";
  EXPECT_THAT(Raw(port, "GET /who HTTP/1.1\r\n" + big_header + "\r\n"),
              StartsWith("HTTP/1.1 431 "));
  EXPECT_THAT(Raw(port, "POST /who HTTP/1.1\r\nContent-Length: 5000000000\r\n\r\nxxxx"),
              StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(Raw(port, "POST /who HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
              StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(Raw(port, "garbage\r\n\r\n"), StartsWith("HTTP/1.1 400 "));
}

TEST(HttpServerTest, TlsWithCurlAndNoPlainText) {
  const std::string dir = ::testing::TempDir() + "/http-tls-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  ASSERT_EQ(std::system(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
                                     "/CN=fristvagt -addext subjectAltName=IP:127.0.0.1 -keyout ",
                                     dir, "/key.pem -out ", dir, "/cert.pem 2>/dev/null")
                            .c_str()),
            0);
  absl::StatusOr<std::unique_ptr<access::TlsContext>> tls =
      access::TlsContext::Open(dir + "/cert.pem", dir + "/key.pem");
  ASSERT_TRUE(tls.ok()) << tls.status();
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1", 0, Echo(), tls->get());
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  EXPECT_EQ(Shell(absl::StrCat("curl -sS --max-time 10 --cacert ", dir, "/cert.pem https://127.0.0.1:",
                               port, "/who 2>&1")),
            "secure=1 loopback=1\n");
  // The same port does not answer plain HTTP.
  EXPECT_THAT(Raw(port, "GET /who HTTP/1.1\r\n\r\n"), ::testing::Not(HasSubstr("secure=")));
  // openssl s_client sees the certificate.
  EXPECT_THAT(Shell(absl::StrCat("echo | openssl s_client -connect 127.0.0.1:", port,
                                 " -CAfile ", dir, "/cert.pem 2>&1")),
              HasSubstr("Verify return code: 0 (ok)"));
  std::filesystem::remove_all(dir);
}

TEST(HttpServerTest, AStalledClientDoesNotBlockOtherRequests) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::map<std::string, HttpHandler> handlers = Echo();
  handlers["/slow"] = [released](const HttpRequest&) {
    released.wait();  // a handler busy until the test lets it go
    return HttpResponse{200, "text/plain", "slow\n"};
  };
  HttpServerOptions options;
  options.read_timeout = absl::Seconds(60);  // a one-at-a-time server would sit on the stall
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1", 0, handlers, nullptr, options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  // A client that sends half a request head and then nothing.
  const int stalled = Connect("127.0.0.1", port);
  ASSERT_GE(stalled, 0);
  ASSERT_GT(send(stalled, "GET /who HTTP/1.1\r\nHost:", 24, MSG_NOSIGNAL), 0);
  // A request whose handler is busy.
  std::future<std::string> slow = std::async(std::launch::async, [port] { return Get(port, "/slow"); });
  EXPECT_THAT(Get(port, "/who"), HasSubstr("secure=0 loopback=1"));
  release.set_value();
  EXPECT_THAT(slow.get(), HasSubstr("slow"));
  close(stalled);
}

TEST(HttpServerTest, TheWholeHeadMustArriveWithinTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start("127.0.0.1", 0, Echo(), nullptr, options);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  // Half a head, then silence: 408 and the connection closed.
  int fd = Connect("127.0.0.1", port);
  ASSERT_GT(send(fd, "GET /who HTTP/1.1\r\n", 19, MSG_NOSIGNAL), 0);
  EXPECT_THAT(ReadAll(fd), StartsWith("HTTP/1.1 408 "));
  close(fd);
  // Nothing at all: closed without an answer.
  fd = Connect("127.0.0.1", port);
  EXPECT_EQ(ReadAll(fd), "");
  close(fd);
  // A header byte every 100 ms keeps each read inside the timeout, but not the head: the 408
  // comes after about 300 ms, not after the 50 bytes (5 s) this client would send.
  fd = Connect("127.0.0.1", port);
  ASSERT_GT(send(fd, "GET /who HTTP/1.1\r\nX-Slow: ", 27, MSG_NOSIGNAL), 0);
  int trickled = 0;
  for (pollfd pfd{fd, POLLIN, 0}; trickled < 50 && poll(&pfd, 1, 100) == 0; ++trickled) {
    send(fd, "a", 1, MSG_NOSIGNAL);
  }
  EXPECT_LT(trickled, 50);
  EXPECT_THAT(ReadAll(fd), StartsWith("HTTP/1.1 408 "));
  close(fd);
}

TEST(HttpServerTest, ListensOnIpv6AndOnBothFamiliesWithTheWildcard) {
  absl::StatusOr<std::unique_ptr<HttpServer>> any = HttpServer::Start("::", 0, Echo());
  if (!any.ok()) GTEST_SKIP() << "no IPv6 here: " << any.status();
  EXPECT_THAT(Get((*any)->port(), "/who", "::1"), HasSubstr("loopback=1"));
  EXPECT_THAT(Get((*any)->port(), "/who", "127.0.0.1"), HasSubstr("loopback=1"));
  absl::StatusOr<std::unique_ptr<HttpServer>> v6 = HttpServer::Start("::1", 0, Echo());
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_THAT(Get((*v6)->port(), "/who", "::1"), HasSubstr("loopback=1"));
  EXPECT_EQ(Get((*v6)->port(), "/who", "127.0.0.1"), "");  // ::1 is IPv6 only
  EXPECT_FALSE(HttpServer::Start("localhost", 0, Echo()).ok());  // an address, not a name
}

TEST(HttpServerTest, APortInUseIsAStartError) {
  absl::StatusOr<std::unique_ptr<HttpServer>> first = HttpServer::Start("127.0.0.1", 0, Echo());
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      HttpServer::Start("127.0.0.1", (*first)->port(), Echo());
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("Address already in use"));
}

TEST(HttpServerTest, APlusInAPathStaysAPlus) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start("127.0.0.1", 0, Echo());
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  EXPECT_THAT(Get(port, "/v1/persons/p+1/obligations"), HasSubstr("[/v1/persons/p+1/obligations][]"));
  EXPECT_THAT(Get(port, "/v1/persons/p%2B1"), HasSubstr("[/v1/persons/p+1][]"));
  EXPECT_THAT(Get(port, "/v1/persons/p%201"), HasSubstr("[/v1/persons/p 1][]"));
  // In the query string '+' is a space (form encoding), %2B a plus.
  EXPECT_THAT(Get(port, "/v1/persons/x?q=a+b%2Bc"), HasSubstr("[/v1/persons/x][a b+c]"));
  // The same parser without a socket (what the fuzz target drives).
  std::unique_ptr<HttpServer> unbound = HttpServer::Unbound(Echo());
  EXPECT_THAT(unbound->AnswerBytes("GET /v1/persons/p+1 HTTP/1.1\r\n\r\n"),
              HasSubstr("[/v1/persons/p+1][]"));
}

TEST(HttpServerTest, OnlyGetAndHeadReachAHandler) {
  std::unique_ptr<HttpServer> server = HttpServer::Unbound(Echo());
  EXPECT_THAT(server->AnswerBytes("POST /who HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"),
              StartsWith("HTTP/1.1 405 "));
  const std::string head = server->AnswerBytes("HEAD /who HTTP/1.1\r\n\r\n");
  EXPECT_THAT(head, StartsWith("HTTP/1.1 200 "));
  EXPECT_THAT(head, Not(HasSubstr("secure=")));
  EXPECT_THAT(server->AnswerBytes("GET /nothing HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 "));
}

TEST(HttpServerTest, RequestsAreCountedByRouteAndCodeNeverByPath) {
  Metrics metrics;
  HttpServerOptions options;
  options.on_request = [&metrics](std::string_view route, int status) {
    metrics.ObserveHttpRequest(route, status);
  };
  std::unique_ptr<HttpServer> server = HttpServer::Unbound(Echo(), options);
  server->AnswerBytes("GET /who HTTP/1.1\r\n\r\n");
  server->AnswerBytes("GET /who HTTP/1.1\r\n\r\n");
  server->AnswerBytes("GET /v1/persons/0101901234/obligations HTTP/1.1\r\n\r\n");
  server->AnswerBytes("GET /0101901234 HTTP/1.1\r\n\r\n");
  server->AnswerBytes("garbage\r\n\r\n");
  server->AnswerBytes("GET /who HTTP/1.1\r\nX: " + std::string(100 * 1024, 'a') + "\r\n\r\n");
  const std::string text = metrics.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr(R"(fristvagt_http_requests_total{code="200",route="/who"} 2)"));
  EXPECT_THAT(text,
              HasSubstr(R"(fristvagt_http_requests_total{code="200",route="/v1/persons/"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(fristvagt_http_requests_total{code="404",route="other"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(fristvagt_http_requests_total{code="400",route="invalid"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(fristvagt_http_requests_total{code="431",route="invalid"} 1)"));
  EXPECT_THAT(text, Not(HasSubstr("0101901234")));
}

}  // namespace
}  // namespace fristvagt::processor
