#include "access/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"

namespace fristvagt::access {
namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Open(const std::string& cert_file,
                                                             const std::string& key_file) {
  std::unique_ptr<TlsContext> tls(new TlsContext(cert_file, key_file));
  tls->stamp_ = tls->Stamp();
  absl::StatusOr<std::shared_ptr<SSL_CTX>> ctx = tls->Load();
  if (!ctx.ok()) return ctx.status();
  tls->current_ = *std::move(ctx);
  return tls;
}

std::string TlsContext::Stamp() const {
  std::string stamp;
  for (const std::string* path : {&cert_, &key_}) {
    struct stat st{};
    if (stat(path->c_str(), &st) == 0) {
      absl::StrAppend(&stamp, st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "/", st.st_size, ";");
    } else {
      absl::StrAppend(&stamp, "missing;");
    }
  }
  return stamp;
}

absl::StatusOr<std::shared_ptr<SSL_CTX>> TlsContext::Load() const {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("tls: ", OpenSslError()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls: cannot use the certificate ", cert_, ": ", OpenSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls: cannot use the private key ", key_, ": ", OpenSslError()));
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("tls: the private key ", key_,
                                                   " does not match the certificate ", cert_));
  }
  return ctx;
}

std::shared_ptr<SSL_CTX> TlsContext::Current(std::string* reload_error) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string stamp = Stamp();
  if (stamp != stamp_) {
    stamp_ = stamp;
    absl::StatusOr<std::shared_ptr<SSL_CTX>> ctx = Load();
    if (ctx.ok()) {
      current_ = *std::move(ctx);
    } else if (reload_error != nullptr) {
      *reload_error = std::string(ctx.status().message());
    }
  }
  return current_;
}

absl::StatusOr<std::unique_ptr<TlsConnection>> TlsConnection::Accept(std::shared_ptr<SSL_CTX> ctx,
                                                                     int fd) {
  SSL* ssl = SSL_new(ctx.get());
  if (ssl == nullptr) return absl::InternalError(absl::StrCat("tls: ", OpenSslError()));
  std::unique_ptr<TlsConnection> connection(new TlsConnection(std::move(ctx), ssl));
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {
    return absl::UnavailableError(absl::StrCat("tls handshake: ", OpenSslError()));
  }
  return connection;
}

TlsConnection::~TlsConnection() {
  if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  SSL_free(ssl_);
  ERR_clear_error();
}

long TlsConnection::Read(char* buffer, size_t size) {
  size_t n = 0;
  if (SSL_read_ex(ssl_, buffer, size, &n) == 1) return static_cast<long>(n);
  const int error = SSL_get_error(ssl_, 0);
  ERR_clear_error();
  return error == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

bool TlsConnection::WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t n = 0;
    if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) != 1) {
      ERR_clear_error();
      return false;
    }
    bytes.remove_prefix(n);
  }
  return true;
}

}  // namespace fristvagt::access
