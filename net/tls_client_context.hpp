#pragma once
// The client side of TLS (mbedTLS 2.28), for connections this broker opens:
// node links to other cluster nodes and MQTT bridges to remote brokers. It
// verifies the server's certificate against a CA file and the name or
// address dialled, and can present a certificate of its own (mutual TLS).
// Built once per destination config and shared by every scheduler; each
// connection gets a TlsStream from connect().

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include <memory>
#include <string>
#include <vector>

#include "net/socket.hpp"
#include "net/stream.hpp"

namespace actormq::net {

struct TlsClientOptions {
  std::string cafile;    ///< PEM CAs the server's certificate must chain to; required unless insecure
  std::string certfile;  ///< PEM client certificate chain, leaf first; with keyfile, or neither
  std::string keyfile;   ///< PEM private key of certfile's leaf
  std::string keyfile_password;  ///< of an encrypted keyfile; empty: none
  /// PEM CRLs of the CAs of cafile: a server certificate they list is
  /// refused. Empty: none.
  std::string crlfile;
  /// A pre-shared key in hexadecimal, with psk_identity: only the PSK
  /// suites are offered, and the key authenticates both ends (no cafile,
  /// no certificate). Empty: certificates.
  std::string psk;
  std::string psk_identity;
  /// No verification of the server at all (any certificate, any name): only
  /// when the operator asks, and the caller logs that it does.
  bool insecure = false;
};

/// Thread-safe once created: random numbers come from one generator per
/// scheduler thread, and the configuration is only read.
class TlsClientContext {
 public:
  struct Made {
    std::shared_ptr<TlsClientContext> context;  ///< nullptr on failure
    std::string error;                          ///< why, naming the file or key
  };
  /// Loads and checks the files; TLS 1.2 is the lowest version offered.
  [[nodiscard]] static Made create(const TlsClientOptions& options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  /// A client TlsStream over the connected `socket` (ownership taken), its
  /// handshake started by the first read(), as on the server side.
  /// `server_name` is the host dialled, which the server's certificate must
  /// name: a DNS name (sent as SNI, matched by mbedTLS against the dNSName
  /// entries, else the CN) or an IPv4/IPv6 literal (matched against the
  /// iPAddress entries only). Unless insecure, an empty `server_name` fails
  /// the handshake. This context must outlive the stream.
  [[nodiscard]] Stream* connect(Socket* socket, const std::string& server_name) const;

  bool insecure() const { return insecure_; }
  const mbedtls_ssl_config& config() const { return conf_; }

 private:
  TlsClientContext();
  std::string load(const TlsClientOptions& options);
  std::string load_psk(const TlsClientOptions& options);

  mbedtls_ssl_config conf_;
  mbedtls_x509_crt cert_;
  mbedtls_x509_crt ca_;
  mbedtls_x509_crl crl_;
  mbedtls_pk_context key_;
  std::vector<int> suites_;  // zero-terminated, as mbedtls_ssl_conf_ciphersuites keeps a pointer
  bool insecure_ = false;
};

}  // namespace actormq::net
