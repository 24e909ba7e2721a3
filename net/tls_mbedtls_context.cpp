#include "net/tls_mbedtls_context.hpp"

#include "net/tls_mbedtls.hpp"
#include "net/tls_server_files.hpp"
#include "net/tls_stream.hpp"

namespace actormq::net {

MbedtlsTlsContext::~MbedtlsTlsContext() = default;

MbedtlsTlsContext::Made MbedtlsTlsContext::create(const TlsOptions& options) {
  std::shared_ptr<MbedtlsTlsContext> context(new MbedtlsTlsContext(options));
  if (std::string error = context->reload(); !error.empty()) {
    return {nullptr, std::move(error)};
  }
  return {std::move(context), {}};
}

std::string MbedtlsTlsContext::reload() {
  TlsServerFiles::Loaded loaded = TlsServerFiles::load(options_);
  if (!loaded.files) {
    return loaded.error;
  }
  std::lock_guard lock(mutex_);
  files_ = std::move(loaded.files);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return {};
}

std::shared_ptr<const TlsServerFiles> MbedtlsTlsContext::current() const {
  std::lock_guard lock(mutex_);
  return files_;
}

std::string MbedtlsTlsContext::revoked(const mbedtls_x509_crt& peer) const {
  std::string serial = tls_revoked_serial(peer, current()->crl());
  return serial.empty() ? serial : "client certificate serial " + serial + " revoked";
}

Stream* MbedtlsTlsContext::wrap(Socket* socket) const { return new TlsStream(socket, *this); }

}  // namespace actormq::net
