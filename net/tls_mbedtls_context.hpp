#pragma once
// The server side of TLS on mbedTLS 2.28 (net/tls_context.hpp): each load of
// the files is a TlsServerFiles (certificate, key, client CAs, CRLs, cipher
// suites, ALPN, session resumption), each connection a TlsStream.

#include <mbedtls/x509_crt.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "net/tls_context.hpp"

namespace actormq::net {

class TlsServerFiles;

/// Thread-safe once created: wrap(), reload() and revoked() may be called
/// from any thread. The ticket keys and the session cache are guarded by
/// mbedTLS's own mutexes (MBEDTLS_THREADING_C), and random numbers come from
/// one generator per scheduler thread.
class MbedtlsTlsContext final : public TlsContext {
 public:
  [[nodiscard]] static Made create(const TlsOptions& options);
  ~MbedtlsTlsContext() override;

  [[nodiscard]] std::string reload() override;
  std::uint64_t generation() const override { return generation_.load(std::memory_order_acquire); }
  /// Why the CRLs now in force refuse `peer` ("client certificate serial
  /// 0A:1B revoked"); empty if they do not list it.
  [[nodiscard]] std::string revoked(const mbedtls_x509_crt& peer) const;
  /// The files new handshakes use.
  [[nodiscard]] std::shared_ptr<const TlsServerFiles> current() const;

  /// A TlsStream over `socket`, its handshake not yet started.
  [[nodiscard]] Stream* wrap(Socket* socket) const override;

 private:
  explicit MbedtlsTlsContext(TlsOptions options) : options_(std::move(options)) {}

  const TlsOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TlsServerFiles> files_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace actormq::net
