#pragma once
// The server side of TLS for one listener (mbedTLS 2.28): certificate, key,
// client CAs, cipher suites, TLS 1.2 as the minimum, and session resumption
// by tickets (RFC 5077) and by session id (a shared cache). Built once per
// listener config and shared by every scheduler; each connection gets a
// TlsStream from wrap().

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include <memory>
#include <string>
#include <vector>

#include "net/transport.hpp"

namespace actormq::net {

struct TlsOptions {
  std::string certfile;  ///< PEM certificate chain, leaf first
  std::string keyfile;   ///< PEM private key of the leaf
  std::string cafile;    ///< PEM CAs client certificates must chain to; empty: none
  bool require_certificate = false;  ///< refuse clients without a valid certificate
  /// mbedTLS (TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256) or IANA
  /// (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) names, separated by ':' or
  /// ','; empty: mbedTLS's defaults.
  std::string ciphers;
};

/// Thread-safe once created: the ticket keys and the session cache are
/// guarded by mbedTLS's own mutexes (MBEDTLS_THREADING_C), and random numbers
/// come from one generator per scheduler thread.
class TlsContext final : public Transport {
 public:
  struct Made {
    std::shared_ptr<TlsContext> context;  ///< nullptr on failure
    std::string error;                    ///< why, naming the file or key
  };
  /// Loads and checks the files; TLS 1.2 is the lowest version accepted.
  [[nodiscard]] static Made create(const TlsOptions& options);
  ~TlsContext() override;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// A TlsStream over `socket`, its handshake not yet started.
  [[nodiscard]] Stream* wrap(Socket* socket) const override;
  const mbedtls_ssl_config& config() const { return conf_; }

 private:
  TlsContext();
  std::string load(const TlsOptions& options);
  std::string set_ciphers(const std::string& list);

  mbedtls_ssl_config conf_;
  mbedtls_x509_crt cert_;
  mbedtls_x509_crt ca_;
  mbedtls_pk_context key_;
  mbedtls_ssl_ticket_context ticket_;
  mbedtls_ssl_cache_context cache_;
  std::vector<int> suites_;  // zero-terminated, as mbedtls_ssl_conf_ciphersuites keeps a pointer
};

/// mbedTLS's message for an error code, e.g. "X509 - Certificate verification failed".
std::string tls_error_text(int code);

/// The thread's random generator (CTR-DRBG seeded from the system's entropy),
/// as an mbedTLS f_rng.
int tls_random(void* unused, unsigned char* out, std::size_t length);

/// What every actormq TLS configuration has, server or client: TLS 1.2 as the
/// minimum, tls_random, and the elliptic curves in order of preference.
void tls_conf_common(mbedtls_ssl_config& conf);

/// Loads a certificate chain and its private key into (freshly initialised)
/// `cert` and `key`, checking they are a pair; the error names the file.
[[nodiscard]] std::string tls_load_identity(mbedtls_x509_crt& cert, mbedtls_pk_context& key,
                                            const std::string& certfile, const std::string& keyfile);
/// Loads the PEM CAs of `cafile` into `ca`; the error names the file.
[[nodiscard]] std::string tls_load_cafile(mbedtls_x509_crt& ca, const std::string& cafile);

}  // namespace actormq::net
