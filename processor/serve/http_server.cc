#include "processor/serve/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "processor/base/logging.h"
#include "processor/serve/http_connection.h"

namespace fristvagt::processor {
namespace {

// The connection a worker is answering. httplib hands the router only the request and the
// response, and a worker answers one connection at a time, so this is how the router tells
// the connection which route answered (for the metric).
thread_local HttpConnection* current_connection = nullptr;

bool IsLoopback(const std::string& ip) {
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return false;
  return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
}

// httplib adds these to the request's headers itself; they are not the client's.
bool AddedByHttplib(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

}  // namespace

// httplib's server with its accept loop, thread pool and parser; each accepted socket comes
// to HttpServer::Serve, which wraps it in an HttpConnection (the bounds, TLS) and lets httplib
// parse and answer one request on it.
class HttpServer::Impl final : public httplib::Server {
 public:
  explicit Impl(HttpServer* owner) : owner_(owner) {}

  void ProcessOne(HttpConnection& connection) {
    bool closed = true;
    process_request(connection, /*close_connection=*/true, closed, nullptr);
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    owner_->Serve(sock);
    return true;
  }

  HttpServer* owner_;
};

HttpServer::HttpServer() : http_(std::make_unique<Impl>(this)) {}

std::unique_ptr<HttpServer> HttpServer::Unbound(std::map<std::string, HttpHandler> handlers,
                                                HttpServerOptions options) {
  std::unique_ptr<HttpServer> server(new HttpServer);
  server->handlers_ = std::move(handlers);
  server->options_ = std::move(options);
  server->http_->set_pre_routing_handler(
      [s = server.get()](const httplib::Request& request, httplib::Response& response) {
        std::string route;
        HttpResponse answer = s->Route(request, &route);
        if (current_connection != nullptr) current_connection->route = route;
        response.status = answer.status;
        for (const auto& [name, value] : answer.headers) response.set_header(name, value);
        response.set_content(answer.body, answer.content_type.c_str());
        return httplib::Server::HandlerResponse::Handled;
      });
  return server;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& bind, int port, std::map<std::string, HttpHandler> handlers,
    access::TlsContext* tls, HttpServerOptions options) {
  in_addr v4{};
  in6_addr v6{};
  const bool ipv6 = inet_pton(AF_INET6, bind.c_str(), &v6) == 1;
  if (!ipv6 && inet_pton(AF_INET, bind.c_str(), &v4) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.bind: not an IPv4 or IPv6 address: ", bind));
  }
  const int workers = std::max(1, options.workers);
  std::unique_ptr<HttpServer> server = Unbound(std::move(handlers), std::move(options));
  server->tls_ = tls;
  Impl& http = *server->http_;
  http.set_address_family(ipv6 ? AF_INET6 : AF_INET);
  // Not httplib's default, which adds SO_REUSEPORT: a second instance on the same port must
  // fail to start, not quietly take half of the connections.
  http.set_socket_options([](socket_t sock) {
    int one = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  });
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  errno = 0;
  if (port == 0) {
    server->port_ = http.bind_to_any_port(bind);
  } else if (http.bind_to_port(bind, port)) {
    server->port_ = port;
  }
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("http: cannot listen on ", bind, " port ", port,
                                               ": ", errno != 0 ? std::strerror(errno) : "bind failed"));
  }
  server->thread_ = std::thread([s = server.get()] {
    s->http_->listen_after_bind();
    s->listen_returned_ = true;
  });
  return server;
}

HttpServer::~HttpServer() {
  if (thread_.joinable()) {
    // stop() does nothing before the accept loop has started; wait for it (it starts at once).
    while (!http_->is_running() && !listen_returned_) std::this_thread::yield();
    http_->stop();  // closes the listening socket; the pool finishes the connections it has
    thread_.join();
  }
}

