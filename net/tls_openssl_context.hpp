#pragma once
// The server side of TLS on OpenSSL 3 (net/tls_context.hpp), built with
// -DACTORMQ_TLS=openssl: each load of the files is an OpensslServerFiles
// (an SSL_CTX), each connection an OpensslTlsStream. TLS 1.2 and 1.3.

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "net/tls_context.hpp"

namespace actormq::net {

class OpensslServerFiles;

/// Thread-safe once created: wrap(), reload() and revoked() may be called
/// from any thread (OpenSSL locks each SSL_CTX's shared state itself).
class OpensslTlsContext final : public TlsContext {
 public:
  [[nodiscard]] static Made create(const TlsOptions& options);
  ~OpensslTlsContext() override;

  [[nodiscard]] std::string reload() override;
  std::uint64_t generation() const override { return generation_.load(std::memory_order_acquire); }
  /// Why the CRLs now in force refuse the client of `leaf` and its verified
  /// `chain` ("client certificate serial 0A:1B revoked"); empty if they do
  /// not list it.
  [[nodiscard]] std::string revoked(STACK_OF(X509) * chain, X509* leaf) const;
  /// The files new handshakes use.
  [[nodiscard]] std::shared_ptr<const OpensslServerFiles> current() const;

  /// An OpensslTlsStream over `socket`, its handshake not yet started.
  [[nodiscard]] Stream* wrap(Socket* socket) const override;

 private:
  explicit OpensslTlsContext(TlsOptions options) : options_(std::move(options)) {}

  const TlsOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const OpensslServerFiles> files_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace actormq::net
