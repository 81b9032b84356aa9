#include "processor/serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "processor/base/logging.h"
#include "processor/serve/http_request.h"

namespace fristvagt::processor {

namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 421:
      return "Misdirected Request";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& bind, int port, std::map<std::string, HttpHandler> handlers,
    access::TlsContext* tls) {
  std::unique_ptr<HttpServer> server(new HttpServer);
  server->handlers_ = std::move(handlers);
  server->tls_ = tls;
  server->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server->listen_fd_ < 0) return absl::InternalError("http: cannot create a socket");
  int one = 1;
  setsockopt(server->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, bind.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("http.bind: not an IPv4 address: ", bind));
  }
  if (::bind(server->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(server->listen_fd_, 64) != 0) {
    return absl::UnavailableError(
        absl::StrCat("http: cannot listen on ", bind, ":", port, ": ", std::strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  server->port_ = ntohs(addr.sin_port);
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

HttpServer::~HttpServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void HttpServer::Serve() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 200) <= 0) continue;
    sockaddr_in peer{};
    socklen_t peer_len = sizeof(peer);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Answer(fd, (ntohl(peer.sin_addr.s_addr) >> 24) == 127);
    close(fd);
  }
}

void HttpServer::Answer(int fd, bool loopback_peer) {
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::unique_ptr<access::TlsConnection> tls;
  if (tls_ != nullptr) {
    std::string reload_error;
    std::shared_ptr<SSL_CTX> ctx = tls_->Current(&reload_error);
    if (!reload_error.empty()) {
      Logger("http")->error("certificate not reloaded, the previous one stays: {}", reload_error);
    }
    absl::StatusOr<std::unique_ptr<access::TlsConnection>> c = access::TlsConnection::Accept(ctx, fd);
    if (!c.ok()) return;  // a plain-text client or a failed handshake: nothing to answer
    tls = *std::move(c);
  }
  auto receive = [&](char* buffer, size_t size) -> long {
    return tls != nullptr ? tls->Read(buffer, size) : recv(fd, buffer, size, 0);
  };
  std::string request;
  char buffer[4096];
  size_t head_end = std::string::npos;
  while ((head_end = request.find("\r\n\r\n")) == std::string::npos &&
         request.size() <= kMaxHttpHeadBytes) {
    const long n = receive(buffer, sizeof(buffer));
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  HttpResponse response{404, "text/plain; charset=utf-8", "not found\n"};
  HttpRequest parsed;
  parsed.secure = tls != nullptr;
  parsed.loopback_peer = loopback_peer;
  uint64_t body_bytes = 0;
  if (head_end == std::string::npos && request.size() > kMaxHttpHeadBytes) {
    response = HttpResponse{431, "text/plain; charset=utf-8",
                            absl::StrCat("the request head exceeds ", kMaxHttpHeadBytes, " bytes\n")};
  } else if (!ParseHttpRequestHead(request, &parsed)) {
    response = HttpResponse{400, "text/plain; charset=utf-8", "bad request\n"};
  } else if (parsed.headers.count("content-length") &&
             (!absl::SimpleAtoi(parsed.headers["content-length"], &body_bytes) ||
              body_bytes > kMaxHttpBodyBytes)) {
    // No endpoint takes a body: a large one is refused without being read.
    response = HttpResponse{413, "text/plain; charset=utf-8",
                            absl::StrCat("a request body may hold at most ", kMaxHttpBodyBytes,
                                         " bytes\n")};
  } else {
    for (const auto& [route, handler] : handlers_) {
      const bool prefix = !route.empty() && route.back() == '/';
      if (parsed.path == route || (prefix && parsed.path.rfind(route, 0) == 0)) {
        response = handler(parsed);
        break;
      }
    }
  }
  std::string extra;
  for (const auto& [name, value] : response.headers)
    absl::StrAppend(&extra, name, ": ", value, "\r\n");
  const std::string head = absl::StrCat("HTTP/1.1 ", response.status, " ", Reason(response.status),
                                        "\r\nContent-Type: ", response.content_type,
                                        "\r\nContent-Length: ", response.body.size(), "\r\n", extra,
                                        "Connection: close\r\n\r\n");
  const std::string all = head + response.body;
  if (tls != nullptr) {
    tls->WriteAll(all);
    return;
  }
  size_t sent = 0;
  while (sent < all.size()) {
    const ssize_t n = send(fd, all.data() + sent, all.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  if (response.status == 431 || response.status == 413) {
    // The client may still be sending what was refused; closing with unread bytes would send a
    // reset that can discard the answer before the client reads it. Drain a bounded amount.
    shutdown(fd, SHUT_WR);
    for (size_t drained = 0; drained < kMaxHttpBodyBytes;) {
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      drained += static_cast<size_t>(n);
    }
  }
}

}  // namespace fristvagt::processor
