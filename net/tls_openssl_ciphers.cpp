#include "net/tls_openssl_ciphers.hpp"

#include <openssl/ssl.h>

#include <map>
#include <string_view>

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
  std::size_t at = 0;
  while (at < list.size()) {
    std::size_t end = list.find_first_of(":,", at);
    if (end == std::string::npos) {
      end = list.size();
    }
    std::string name = list.substr(at, end - at);
    at = end + 1;
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name.empty()) {
      continue;
    }
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
