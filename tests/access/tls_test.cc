// TLS for the HTTP port with a real TLS client (curl, OpenSSL's s_client semantics): the
// handshake, a renewed certificate picked up without a restart, a plain-text client refused,
// and a key that does not match its certificate refused at start-up (issue 18).
#include "access/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fristvagt::access {
namespace {

using ::testing::HasSubstr;

std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  pclose(pipe);
  return out;
}

// A self-signed certificate for 127.0.0.1 made with Debian's openssl.
void MakeCertificate(const std::string& dir, const std::string& name) {
  ASSERT_EQ(std::system(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
                                     "/CN=", name, " -addext subjectAltName=IP:127.0.0.1 -keyout ",
                                     dir, "/key.pem -out ", dir, "/cert.pem 2>/dev/null")
                            .c_str()),
            0);
}

// Accepts `connections` connections on 127.0.0.1 and answers each over TLS with `body`.
class OneShotServer {
 public:
  OneShotServer(TlsContext* tls, int connections) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 4);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, tls, connections] {
      for (int i = 0; i < connections; ++i) {
        const int client = accept(fd_, nullptr, nullptr);
        timeval timeout{5, 0};
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        std::string error;
        absl::StatusOr<std::unique_ptr<TlsConnection>> c =
            TlsConnection::Accept(tls->Current(&error), client);
        if (c.ok()) {
          char buffer[4096];
          (*c)->Read(buffer, sizeof(buffer));
          (*c)->WriteAll("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n");
        } else {
          handshake_errors_ += 1;
        }
        c = absl::UnknownError("");  // close_notify before the socket closes
        close(client);
      }
    });
  }
  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  int handshake_errors() {
    thread_.join();
    thread_ = std::thread([] {});
    return handshake_errors_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  int handshake_errors_ = 0;
  std::thread thread_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/tls-test-" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Curl(int port, const std::string& ca) {
    return Shell(absl::StrCat("curl -sS --max-time 10 --cacert ", ca, " https://127.0.0.1:", port,
                            "/healthz 2>&1"));
  }
  std::string dir_;
};

TEST_F(TlsTest, CurlGetsAnAnswerAndARenewedCertificateIsUsedWithoutRestart) {
  MakeCertificate(dir_, "first");
  absl::StatusOr<std::unique_ptr<TlsContext>> tls =
      TlsContext::Open(dir_ + "/cert.pem", dir_ + "/key.pem");
  ASSERT_TRUE(tls.ok()) << tls.status();
  std::filesystem::copy_file(dir_ + "/cert.pem", dir_ + "/first.pem");
  {
    OneShotServer server(tls->get(), 1);
    EXPECT_EQ(Curl(server.port(), dir_ + "/first.pem"), "hello\n");
  }
  MakeCertificate(dir_, "second");  // renewed in place
  OneShotServer server(tls->get(), 2);
  EXPECT_EQ(Curl(server.port(), dir_ + "/cert.pem"), "hello\n");
  EXPECT_THAT(Curl(server.port(), dir_ + "/first.pem"), HasSubstr("curl: (60)"));  // not trusted
}

TEST_F(TlsTest, PlainTextClientGetsNoAnswer) {
  MakeCertificate(dir_, "plain");
  absl::StatusOr<std::unique_ptr<TlsContext>> tls =
      TlsContext::Open(dir_ + "/cert.pem", dir_ + "/key.pem");
  ASSERT_TRUE(tls.ok());
  OneShotServer server(tls->get(), 1);
  const std::string out = Shell(absl::StrCat("curl -sS --max-time 10 http://127.0.0.1:",
                                           server.port(), "/healthz 2>&1"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("hello")));
  EXPECT_EQ(server.handshake_errors(), 1);
}

TEST_F(TlsTest, KeyOfAnotherCertificateIsAStartupError) {
  MakeCertificate(dir_, "one");
  std::filesystem::rename(dir_ + "/key.pem", dir_ + "/one-key.pem");
  MakeCertificate(dir_, "two");
  absl::StatusOr<std::unique_ptr<TlsContext>> tls =
      TlsContext::Open(dir_ + "/cert.pem", dir_ + "/one-key.pem");
  ASSERT_FALSE(tls.ok());
  EXPECT_THAT(tls.status().message(), HasSubstr("one-key.pem"));  // OpenSSL: key values mismatch
  EXPECT_THAT(TlsContext::Open(dir_ + "/missing.pem", dir_ + "/key.pem").status().message(),
              HasSubstr("cannot use the certificate"));
}

}  // namespace
}  // namespace fristvagt::access
