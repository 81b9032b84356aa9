#pragma once
// A small HTTP/1.1 server for operations: /healthz, /readyz, /metrics (and, later, queries).
// One background thread accepts and answers one request per connection; handlers must be
// thread-safe (they read atomics and guarded maps). Owned by the command that runs it.

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace fristvagt::processor {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpRequest {
  std::string method;
  std::string path;                            // without the query string, percent-decoded
  std::map<std::string, std::string> query;    // decoded query parameters
  std::map<std::string, std::string> headers;  // names lower-cased
};

using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

class HttpServer {
 public:
  // Binds `bind`:`port` (port 0 picks a free one) and starts serving `handlers`: a key ending
  // in '/' matches every path under it, any other key only itself.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& bind, int port, std::map<std::string, HttpHandler> handlers);
  ~HttpServer();
  int port() const { return port_; }

 private:
  HttpServer() = default;
  void Serve();
  void Answer(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::map<std::string, HttpHandler> handlers_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace fristvagt::processor
