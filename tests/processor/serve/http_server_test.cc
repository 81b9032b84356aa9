// The HTTP server's own layer (issue 18): TLS with a real client (curl), the bounds on the
// request head and body, and the loopback flag the query API's plain-text rule relies on.
#include "processor/serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "access/tls.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

// Sends `request` on a plain connection to 127.0.0.1:port and returns the whole answer.
std::string Raw(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) answer.append(buffer, n);
  close(fd);
  return answer;
}

std::map<std::string, HttpHandler> Echo() {
  std::map<std::string, HttpHandler> handlers;
  handlers["/who"] = [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", absl::StrCat("secure=", r.secure,
                                                        " loopback=", r.loopback_peer, "\n")};
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

}  // namespace
}  // namespace fristvagt::processor
