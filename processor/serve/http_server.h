#pragma once
// The HTTP server for operations (/healthz, /readyz, /metrics) and the query API, on
// cpp-httplib (Debian's libcpp-httplib-dev; why: README.md). Connections are answered by a
// pool of workers, so a slow client does not hold up /healthz; one request per connection.
// Handlers must be thread-safe (they read atomics and guarded maps). Owned by the command that
// runs it.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/tls.h"

namespace httplib {
struct Request;
}

namespace fristvagt::processor {

class HttpConnection;

struct HttpResponse {
  HttpResponse(int status_code = 200, std::string type = "text/plain; charset=utf-8",
               std::string text = "")
      : status(status_code), content_type(std::move(type)), body(std::move(text)) {}

  int status;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers, e.g. Retry-After
};

struct HttpRequest {
  std::string method;
  std::string path;  // without the query string, percent-decoded; '+' stays '+'
  std::map<std::string, std::string> query;    // decoded query parameters ('+' is a space)
  std::map<std::string, std::string> headers;  // names lower-cased
  bool secure = false;         // came over TLS
  bool loopback_peer = false;  // the client is on this machine (127.0.0.0/8, ::1)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

struct HttpServerOptions {
  // The whole request head must arrive within this time of the connection being accepted
  // (then 408, or the connection is closed if nothing came).
  absl::Duration read_timeout = absl::Seconds(5);
  absl::Duration write_timeout = absl::Seconds(5);  // for each write of the answer
  int workers = 8;  // connections answered at the same time; more wait for a free worker
  // Called once per answered request with the route pattern that answered it (a handler key;
  // "other" when none matched, "invalid" when refused before routing), never the raw path.
  std::function<void(std::string_view route, int status)> on_request;
};

class HttpServer {
 public:
  // Binds `bind` (an IPv4 or IPv6 address; "::" also accepts IPv4) on `port` (0 picks a free
  // one) and serves `handlers`: a key ending in '/' matches every path under it, any other
  // key only itself. Only GET and HEAD are answered. With `tls` (which must outlive the server)
  // every connection is TLS; the certificate is re-read when its files change.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& bind, int port, std::map<std::string, HttpHandler> handlers,
      access::TlsContext* tls = nullptr, HttpServerOptions options = {});

  // A server that does not listen, for answering requests given as bytes (AnswerBytes).
  static std::unique_ptr<HttpServer> Unbound(std::map<std::string, HttpHandler> handlers,
                                             HttpServerOptions options = {});
  // Answers one request given as the bytes a client would send, through the same parser and
  // routing as a connection from a loopback peer; returns the bytes of the answer.
  std::string AnswerBytes(std::string_view request);

  ~HttpServer();
  int port() const { return port_; }

 private:
  class Impl;
  friend class Impl;
  HttpServer();
  void Serve(int fd);                         // one accepted connection, on a worker
  void Answer(HttpConnection& connection);  // one request on it
  HttpResponse Route(const httplib::Request& request, std::string* route) const;

  std::unique_ptr<Impl> http_;
  std::map<std::string, HttpHandler> handlers_;
  access::TlsContext* tls_ = nullptr;
  HttpServerOptions options_;
  int port_ = 0;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};

}  // namespace fristvagt::processor
