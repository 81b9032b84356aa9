#pragma once
// One HTTP connection as cpp-httplib reads and writes it (an httplib::Stream): over an accepted
// socket, over TLS (access/tls.h), or over bytes in memory (tests and
// tests/fuzz/http_request_fuzz.cc, which drive the same parser and routing without a socket).
//
// It enforces what httplib 0.11 does not: the whole request head must arrive before a
// deadline (httplib's read timeout is per read, so a client sending a byte now and then would
// hold a worker for ever) and stay under kMaxHttpHeadBytes (httplib bounds one header line,
// not how many there are). When either is broken, reads fail, httplib's own answer is dropped
// and the server sends 431 or 408 itself (Refuse). It also notes the status line httplib
// writes, for fristvagt_http_requests_total.

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "access/tls.h"

namespace fristvagt::processor {

inline constexpr size_t kMaxHttpHeadBytes = 64 * 1024;
inline constexpr size_t kMaxHttpBodyBytes = 1024 * 1024;

class HttpConnection final : public httplib::Stream {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // An accepted socket, read through `tls` when not null; the head must be in by `deadline`.
  HttpConnection(int fd, access::TlsConnection* tls, Deadline deadline);
  // Bytes in memory, from a loopback peer; what the server writes is in output().
  explicit HttpConnection(std::string_view input);

  bool is_readable() const override;
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  // Sends an answer of our own (431, 408) and drops whatever httplib writes after it.
  void Refuse(int status, std::string_view reason, std::string_view text);

  bool head_too_large() const { return head_too_large_; }
  bool timed_out() const { return timed_out_; }
  size_t bytes_read() const { return delivered_; }
  int status() const { return status_; }  // of the last status line written; 0 before any
  const std::string& output() const { return output_; }

  // The route pattern that answered (set by the server's router): a metric label, never the
  // raw path, which may hold a person key.
  std::string route = "invalid";

 private:
  bool Fill();  // one read from the socket, TLS or memory into buffer_; false at the end

  int fd_ = -1;
  access::TlsConnection* tls_ = nullptr;
  Deadline deadline_{};
  bool memory_ = false;
  std::string_view input_;
  std::string output_;
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0;
  size_t delivered_ = 0;
  bool head_too_large_ = false, timed_out_ = false, dropping_writes_ = false;
  int status_ = 0;
};

}  // namespace fristvagt::processor
