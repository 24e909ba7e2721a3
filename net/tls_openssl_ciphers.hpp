#pragma once
// The cipher suites a listener's `ciphers` names (mbedTLS's spelling,
// TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256, or IANA's, TLS_ECDHE_..., as
// the mbedTLS backend accepts) as OpenSSL takes them: its own names for
// TLS 1.2 (SSL_CTX_set_cipher_list), IANA's for TLS 1.3
// (SSL_CTX_set_ciphersuites).

#include <string>

namespace actormq::net {

struct OpensslCiphers {
  std::string tls12;  ///< "ECDHE-ECDSA-AES128-GCM-SHA256:..."; empty: none named
  std::string tls13;  ///< "TLS_AES_128_GCM_SHA256:..."; empty: none named
  std::string error;  ///< "unknown cipher suite TLS-NO-SUCH-SUITE"; empty on success
};

/// `list`: names separated by ':' or ',', spaces around them ignored
/// (tls_cipher_names).
[[nodiscard]] OpensslCiphers openssl_ciphers(const std::string& list);

}  // namespace actormq::net
