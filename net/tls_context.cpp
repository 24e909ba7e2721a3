#include "net/tls_context.hpp"

#include <algorithm>

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

std::vector<std::string> tls_cipher_names(const std::string& list) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while (at < list.size()) {
    std::size_t end = std::min(list.find_first_of(":,", at), list.size());
    std::string name = list.substr(at, end - at);
    at = end + 1;
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) {
      names.push_back(std::move(name));
    }
  }
  return names;
}

std::string tls_quoted_name(const std::string& name) {
  std::string text = "\"";
  for (std::size_t i = 0; i < name.size() && i < 64; ++i) {
    text += name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
  }
  return text + (name.size() > 64 ? "...\"" : "\"");
}

}  // namespace actormq::net
