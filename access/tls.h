#pragma once
// TLS for the HTTP port (issue 18): the server's certificate chain and private key, PEM files
// named by `[http] tls_cert_file` / `tls_key_file`, re-read when either file changes (a renewed
// certificate is used by the next connection, without a restart). TlsConnection wraps one
// accepted socket. OpenSSL 3 (Debian's libssl); TLS 1.2 or newer only. Thread-safe.

#include <sys/stat.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace fristvagt::access {

class TlsContext {
 public:
  // Loads the pair once; an unreadable file or a key that does not match is a start-up error.
  static absl::StatusOr<std::unique_ptr<TlsContext>> Open(const std::string& cert_file,
                                                          const std::string& key_file);

  // The context for a new connection, after re-reading the files if they changed. A pair that
  // no longer loads keeps the previous context; the problem goes to `*reload_error` (once).
  std::shared_ptr<SSL_CTX> Current(std::string* reload_error);

 private:
  TlsContext(std::string cert, std::string key) : cert_(std::move(cert)), key_(std::move(key)) {}
  absl::StatusOr<std::shared_ptr<SSL_CTX>> Load() const;
  std::string Stamp() const;  // modification times and sizes of both files

  const std::string cert_, key_;
  std::mutex mu_;
  std::shared_ptr<SSL_CTX> current_;
  std::string stamp_;
};

// One server-side TLS connection over an accepted socket (blocking, with the socket's timeouts).
class TlsConnection {
 public:
  // The handshake; fails on a plain-text client, a bad handshake or the socket's timeout.
  static absl::StatusOr<std::unique_ptr<TlsConnection>> Accept(std::shared_ptr<SSL_CTX> ctx,
                                                               int fd);
  ~TlsConnection();  // close_notify, then frees; does not close the socket

  // As recv(2): bytes read, 0 at the end, -1 on an error.
  long Read(char* buffer, size_t size);
  bool WriteAll(std::string_view bytes);

 private:
  TlsConnection(std::shared_ptr<SSL_CTX> ctx, SSL* ssl) : ctx_(std::move(ctx)), ssl_(ssl) {}
  std::shared_ptr<SSL_CTX> ctx_;
  SSL* ssl_;
};

}  // namespace fristvagt::access