void HttpServer::Serve(int fd) {
  const timeval write_timeout = absl::ToTimeval(options_.write_timeout);
  const timeval read_timeout = absl::ToTimeval(options_.read_timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &write_timeout, sizeof(write_timeout));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof(read_timeout));
  const auto deadline = std::chrono::steady_clock::now() +
                        absl::ToChronoMicroseconds(options_.read_timeout);
  std::unique_ptr<access::TlsConnection> tls;
  if (tls_ != nullptr) {
    std::string reload_error;
    std::shared_ptr<SSL_CTX> ctx = tls_->Current(&reload_error);
    if (!reload_error.empty()) {
      Logger("http")->error("certificate not reloaded, the previous one stays: {}", reload_error);
    }
    absl::StatusOr<std::unique_ptr<access::TlsConnection>> c = access::TlsConnection::Accept(ctx, fd);
    if (c.ok()) tls = *std::move(c);  // else a plain-text client or a failed handshake
  }
  if (tls_ == nullptr || tls != nullptr) {
    HttpConnection connection(fd, tls.get(), deadline);
    Answer(connection);
    if (tls == nullptr && (connection.status() == 413 || connection.status() == 431 ||
                           connection.status() == 405)) {
      // The client may still be sending what was refused; closing with unread bytes would send
      // a reset that can discard the answer before the client reads it. Drain a bounded amount.
      shutdown(fd, SHUT_WR);
      char buffer[4096];
      for (size_t drained = 0; drained < kMaxHttpBodyBytes;) {
        const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        drained += static_cast<size_t>(n);
      }
    }
  }
  tls.reset();  // close_notify before the socket goes
  close(fd);
}

std::string HttpServer::AnswerBytes(std::string_view request) {
  HttpConnection connection(request);
  Answer(connection);
  return connection.output();
}

void HttpServer::Answer(HttpConnection& connection) {
  current_connection = &connection;
  http_->ProcessOne(connection);
  current_connection = nullptr;
  if (connection.head_too_large()) {
    connection.route = "invalid";
    connection.Refuse(431, "Request Header Fields Too Large",
                      absl::StrCat("the request head exceeds ", kMaxHttpHeadBytes, " bytes\n"));
  } else if (connection.timed_out() && connection.bytes_read() > 0) {
    connection.route = "invalid";
    connection.Refuse(408, "Request Timeout",
                      absl::StrCat("the request head did not arrive within ",
                                   absl::FormatDuration(options_.read_timeout), "\n"));
  }
  if (connection.status() != 0 && options_.on_request) {
    options_.on_request(connection.route, connection.status());
  }
}

HttpResponse HttpServer::Route(const httplib::Request& request, std::string* route) const {
  *route = "invalid";
  uint64_t body_bytes = 0;
  if (request.has_header("Content-Length") &&
      (!absl::SimpleAtoi(request.get_header_value("Content-Length"), &body_bytes) ||
       body_bytes > kMaxHttpBodyBytes)) {
    // No endpoint takes a body: a large one is refused without being read.
    return HttpResponse{413, "text/plain; charset=utf-8",
                        absl::StrCat("a request body may hold at most ", kMaxHttpBodyBytes,
                                     " bytes\n")};
  }
  HttpRequest parsed;
  parsed.method = request.method;
  parsed.path = request.path;
  for (const auto& [name, value] : request.params) parsed.query[name] = value;
  for (const auto& [name, value] : request.headers) {
    if (!AddedByHttplib(name)) parsed.headers[absl::AsciiStrToLower(name)] = value;
  }
  parsed.secure = tls_ != nullptr;
  parsed.loopback_peer = IsLoopback(request.remote_addr);
  *route = "other";
  const HttpHandler* handler = nullptr;
  for (const auto& [key, h] : handlers_) {
    const bool prefix = !key.empty() && key.back() == '/';
    if (parsed.path == key || (prefix && parsed.path.rfind(key, 0) == 0)) {
      *route = key;
      handler = &h;
      break;
    }
  }
  if (handler == nullptr) return HttpResponse{404, "text/plain; charset=utf-8", "not found\n"};
  if (parsed.method != "GET" && parsed.method != "HEAD") {
    HttpResponse response{405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
    response.headers["Allow"] = "GET, HEAD";
    return response;
  }
  return (*handler)(parsed);
}

}  // namespace fristvagt::processor
