#pragma once
// A small HTTP/1.1 server for operations (/healthz, /readyz, /metrics) and the query API.
// One background thread accepts and answers one request per connection; handlers must be
// thread-safe (they read atomics and guarded maps). Owned by the command that runs it.

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "access/tls.h"

namespace fristvagt::processor {

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
  std::string path;                            // without the query string, percent-decoded
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // names lower-cased
  bool secure = false;         // came over TLS
  bool loopback_peer = false;  // the client is on this machine (127.0.0.0/8)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

class HttpServer {
 public:
  // Binds `bind`:`port` (port 0 picks a free one) and starts serving `handlers`: a key ending
  // in '/' matches every path under it, any other key only itself.
  // With `tls` (which must outlive the server) every connection is TLS; the certificate is
  // re-read when its files change.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& bind, int port, std::map<std::string, HttpHandler> handlers,
      access::TlsContext* tls = nullptr);
  ~HttpServer();
  int port() const { return port_; }

 private:
  HttpServer() = default;
  void Serve();
  void Answer(int fd, bool loopback_peer);

  int listen_fd_ = -1;
  int port_ = 0;
  std::map<std::string, HttpHandler> handlers_;
  access::TlsContext* tls_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace fristvagt::processor
