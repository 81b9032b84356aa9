#include "processor/serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"

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
    case 404:
      return "Not Found";
    case 421:
      return "Misdirected Request";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string PercentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(in[i + 1]) && std::isxdigit(in[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i] == '+' ? ' ' : in[i]);
    }
  }
  return out;
}

// Parses the request head; returns false on anything that is not "METHOD TARGET HTTP/x".
bool ParseRequest(const std::string& head, HttpRequest* request) {
  const size_t line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const size_t a = line.find(' ');
  const size_t b = line.find(' ', a + 1);
  if (a == std::string::npos || b == std::string::npos) return false;
  request->method = line.substr(0, a);
  const std::string target = line.substr(a + 1, b - a - 1);
  const size_t q = target.find('?');
  request->path = PercentDecode(target.substr(0, q));
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const size_t eq = pair.find('=');
      request->query[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  size_t pos = line_end;
  while (pos != std::string::npos && pos + 2 < head.size()) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string header = head.substr(pos + 2, next - pos - 2);
    const size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::string name = header.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t value_start = header.find_first_not_of(' ', colon + 1);
      request->headers[name] = value_start == std::string::npos ? "" : header.substr(value_start);
    }
    pos = next;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& bind, int port, std::map<std::string, HttpHandler> handlers) {
  std::unique_ptr<HttpServer> server(new HttpServer);
  server->handlers_ = std::move(handlers);
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
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Answer(fd);
    close(fd);
  }
}

void HttpServer::Answer(int fd) {
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    request.append(buffer, static_cast<size_t>(n));
  }
  HttpResponse response{404, "text/plain; charset=utf-8", "not found\n"};
  HttpRequest parsed;
  if (ParseRequest(request, &parsed)) {
    for (const auto& [route, handler] : handlers_) {
      const bool prefix = !route.empty() && route.back() == '/';
      if (parsed.path == route || (prefix && parsed.path.rfind(route, 0) == 0)) {
        response = handler(parsed);
        break;
      }
    }
  } else {
    response = HttpResponse{400, "text/plain; charset=utf-8", "bad request\n"};
  }
  std::string extra;
  for (const auto& [name, value] : response.headers)
    absl::StrAppend(&extra, name, ": ", value, "\r\n");
  const std::string head = absl::StrCat("HTTP/1.1 ", response.status, " ", Reason(response.status),
                                        "\r\nContent-Type: ", response.content_type,
                                        "\r\nContent-Length: ", response.body.size(), "\r\n", extra,
                                        "Connection: close\r\n\r\n");
  const std::string all = head + response.body;
  size_t sent = 0;
  while (sent < all.size()) {
    const ssize_t n = send(fd, all.data() + sent, all.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace fristvagt::processor
