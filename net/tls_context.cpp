#include "net/tls_context.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>

#include <stdexcept>

#include "net/tls_stream.hpp"

namespace actormq::net {

namespace {
// Sessions resumable for a day, as mbedTLS's own default; the cache keeps the
// most recent ones (session-id resumption, for clients without tickets).
constexpr std::uint32_t ticket_lifetime_s = 86400;
constexpr int cache_entries = 1000;

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
                              const std::string& keyfile) {
  int rc = 0;
  if ((rc = mbedtls_x509_crt_parse_file(&cert, certfile.c_str())) != 0) {
    return file_error("certfile", certfile, rc);
  }
  if ((rc = mbedtls_pk_parse_keyfile(&key, keyfile.c_str(), nullptr)) != 0) {
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

TlsContext::TlsContext() {
  mbedtls_ssl_config_init(&conf_);
  mbedtls_x509_crt_init(&cert_);
  mbedtls_x509_crt_init(&ca_);
  mbedtls_pk_init(&key_);
  mbedtls_ssl_ticket_init(&ticket_);
  mbedtls_ssl_cache_init(&cache_);
}

TlsContext::~TlsContext() {
  mbedtls_ssl_cache_free(&cache_);
  mbedtls_ssl_ticket_free(&ticket_);
  mbedtls_pk_free(&key_);
  mbedtls_x509_crt_free(&ca_);
  mbedtls_x509_crt_free(&cert_);
  mbedtls_ssl_config_free(&conf_);
}

TlsContext::Made TlsContext::create(const TlsOptions& options) {
  std::shared_ptr<TlsContext> context(new TlsContext());
  std::string error = context->load(options);
  if (!error.empty()) {
    return {nullptr, error};
  }
  return {std::move(context), {}};
}

std::string TlsContext::load(const TlsOptions& o) {
  int rc = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                       MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    return "TLS configuration: " + tls_error_text(rc);
  }
  tls_conf_common(conf_);
  if (std::string e = tls_load_identity(cert_, key_, o.certfile, o.keyfile); !e.empty()) {
    return e;
  }
  if ((rc = mbedtls_ssl_conf_own_cert(&conf_, &cert_, &key_)) != 0) {
    return "certfile: " + tls_error_text(rc);
  }
  if (!o.cafile.empty()) {
    if (std::string e = tls_load_cafile(ca_, o.cafile); !e.empty()) {
      return e;
    }
    mbedtls_ssl_conf_ca_chain(&conf_, &ca_, nullptr);
  }
  // As mosquitto: a client certificate is asked for only when required.
  mbedtls_ssl_conf_authmode(&conf_, o.require_certificate ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
  if (std::string e = set_ciphers(o.ciphers); !e.empty()) {
    return e;
  }
  if ((rc = mbedtls_ssl_ticket_setup(&ticket_, tls_random, nullptr, MBEDTLS_CIPHER_AES_256_GCM,
                                     ticket_lifetime_s)) != 0) {
    return "TLS session tickets: " + tls_error_text(rc);
  }
  mbedtls_ssl_conf_session_tickets_cb(&conf_, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, &ticket_);
  mbedtls_ssl_cache_set_max_entries(&cache_, cache_entries);
  mbedtls_ssl_conf_session_cache(&conf_, &cache_, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
  return {};
}

std::string TlsContext::set_ciphers(const std::string& list) {
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
    for (char& ch : name) {
      ch = ch == '_' ? '-' : ch;  // IANA spelling to mbedTLS's
    }
    int id = mbedtls_ssl_get_ciphersuite_id(name.c_str());
    if (id == 0) {
      return "ciphers: unknown cipher suite " + name;
    }
    suites_.push_back(id);
  }
  if (!suites_.empty()) {
    suites_.push_back(0);
    mbedtls_ssl_conf_ciphersuites(&conf_, suites_.data());
  }
  return {};
}

Stream* TlsContext::wrap(Socket* socket) const { return new TlsStream(socket, conf_); }

}  // namespace actormq::net
