// The OpenSSL backend's reading of a listener's `ciphers` (mbedTLS's or
// IANA's names, as the mbedTLS backend accepts): OpenSSL's names for TLS 1.2,
// IANA's for TLS 1.3, an unknown name refused by name. Built with
// -DACTORMQ_TLS=openssl only.
#ifdef ACTORMQ_TLS_OPENSSL
#include "net/tls_openssl_ciphers.hpp"

#include <doctest/doctest.h>

namespace actormq::net {

TEST_CASE("openssl ciphers: mbedTLS and IANA names of TLS 1.2 suites become OpenSSL's, in order") {
  OpensslCiphers c = openssl_ciphers("TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  CHECK(c.error.empty());
  CHECK(c.tls12 == "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256");
  CHECK(c.tls13.empty());
}

TEST_CASE("openssl ciphers: TLS 1.3 suites are kept apart, by IANA name, and PSK suites are known") {
  OpensslCiphers c = openssl_ciphers("TLS-AES-128-GCM-SHA256:TLS-PSK-WITH-AES-128-GCM-SHA256::TLS_AES_256_GCM_SHA384");
  CHECK(c.error.empty());
  CHECK(c.tls12 == "PSK-AES128-GCM-SHA256");
  CHECK(c.tls13 == "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
}

TEST_CASE("openssl ciphers: an unknown suite is named in mbedTLS's spelling, and OpenSSL's own names are not IANA's") {
  CHECK(openssl_ciphers("TLS-NO-SUCH-SUITE").error == "unknown cipher suite TLS-NO-SUCH-SUITE");
  CHECK(openssl_ciphers("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256").error ==
        "unknown cipher suite ECDHE-ECDSA-AES128-GCM-SHA256");
}

}  // namespace actormq::net
#endif
