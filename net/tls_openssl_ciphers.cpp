#include "net/tls_openssl_ciphers.hpp"

#include <openssl/ssl.h>

#include <map>
#include <string_view>

#include "net/tls_context.hpp"

namespace actormq::net {

namespace {
struct Suite {
  std::string openssl_name;
  bool tls13;
};

// Every suite this OpenSSL knows, by IANA name: read once from an SSL_CTX
// that enables them all.
const std::map<std::string, Suite>& known_suites() {
  static const std::map<std::string, Suite> suites = [] {
    std::map<std::string, Suite> all;
    SSL_CTX* ctx = SSL_CTX_new(TLS_method());
    if (ctx == nullptr) {
      return all;
    }
    SSL_CTX_set_cipher_list(ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
      if (const char* iana = SSL_CIPHER_standard_name(cipher)) {
        all[iana] = Suite{SSL_CIPHER_get_name(cipher), std::string_view(SSL_CIPHER_get_version(cipher)) == "TLSv1.3"};
      }
    }
    SSL_CTX_free(ctx);
    return all;
  }();
  return suites;
}

void append(std::string& list, const std::string& name) {
  list += (list.empty() ? "" : ":") + name;
}
}  // namespace

OpensslCiphers openssl_ciphers(const std::string& list) {
  OpensslCiphers out;
  for (std::string& name : tls_cipher_names(list)) {
    std::string iana = name;
    for (char& ch : iana) {
      ch = ch == '-' ? '_' : ch;  // mbedTLS's spelling to IANA's
    }
    auto found = known_suites().find(iana);
    if (found == known_suites().end()) {
      for (char& ch : name) {
        ch = ch == '_' ? '-' : ch;  // named as the mbedTLS backend names it
      }
      return OpensslCiphers{{}, {}, "unknown cipher suite " + name};
    }
    append(found->second.tls13 ? out.tls13 : out.tls12, found->second.tls13 ? iana : found->second.openssl_name);
  }
  return out;
}

}  // namespace actormq::net
