#include "processor/serve/http_connection.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace fristvagt::processor {
namespace {

void SocketAddress(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ip.clear();
  port = 0;
  if ((peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
            : getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len)) != 0) {
    return;
  }
  char host[NI_MAXHOST] = {}, service[NI_MAXSERV] = {};
  if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof(host), service,
                  sizeof(service), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(service);
  }
}

}  // namespace

HttpConnection::HttpConnection(int fd, access::TlsConnection* tls, Deadline deadline)
    : fd_(fd), tls_(tls), deadline_(deadline) {}

HttpConnection::HttpConnection(std::string_view input) : memory_(true), input_(input) {}

bool HttpConnection::is_readable() const {
  if (begin_ < end_) return true;
  if (memory_) return !input_.empty();
  pollfd pfd{fd_, POLLIN, 0};
  return poll(&pfd, 1, 0) > 0;
}

bool HttpConnection::Fill() {
  begin_ = end_ = 0;
  if (memory_) {
    end_ = std::min(sizeof(buffer_), input_.size());
    std::memcpy(buffer_, input_.data(), end_);
    input_.remove_prefix(end_);
    return end_ > 0;
  }
  for (;;) {
    // The time left for the head, as the socket's receive timeout for this one read (for TLS
    // too: SSL_read reads the same socket).
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = dropping_writes_ = true;
      return false;
    }
    timeval tv{static_cast<time_t>(left.count() / 1000000),
               static_cast<suseconds_t>(left.count() % 1000000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    errno = 0;
    const long n = tls_ != nullptr ? tls_->Read(buffer_, sizeof(buffer_))
                                   : recv(fd_, buffer_, sizeof(buffer_), 0);
    if (n > 0) {
      end_ = static_cast<size_t>(n);
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                  std::chrono::steady_clock::now() >= deadline_)) {
      timed_out_ = dropping_writes_ = true;
    }
    return false;
  }
}

ssize_t HttpConnection::read(char* ptr, size_t size) {
  if (head_too_large_ || timed_out_) return -1;
  if (begin_ == end_ && !Fill()) return timed_out_ ? -1 : 0;
  // The server never reads a body (no endpoint takes one), so every byte httplib asks for is
  // part of the head.
  if (delivered_ >= kMaxHttpHeadBytes) {
    head_too_large_ = dropping_writes_ = true;
    return -1;
  }
  const size_t n = std::min({size, end_ - begin_, kMaxHttpHeadBytes - delivered_});
  std::memcpy(ptr, buffer_ + begin_, n);
  begin_ += n;
  delivered_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t HttpConnection::write(const char* ptr, size_t size) {
  if (dropping_writes_) return static_cast<ssize_t>(size);
  const std::string_view bytes(ptr, size);
  // httplib writes the status line and headers in one piece; "100 Continue" is not the answer.
  if (bytes.size() >= 12 && bytes.substr(0, 7) == "HTTP/1." && bytes[8] == ' ' &&
      absl::ascii_isdigit(bytes[9]) && absl::ascii_isdigit(bytes[10]) &&
      absl::ascii_isdigit(bytes[11])) {
    const int status = (bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0');
    if (status != 100) status_ = status;
  }
  if (memory_) {
    output_.append(bytes);
    return static_cast<ssize_t>(size);
  }
  if (tls_ != nullptr) return tls_->WriteAll(bytes) ? static_cast<ssize_t>(size) : -1;
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = send(fd_, ptr + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    sent += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(size);
}

void HttpConnection::get_remote_ip_and_port(std::string& ip, int& port) const {
  if (memory_) {
    ip = "127.0.0.1";
    port = 0;
    return;
  }
  SocketAddress(fd_, true, ip, port);
}

void HttpConnection::get_local_ip_and_port(std::string& ip, int& port) const {
  if (memory_) {
    ip = "127.0.0.1";
    port = 0;
    return;
  }
  SocketAddress(fd_, false, ip, port);
}

void HttpConnection::Refuse(int status, std::string_view reason, std::string_view text) {
  dropping_writes_ = false;
  const std::string answer =
      absl::StrCat("HTTP/1.1 ", status, " ", std::string(reason),
                   "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ", text.size(),
                   "\r\nConnection: close\r\n\r\n", std::string(text));
  write(answer.data(), answer.size());
  dropping_writes_ = true;
}

}  // namespace fristvagt::processor
