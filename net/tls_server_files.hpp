#pragma once
// One load of a TLS listener's files (net/tls_mbedtls_context.hpp) and the mbedTLS
// server configuration built on them. Never changed once loaded: a reload
// builds another, and each connection keeps the one its handshake began
// with, so certificates can be rotated under established connections.

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include <memory>
#include <string>
#include <vector>

#include "net/tls_psk.hpp"

namespace actormq::net {

struct TlsOptions;

/// Thread-safe: read-only once loaded (the ticket keys and the session
/// cache have mbedTLS's own mutexes).
class TlsServerFiles {
 public:
  struct Loaded {
    std::shared_ptr<const TlsServerFiles> files;  ///< nullptr on failure
    std::string error;                            ///< why, naming the key and the file
  };
  [[nodiscard]] static Loaded load(const TlsOptions& options);
  ~TlsServerFiles();
  TlsServerFiles(const TlsServerFiles&) = delete;
  TlsServerFiles& operator=(const TlsServerFiles&) = delete;

  const mbedtls_ssl_config& config() const { return conf_; }
  /// The CRLs loaded (an empty chain without crlfile).
  const mbedtls_x509_crl& crl() const { return crl_; }
  /// The pre-shared keys of psk_file (none without psk_hint).
  const PskKeys& psk() const { return psk_; }

 private:
  TlsServerFiles();
  std::string build(const TlsOptions& options);
  std::string load_identity(const TlsOptions& options);
  std::string load_trust(const TlsOptions& options);
  std::string load_psk(const TlsOptions& options);
  void prefer_psk_suites();
  // The session cache's and the tickets' callbacks (`self` is this), which
  // store no PSK session.
  static int on_cache_get(void* self, mbedtls_ssl_session* session);
  static int on_cache_set(void* self, const mbedtls_ssl_session* session);
  static int on_ticket_write(void* self, const mbedtls_ssl_session* session, unsigned char* start,
                             const unsigned char* end, std::size_t* length, std::uint32_t* lifetime);
  static int on_ticket_parse(void* self, mbedtls_ssl_session* session, unsigned char* buffer, std::size_t length);
  std::string set_ciphers(const std::string& list);
  std::string set_alpn(const std::vector<std::string>& protocols);

  mbedtls_ssl_config conf_;
  mbedtls_x509_crt cert_;
  mbedtls_x509_crt ca_;
  mbedtls_x509_crl crl_;
  mbedtls_pk_context key_;
  mbedtls_ssl_ticket_context ticket_;
  mbedtls_ssl_cache_context cache_;
  PskKeys psk_;
  std::vector<int> suites_;  // zero-terminated, as mbedtls_ssl_conf_ciphersuites keeps a pointer
  // mbedtls_ssl_conf_alpn_protocols keeps the null-terminated array of pointers.
  std::vector<std::string> alpn_names_;
  std::vector<const char*> alpn_;
};

}  // namespace actormq::net
