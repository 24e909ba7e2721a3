#include "net/tls_client_context.hpp"

#include <mbedtls/platform_util.h>

#include "net/tls_mbedtls.hpp"
#include "net/tls_psk.hpp"
#include "net/tls_stream.hpp"

namespace actormq::net {

TlsClientContext::TlsClientContext() {
  mbedtls_ssl_config_init(&conf_);
  mbedtls_x509_crt_init(&cert_);
  mbedtls_x509_crt_init(&ca_);
  mbedtls_x509_crl_init(&crl_);
  mbedtls_pk_init(&key_);
}

TlsClientContext::~TlsClientContext() {
  mbedtls_pk_free(&key_);
  mbedtls_x509_crl_free(&crl_);
  mbedtls_x509_crt_free(&ca_);
  mbedtls_x509_crt_free(&cert_);
  mbedtls_ssl_config_free(&conf_);
}

TlsClientContext::Made TlsClientContext::create(const TlsClientOptions& options) {
  std::shared_ptr<TlsClientContext> context(new TlsClientContext());
  std::string error = context->load(options);
  if (!error.empty()) {
    return {nullptr, error};
  }
  return {std::move(context), {}};
}

std::string TlsClientContext::load(const TlsClientOptions& o) {
  if (!o.psk.empty() || !o.psk_identity.empty()) {
    return load_psk(o);
  }
  if (o.cafile.empty() && !o.insecure) {
    return "cafile: required to verify the server (or insecure, to verify nothing)";
  }
  if (!o.crlfile.empty() && o.cafile.empty()) {
    return "crlfile: needs cafile (the CAs whose revocations it lists)";
  }
  if (o.certfile.empty() != o.keyfile.empty()) {
    return o.certfile.empty() ? "certfile: required with keyfile" : "keyfile: required with certfile";
  }
  int rc = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                       MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    return "TLS configuration: " + tls_error_text(rc);
  }
  tls_conf_common(conf_);
  insecure_ = o.insecure;
  // A CA file given with insecure is still read, so that a typo shows now
  // rather than when verification is turned back on.
  if (!o.cafile.empty()) {
    if (std::string e = tls_load_cafile(ca_, o.cafile); !e.empty()) {
      return e;
    }
    if (!o.crlfile.empty()) {
      if (std::string e = tls_load_crlfile(crl_, o.crlfile); !e.empty()) {
        return e;
      }
    }
    mbedtls_ssl_conf_ca_chain(&conf_, &ca_, o.crlfile.empty() ? nullptr : &crl_);
  }
  mbedtls_ssl_conf_authmode(&conf_, o.insecure ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
  if (!o.certfile.empty()) {
    if (std::string e = tls_load_identity(cert_, key_, o.certfile, o.keyfile, o.keyfile_password); !e.empty()) {
      return e;
    }
    if ((rc = mbedtls_ssl_conf_own_cert(&conf_, &cert_, &key_)) != 0) {
      return "certfile: " + tls_error_text(rc);
    }
  }
  return {};
}

std::string TlsClientContext::load_psk(const TlsClientOptions& o) {
  if (o.psk.empty() || o.psk_identity.empty()) {
    return o.psk.empty() ? "psk: required with psk_identity" : "psk_identity: required with psk";
  }
  // As mosquitto's bridge_psk: the key authenticates the server, so
  // nothing of a certificate goes with it.
  if (!o.cafile.empty() || !o.certfile.empty() || !o.crlfile.empty() || o.insecure) {
    return "psk: not with cafile, certfile, crlfile or insecure (the key authenticates both ends)";
  }
  PskKey key = psk_key_from_hex(o.psk);
  if (!key.error.empty()) {
    return "psk: " + key.error;
  }
  int rc = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                       MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    return "TLS configuration: " + tls_error_text(rc);
  }
  tls_conf_common(conf_);
  rc = mbedtls_ssl_conf_psk(&conf_, key.bytes.data(), key.bytes.size(),
                            reinterpret_cast<const unsigned char*>(o.psk_identity.data()), o.psk_identity.size());
  mbedtls_platform_zeroize(key.bytes.data(), key.bytes.size());
  if (rc != 0) {
    return "psk: " + tls_error_text(rc);
  }
  // Only the suites the key authenticates: a certificate suite would let
  // any server in, as nothing verifies its certificate.
  suites_ = tls_psk_suites(false);
  suites_.push_back(0);
  mbedtls_ssl_conf_ciphersuites(&conf_, suites_.data());
  mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_NONE);  // PSK suites carry no certificate
  return {};
}

Stream* TlsClientContext::connect(Socket* socket, const std::string& server_name) const {
  return new TlsStream(socket, conf_, server_name);
}

}  // namespace actormq::net
