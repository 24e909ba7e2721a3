#include "net/tls_server_files.hpp"

#include <mbedtls/ssl_ciphersuites.h>

#include <algorithm>

#include "net/tls_context.hpp"
#include "net/tls_mbedtls.hpp"
#include "net/tls_stream.hpp"

namespace actormq::net {

namespace {
// Sessions resumable for a day, as mbedTLS's own default; the cache keeps the
// most recent ones (session-id resumption, for clients without tickets).
constexpr std::uint32_t ticket_lifetime_s = 86400;
constexpr int cache_entries = 1000;
}  // namespace

TlsServerFiles::TlsServerFiles() {
  mbedtls_ssl_config_init(&conf_);
  mbedtls_x509_crt_init(&cert_);
  mbedtls_x509_crt_init(&ca_);
  mbedtls_x509_crl_init(&crl_);
  mbedtls_pk_init(&key_);
  mbedtls_ssl_ticket_init(&ticket_);
  mbedtls_ssl_cache_init(&cache_);
}

TlsServerFiles::~TlsServerFiles() {
  mbedtls_ssl_cache_free(&cache_);
  mbedtls_ssl_ticket_free(&ticket_);
  mbedtls_pk_free(&key_);
  mbedtls_x509_crl_free(&crl_);
  mbedtls_x509_crt_free(&ca_);
  mbedtls_x509_crt_free(&cert_);
  mbedtls_ssl_config_free(&conf_);
}

TlsServerFiles::Loaded TlsServerFiles::load(const TlsOptions& options) {
  std::shared_ptr<TlsServerFiles> files(new TlsServerFiles());
  if (std::string error = files->build(options); !error.empty()) {
    return {nullptr, std::move(error)};
  }
  return {std::move(files), {}};
}

std::string TlsServerFiles::build(const TlsOptions& o) {
  int rc = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                       MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    return "TLS configuration: " + tls_error_text(rc);
  }
  tls_conf_common(conf_);
  if (std::string e = load_identity(o); !e.empty()) {
    return e;
  }
  if (std::string e = load_trust(o); !e.empty()) {
    return e;
  }
  if (std::string e = load_psk(o); !e.empty()) {
    return e;
  }
  // As mosquitto: a client certificate is asked for only when required.
  mbedtls_ssl_conf_authmode(&conf_, o.require_certificate ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
  if (std::string e = set_ciphers(o.ciphers); !e.empty()) {
    return e;
  }
  if (std::string e = set_alpn(o.alpn); !e.empty()) {
    return e;
  }
  mbedtls_ssl_conf_sni(&conf_, &TlsStream::on_sni, nullptr);
  // New ticket keys and an empty cache per load: a session resumed skips the
  // certificate checks, so one from before a reload (a CRL that now lists
  // its client) must not be resumed.
  if ((rc = mbedtls_ssl_ticket_setup(&ticket_, tls_random, nullptr, MBEDTLS_CIPHER_AES_256_GCM,
                                     ticket_lifetime_s)) != 0) {
    return "TLS session tickets: " + tls_error_text(rc);
  }
  mbedtls_ssl_conf_session_tickets_cb(&conf_, &on_ticket_write, &on_ticket_parse, this);
  mbedtls_ssl_cache_set_max_entries(&cache_, cache_entries);
  mbedtls_ssl_conf_session_cache(&conf_, this, &on_cache_get, &on_cache_set);
  return {};
}

namespace {
// mbedTLS 2.28 keeps no PSK identity in a session, so a PSK session resumed
// would have none (use_identity_as_username refused it): PSK sessions are
// neither cached nor given a ticket, and a PSK client proves its key in a
// full handshake each time, against the psk_file in force. A PSK handshake
// costs little (no certificate, no signature).
bool resumable(const mbedtls_ssl_session& session) {
  const mbedtls_ssl_ciphersuite_t* suite = mbedtls_ssl_ciphersuite_from_id(session.ciphersuite);
  return suite != nullptr && mbedtls_ssl_ciphersuite_uses_psk(suite) == 0;
}
}  // namespace

int TlsServerFiles::on_cache_get(void* self, mbedtls_ssl_session* session) {
  return mbedtls_ssl_cache_get(&static_cast<TlsServerFiles*>(self)->cache_, session);
}

int TlsServerFiles::on_cache_set(void* self, const mbedtls_ssl_session* session) {
  if (!resumable(*session)) {
    return MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE;  // not cached; the handshake goes on
  }
  return mbedtls_ssl_cache_set(&static_cast<TlsServerFiles*>(self)->cache_, session);
}

int TlsServerFiles::on_ticket_write(void* self, const mbedtls_ssl_session* session, unsigned char* start,
                                    const unsigned char* end, std::size_t* length, std::uint32_t* lifetime) {
  if (!resumable(*session)) {
    return MBEDTLS_ERR_SSL_FEATURE_UNAVAILABLE;  // mbedTLS then sends an empty ticket
  }
  return mbedtls_ssl_ticket_write(&static_cast<TlsServerFiles*>(self)->ticket_, session, start, end, length,
                                  lifetime);
}

int TlsServerFiles::on_ticket_parse(void* self, mbedtls_ssl_session* session, unsigned char* buffer,
                                    std::size_t length) {
  return mbedtls_ssl_ticket_parse(&static_cast<TlsServerFiles*>(self)->ticket_, session, buffer, length);
}

std::string TlsServerFiles::load_identity(const TlsOptions& o) {
  if (o.certfile.empty()) {
    return {};  // a PSK-only listener: mbedTLS then picks no certificate suite
  }
  if (std::string e = tls_load_identity(cert_, key_, o.certfile, o.keyfile, o.keyfile_password); !e.empty()) {
    return e;
  }
  int rc = mbedtls_ssl_conf_own_cert(&conf_, &cert_, &key_);
  return rc == 0 ? std::string() : "certfile: " + tls_error_text(rc);
}

std::string TlsServerFiles::load_psk(const TlsOptions& o) {
  if (o.psk_hint.empty()) {
    return {};
  }
  PskKeys::Parsed parsed = PskKeys::load(o.psk_file);
  if (!parsed.error.empty()) {
    return parsed.error;
  }
  psk_ = std::move(parsed.keys);
  // A PSK callback rather than mbedtls_ssl_conf_psk: one key per identity.
  // With it mbedTLS selects the PSK suites of its list too.
  mbedtls_ssl_conf_psk_cb(&conf_, &TlsStream::on_psk, this);
  if (suites_.empty()) {
    prefer_psk_suites();
  }
  return {};
}

void TlsServerFiles::prefer_psk_suites() {
  // mbedTLS picks the first suite of its own list the client offers, and a
  // PSK client (mosquitto_pub --psk) offers the certificate suites as well:
  // with mbedTLS's order it got ECDHE-ECDSA, never proved its key and had
  // no identity. A client offers PSK suites only if it holds a key, so they
  // go first, then the rest in mbedTLS's order.
  suites_ = tls_psk_suites(true);
  for (const int* id = mbedtls_ssl_list_ciphersuites(); *id != 0; ++id) {
    if (std::find(suites_.begin(), suites_.end(), *id) == suites_.end()) {
      suites_.push_back(*id);
    }
  }
  suites_.push_back(0);
  mbedtls_ssl_conf_ciphersuites(&conf_, suites_.data());
}

std::string TlsServerFiles::load_trust(const TlsOptions& o) {
  if (!o.cafile.empty()) {
    if (std::string e = tls_load_cafile(ca_, o.cafile); !e.empty()) {
      return e;
    }
  }
  if (!o.capath.empty()) {
    if (std::string e = tls_load_capath(ca_, o.capath); !e.empty()) {
      return e;
    }
  }
  if (!o.crlfile.empty()) {
    if (std::string e = tls_load_crlfile(crl_, o.crlfile); !e.empty()) {
      return e;
    }
  }
  if (!o.cafile.empty() || !o.capath.empty()) {
    mbedtls_ssl_conf_ca_chain(&conf_, &ca_, o.crlfile.empty() ? nullptr : &crl_);
  }
  return {};
}

std::string TlsServerFiles::set_ciphers(const std::string& list) {
  for (std::string& name : tls_cipher_names(list)) {
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

std::string TlsServerFiles::set_alpn(const std::vector<std::string>& protocols) {
  if (protocols.empty()) {
    return {};
  }
  alpn_names_ = protocols;
  for (const std::string& name : alpn_names_) {
    alpn_.push_back(name.c_str());
  }
  alpn_.push_back(nullptr);
  int rc = mbedtls_ssl_conf_alpn_protocols(&conf_, alpn_.data());
  return rc == 0 ? std::string() : "ALPN: " + tls_error_text(rc);
}

}  // namespace actormq::net
