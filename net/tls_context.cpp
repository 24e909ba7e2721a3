#include "net/tls_context.hpp"

#ifdef ACTORMQ_TLS_OPENSSL
#include "net/tls_openssl_context.hpp"
#else
#include "net/tls_mbedtls_context.hpp"
#endif

namespace actormq::net {

#ifdef ACTORMQ_TLS_OPENSSL
TlsContext::Made TlsContext::create(const TlsOptions& options) { return OpensslTlsContext::create(options); }
const char* TlsContext::backend() { return "openssl"; }
#else
TlsContext::Made TlsContext::create(const TlsOptions& options) { return MbedtlsTlsContext::create(options); }
const char* TlsContext::backend() { return "mbedtls"; }
#endif

std::string tls_quoted_name(const std::string& name) {
  std::string text = "\"";
  for (std::size_t i = 0; i < name.size() && i < 64; ++i) {
    text += name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
  }
  return text + (name.size() > 64 ? "...\"" : "\"");
}

}  // namespace actormq::net
