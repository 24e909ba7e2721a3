#include "net/tls_openssl_context.hpp"

#include "net/tls_openssl_stream.hpp"

namespace actormq::net {

OpensslTlsContext::Made OpensslTlsContext::create(const TlsOptions& options) {
  return loaded(std::shared_ptr<OpensslTlsContext>(new OpensslTlsContext(options)));
}

std::string OpensslTlsContext::revoked(STACK_OF(X509) * chain, X509* leaf) const {
  return current()->revoked(chain, leaf);
}

Stream* OpensslTlsContext::wrap(Socket* socket) const { return new OpensslTlsStream(socket, *this); }

}  // namespace actormq::net
