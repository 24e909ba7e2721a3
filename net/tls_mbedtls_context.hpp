#pragma once
// The server side of TLS on mbedTLS 2.28 (net/tls_context.hpp): each load of
// the files is a TlsServerFiles (certificate, key, client CAs, CRLs, cipher
// suites, ALPN, session resumption), each connection a TlsStream.

#include <mbedtls/x509_crt.h>

#include <string>
#include <utility>

#include "net/tls_files_context.hpp"
#include "net/tls_server_files.hpp"

namespace actormq::net {

/// Thread-safe once created: wrap(), reload() and revoked() may be called
/// from any thread. The ticket keys and the session cache are guarded by
/// mbedTLS's own mutexes (MBEDTLS_THREADING_C), and random numbers come from
/// one generator per scheduler thread.
class MbedtlsTlsContext final : public TlsFilesContext<TlsServerFiles> {
 public:
  [[nodiscard]] static Made create(const TlsOptions& options);

  /// Why the CRLs now in force refuse `peer` ("client certificate serial
  /// 0A:1B revoked"); empty if they do not list it.
  [[nodiscard]] std::string revoked(const mbedtls_x509_crt& peer) const;

  /// A TlsStream over `socket`, its handshake not yet started (to run on
  /// the options' crypto_pool, if any).
  [[nodiscard]] Stream* wrap(Socket* socket) const override;

 private:
  explicit MbedtlsTlsContext(TlsOptions options) : TlsFilesContext(options), pool_(options.crypto_pool) {}

  CryptoPool* pool_;
};

}  // namespace actormq::net
