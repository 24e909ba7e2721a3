#pragma once
// The server side of TLS on OpenSSL 3 (net/tls_context.hpp), built with
// -DACTORMQ_TLS=openssl: each load of the files is an OpensslServerFiles
// (an SSL_CTX), each connection an OpensslTlsStream. TLS 1.2 and 1.3.

#include <openssl/ssl.h>

#include <string>
#include <utility>

#include "net/tls_files_context.hpp"
#include "net/tls_openssl_files.hpp"

namespace actormq::net {

/// Thread-safe once created: wrap(), reload() and revoked() may be called
/// from any thread (OpenSSL locks each SSL_CTX's shared state itself).
class OpensslTlsContext final : public TlsFilesContext<OpensslServerFiles> {
 public:
  [[nodiscard]] static Made create(const TlsOptions& options);

  /// Why the CRLs now in force refuse the client of `leaf` and its verified
  /// `chain` ("client certificate serial 0A:1B revoked"); empty if they do
  /// not list it.
  [[nodiscard]] std::string revoked(STACK_OF(X509) * chain, X509* leaf) const;

  /// An OpensslTlsStream over `socket`, its handshake not yet started.
  [[nodiscard]] Stream* wrap(Socket* socket) const override;

 private:
  explicit OpensslTlsContext(TlsOptions options) : TlsFilesContext(std::move(options)) {}
};

}  // namespace actormq::net
