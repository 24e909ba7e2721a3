#include "net/tls_mbedtls_context.hpp"

#include "net/tls_mbedtls.hpp"
#include "net/tls_stream.hpp"

namespace actormq::net {

MbedtlsTlsContext::Made MbedtlsTlsContext::create(const TlsOptions& options) {
  return loaded(std::shared_ptr<MbedtlsTlsContext>(new MbedtlsTlsContext(options)));
}

std::string MbedtlsTlsContext::revoked(const mbedtls_x509_crt& peer) const {
  std::string serial = tls_revoked_serial(peer, current()->crl());
  return serial.empty() ? serial : "client certificate serial " + serial + " revoked";
}

Stream* MbedtlsTlsContext::wrap(Socket* socket) const { return new TlsStream(socket, *this, pool_); }

}  // namespace actormq::net
