#pragma once
// What every mbedTLS configuration of actormq shares, the listener's
// (net/tls_mbedtls_context.hpp) and the outbound one (net/tls_client_context.hpp):
// the random generator, the common settings, loading certificates, keys, CAs
// and CRLs, and the CRL check.

#include <cstddef>
#include <string>

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

namespace actormq::net {

/// mbedTLS's message for an error code, e.g. "X509 - Certificate verification failed".
std::string tls_error_text(int code);

/// The thread's random generator (CTR-DRBG seeded from the system's entropy),
/// as an mbedTLS f_rng.
int tls_random(void* unused, unsigned char* out, std::size_t length);

/// What every actormq TLS configuration has, server or client: TLS 1.2 as the
/// minimum, tls_random, and the elliptic curves in order of preference.
void tls_conf_common(mbedtls_ssl_config& conf);

/// Loads a certificate chain and its private key (decrypted with
/// `password` if it is encrypted) into (freshly initialised) `cert` and
/// `key`, checking they are a pair; the error names the file, never the
/// password.
[[nodiscard]] std::string tls_load_identity(mbedtls_x509_crt& cert, mbedtls_pk_context& key,
                                            const std::string& certfile, const std::string& keyfile,
                                            const std::string& password = {});
/// Loads the PEM CAs of `cafile` into `ca`; the error names the file.
[[nodiscard]] std::string tls_load_cafile(mbedtls_x509_crt& ca, const std::string& cafile);
/// Adds the CA certificates of every file of the directory `capath` to
/// `ca` (tls_capath_files, net/tls_capath.hpp): a file holding a PEM certificate that does not parse is an error
/// naming it, a file holding none is skipped, and a directory with none at
/// all is an error.
[[nodiscard]] std::string tls_load_capath(mbedtls_x509_crt& ca, const std::string& capath);
/// Loads the PEM CRLs of `crlfile` into `crl`; the error names the file.
[[nodiscard]] std::string tls_load_crlfile(mbedtls_x509_crl& crl, const std::string& crlfile);
/// The CRL of `crls` issued by `cert`'s issuer that lists `cert`, as its
/// serial ("0A:1B"); empty if none does.
[[nodiscard]] std::string tls_revoked_serial(const mbedtls_x509_crt& cert, const mbedtls_x509_crl& crls);
/// `cert`'s serial number as mbedTLS prints it ("0A:1B").
[[nodiscard]] std::string tls_serial_text(const mbedtls_x509_crt& cert);

}  // namespace actormq::net
