#include "net/tls_mbedtls.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pkcs5.h>

#include <algorithm>
#include <stdexcept>

#include "net/tls_capath.hpp"

namespace actormq::net {

namespace {
struct ThreadRandom {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  ThreadRandom() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    static constexpr unsigned char personal[] = "actormq tls";
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, personal, sizeof personal - 1) != 0) {
      throw std::runtime_error("TLS: cannot seed the random generator");
    }
  }
  ~ThreadRandom() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  ThreadRandom(const ThreadRandom&) = delete;
  ThreadRandom& operator=(const ThreadRandom&) = delete;
};

std::string file_error(const char* key, const std::string& path, int code) {
  return std::string(key) + " " + path + ": " + tls_error_text(code);
}
}  // namespace

std::string tls_error_text(int code) {
  char text[160];
  mbedtls_strerror(code, text, sizeof text);
  return text;
}

int tls_random(void*, unsigned char* out, std::size_t length) {
  thread_local ThreadRandom random;
  return mbedtls_ctr_drbg_random(&random.drbg, out, length);
}

void tls_conf_common(mbedtls_ssl_config& conf) {
  // TLS 1.2 is the oldest version offered (mbedTLS 2.28 has no TLS 1.3).
  mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_rng(&conf, tls_random, nullptr);
  // mbedTLS 2.28 prefers the largest curve by default, so ECDHE ran on
  // secp521r1: 3.9-4.6 ms of broker CPU per ECDSA handshake, 2.2-2.4 ms with
  // X25519 first (2.6-2.8 with P-256 first). OpenSSL and mbedTLS 3 order them so.
  static const mbedtls_ecp_group_id curves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_SECP521R1,
                                                MBEDTLS_ECP_DP_NONE};
  mbedtls_ssl_conf_curves(&conf, curves);
}

std::string tls_load_identity(mbedtls_x509_crt& cert, mbedtls_pk_context& key, const std::string& certfile,
                              const std::string& keyfile, const std::string& password) {
  int rc = 0;
  if ((rc = mbedtls_x509_crt_parse_file(&cert, certfile.c_str())) != 0) {
    return file_error("certfile", certfile, rc);
  }
  rc = mbedtls_pk_parse_keyfile(&key, keyfile.c_str(), password.empty() ? nullptr : password.c_str());
  if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
    return "keyfile " + keyfile + ": encrypted, and no keyfile_password (nor ACTORMQ_KEYFILE_PASSWORD) given";
  }
  if (rc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
    return "keyfile " + keyfile + ": wrong keyfile_password";
  }
  if (rc == MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE) {
    // OpenSSL 3 encrypts PKCS#8 keys with AES and PBKDF2-HMAC-SHA256 by
    // default; mbedTLS 2.28's PKCS#5 knows neither (DES and HMAC-SHA1 only).
    // Its PEM decryption (DEK-Info) does AES.
    return "keyfile " + keyfile +
           ": encrypted with a scheme mbedTLS 2.28 cannot read (PKCS#8 with AES, OpenSSL 3's default); write it "
           "as a traditional PEM key: openssl pkey -traditional -aes256 -in key.pem -out key-encrypted.pem";
  }
  if (rc != 0) {
    return file_error("keyfile", keyfile, rc);
  }
  if (mbedtls_pk_check_pair(&cert.pk, &key) != 0) {
    return "keyfile " + keyfile + ": not the private key of certfile " + certfile;
  }
  return {};
}

std::string tls_load_cafile(mbedtls_x509_crt& ca, const std::string& cafile) {
  int rc = mbedtls_x509_crt_parse_file(&ca, cafile.c_str());
  return rc == 0 ? std::string() : file_error("cafile", cafile, rc);
}

std::string tls_load_capath(mbedtls_x509_crt& ca, const std::string& capath) {
  CapathFiles listed = tls_capath_files(capath);
  if (!listed.error.empty()) {
    return listed.error;
  }
  for (const std::string& file : listed.files) {
    if (int rc = mbedtls_x509_crt_parse_file(&ca, file.c_str()); rc != 0) {
      return file_error("capath", file, rc);
    }
  }
  return {};
}

std::string tls_load_crlfile(mbedtls_x509_crl& crl, const std::string& crlfile) {
  int rc = mbedtls_x509_crl_parse_file(&crl, crlfile.c_str());
  return rc == 0 ? std::string() : file_error("crlfile", crlfile, rc);
}

std::string tls_serial_text(const mbedtls_x509_crt& cert) {
  char text[MBEDTLS_X509_RFC5280_MAX_SERIAL_LEN * 3 + 1] = "";
  mbedtls_x509_serial_gets(text, sizeof text, &cert.serial);
  return text;
}

std::string tls_revoked_serial(const mbedtls_x509_crt& cert, const mbedtls_x509_crl& crls) {
  // mbedtls_x509_crt_is_revoked compares serials only: the CRL must be the
  // one of the certificate's issuer (RFC 5280 6.3.3 (b)).
  for (const mbedtls_x509_crl* crl = &crls; crl != nullptr && crl->version != 0; crl = crl->next) {
    if (crl->issuer_raw.len == cert.issuer_raw.len &&
        std::equal(crl->issuer_raw.p, crl->issuer_raw.p + crl->issuer_raw.len, cert.issuer_raw.p) &&
        mbedtls_x509_crt_is_revoked(&cert, crl) != 0) {
      return tls_serial_text(cert);
    }
  }
  return {};
}

}  // namespace actormq::net
