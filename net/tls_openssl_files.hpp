#pragma once
// One load of a TLS listener's files on OpenSSL 3 (net/tls_openssl_context.hpp):
// the SSL_CTX built on them (certificate and key, client CAs with their CRLs,
// cipher suites, ALPN, session tickets and cache, pre-shared keys). Never
// changed once loaded: a reload builds another, and each connection keeps
// the one its handshake began with, so certificates can be rotated under
// established connections.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "net/tls_psk.hpp"

namespace actormq::net {

struct TlsOptions;

/// Thread-safe: read-only once loaded (OpenSSL locks the SSL_CTX's session
/// cache and ticket keys itself).
class OpensslServerFiles {
 public:
  struct Loaded {
    std::shared_ptr<const OpensslServerFiles> files;  ///< nullptr on failure
    std::string error;                                ///< why, naming the key and the file
  };
  [[nodiscard]] static Loaded load(const TlsOptions& options);
  ~OpensslServerFiles();
  OpensslServerFiles(const OpensslServerFiles&) = delete;
  OpensslServerFiles& operator=(const OpensslServerFiles&) = delete;

  SSL_CTX* context() const { return ctx_; }
  /// The pre-shared keys of psk_file (none without psk_hint).
  const PskKeys& psk() const { return psk_; }
  /// Why the CRLs of this load refuse a certificate of `chain` (leaf first):
  /// "client certificate serial 0A:1B revoked"; empty if they list none.
  [[nodiscard]] std::string revoked(STACK_OF(X509) * chain, X509* leaf) const;

 private:
  OpensslServerFiles() = default;
  std::string build(const TlsOptions& options);
  std::string load_identity(const TlsOptions& options);
  std::string load_trust(const TlsOptions& options);
  std::string load_crls(X509_STORE* store, const std::string& crlfile);
  std::string load_psk(const TlsOptions& options);
  std::string set_ciphers(const TlsOptions& options);
  std::string set_alpn(const std::vector<std::string>& protocols);
  /// OpenSSL's ALPN callback: the first of the listener's protocols the
  /// client offers; a client that offers none of them is refused.
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
                     unsigned int in_length, void* self);

  SSL_CTX* ctx_ = nullptr;
  std::vector<X509_CRL*> crls_;  // owned; also in the SSL_CTX's store
  PskKeys psk_;
  std::vector<std::string> alpn_;
};

/// The text of OpenSSL's packed error `code` ("wrong version number").
[[nodiscard]] std::string openssl_error_text(unsigned long code);
/// `cert`'s serial number as mbedTLS prints it ("0A:1B"), so logs read the
/// same with either backend.
[[nodiscard]] std::string openssl_serial_text(const X509* cert);

}  // namespace actormq::net
