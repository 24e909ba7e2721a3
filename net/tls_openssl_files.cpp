#include "net/tls_openssl_files.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "net/tls_capath.hpp"
#include "net/tls_context.hpp"
#include "net/tls_openssl_ciphers.hpp"
#include "net/tls_openssl_stream.hpp"

namespace actormq::net {

namespace {
// Sessions resumable for a day and the most recent 1000 in the cache, as
// the mbedTLS backend does.
constexpr long session_lifetime_s = 86400;
constexpr long cache_entries = 1000;
// Sessions of one listener are resumed only by it (and a verified client's
// only with the files that verified it: the SSL_CTX is per load).
constexpr unsigned char session_id_context[] = "actormq";

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

// The reason of the error OpenSSL queued last, then an empty queue: errors
// are per thread, and the next operation must not read this one's.
std::string take_error() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  return code == 0 ? std::string("no details") : openssl_error_text(code);
}

std::string file_error(const char* key, const std::string& path, const std::string& why) {
  return std::string(key) + " " + path + ": " + why;
}

Bio open_file(const std::string& path) { return Bio(BIO_new_file(path.c_str(), "r")); }

// The certificates of a PEM file; an error names the file. A file with none
// is an error too: mbedTLS refuses it the same way.
struct PemCertificates {
  std::vector<X509*> certs;  // owned by the caller
  std::string error;
};
PemCertificates read_certificates(const std::string& path) {
  PemCertificates read;
  ERR_clear_error();
  Bio bio = open_file(path);
  if (!bio) {
    read.error = std::strerror(errno);
    ERR_clear_error();
    return read;
  }
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    read.certs.push_back(cert);
  }
  // The loop ends at the end of the file (PEM_R_NO_START_LINE) or at a
  // certificate that does not parse.
  unsigned long last = ERR_peek_last_error();
  bool at_end = last == 0 || ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (read.certs.empty() || !at_end) {
    read.error = read.certs.empty() && at_end ? "no PEM certificate in it" : openssl_error_text(last);
    for (X509* cert : read.certs) {
      X509_free(cert);
    }
    read.certs.clear();
  }
  ERR_clear_error();
  return read;
}

// Adds the certificates of `path` to `store`; the error names the file.
std::string add_cas(X509_STORE* store, const char* key, const std::string& path) {
  PemCertificates read = read_certificates(path);
  if (!read.error.empty()) {
    return file_error(key, path, read.error);
  }
  for (X509* cert : read.certs) {
    X509_STORE_add_cert(store, cert);  // takes a reference; a duplicate is no error
    X509_free(cert);
  }
  ERR_clear_error();
  return {};
}

// The certificates of every file of the directory that holds one
// (net/tls_capath.hpp); a directory with none is an error.
std::string add_capath(X509_STORE* store, const std::string& capath) {
  CapathFiles listed = tls_capath_files(capath);
  if (!listed.error.empty()) {
    return listed.error;
  }
  for (const std::string& file : listed.files) {
    if (std::string e = add_cas(store, "capath", file); !e.empty()) {
      return e;
    }
  }
  return {};
}

struct Password {
  const std::string* text;
  bool asked = false;
};

int on_password(char* buffer, int size, int, void* user) {
  auto* password = static_cast<Password*>(user);
  password->asked = true;
  if (password->text->empty() || static_cast<int>(password->text->size()) > size) {
    return -1;
  }
  std::memcpy(buffer, password->text->data(), password->text->size());
  return static_cast<int>(password->text->size());
}
}  // namespace

std::string openssl_error_text(unsigned long code) {
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) {
    return reason;
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::string openssl_serial_text(const X509* cert) {
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  std::vector<unsigned char> bytes(number != nullptr ? BN_num_bytes(number) : 0);
  if (number != nullptr) {
    BN_bn2bin(number, bytes.data());
    BN_free(number);
  }
  if (bytes.empty()) {
    bytes.push_back(0);
  }
  std::string text;
  for (unsigned char byte : bytes) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02X", byte);
    if (!text.empty()) {
      text += ':';
    }
    text += hex;
  }
  return text;
}

OpensslServerFiles::~OpensslServerFiles() {
  for (X509_CRL* crl : crls_) {
    X509_CRL_free(crl);
  }
  SSL_CTX_free(ctx_);
}

OpensslServerFiles::Loaded OpensslServerFiles::load(const TlsOptions& options) {
  std::shared_ptr<OpensslServerFiles> files(new OpensslServerFiles());
  std::string error = files->build(options);
  ERR_clear_error();
  if (!error.empty()) {
    return {nullptr, std::move(error)};
  }
  return {std::move(files), {}};
}

std::string OpensslServerFiles::build(const TlsOptions& o) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (ctx_ == nullptr) {
    return "TLS configuration: " + take_error();
  }
  SSL_CTX_set_min_proto_version(ctx_, o.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  // The listener's order of cipher suites, as mbedTLS picks them: the PSK
  // suites first for a client that offers them (it holds a key), and no
  // renegotiation (mbedTLS refuses it by default too).
  SSL_CTX_set_options(ctx_, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (std::string e = load_identity(o); !e.empty()) {
    return e;
  }
  if (std::string e = load_trust(o); !e.empty()) {
    return e;
  }
  if (std::string e = load_psk(o); !e.empty()) {
    return e;
  }
  if (std::string e = set_ciphers(o); !e.empty()) {
    return e;
  }
  if (std::string e = set_alpn(o.alpn); !e.empty()) {
    return e;
  }
  // As mosquitto: a client certificate is asked for only when required.
  SSL_CTX_set_verify(ctx_, o.require_certificate ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE,
                     &OpensslTlsStream::on_verify);
  SSL_CTX_set_client_hello_cb(ctx_, &OpensslTlsStream::on_client_hello, nullptr);
  // Tickets (stateless, keys made per SSL_CTX) and the session-id cache:
  // both new with each load, so a session from before a reload (a CRL that
  // now lists its client) is never resumed.
  SSL_CTX_set_session_id_context(ctx_, session_id_context, sizeof session_id_context - 1);
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx_, cache_entries);
  SSL_CTX_set_timeout(ctx_, session_lifetime_s);
  SSL_CTX_set_num_tickets(ctx_, 1);
  SSL_CTX_sess_set_new_cb(ctx_, &OpensslTlsStream::on_new_session);
  SSL_CTX_set_session_ticket_cb(ctx_, &OpensslTlsStream::on_ticket_made, &OpensslTlsStream::on_ticket_decrypted,
                                nullptr);
  // An idle connection holds no record buffers (thousands of idle devices).
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  return {};
}

std::string OpensslServerFiles::load_identity(const TlsOptions& o) {
  if (o.certfile.empty()) {
    return {};  // a PSK-only listener
  }
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx_, o.certfile.c_str()) != 1) {
    unsigned long code = ERR_peek_last_error();
    bool missing = ERR_GET_LIB(code) == ERR_LIB_SYS || ERR_GET_REASON(code) == BIO_R_NO_SUCH_FILE;
    std::string why = missing ? std::strerror(ENOENT) : take_error();
    ERR_clear_error();
    return file_error("certfile", o.certfile, why);
  }
  Bio bio = open_file(o.keyfile);
  if (!bio) {
    std::string why = std::strerror(errno);
    ERR_clear_error();
    return file_error("keyfile", o.keyfile, why);
  }
  Password password{&o.keyfile_password};
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, &on_password, &password);
  if (key == nullptr) {
    if (password.asked && o.keyfile_password.empty()) {
      ERR_clear_error();
      return "keyfile " + o.keyfile + ": encrypted, and no keyfile_password (nor ACTORMQ_KEYFILE_PASSWORD) given";
    }
    if (password.asked) {
      ERR_clear_error();
      return "keyfile " + o.keyfile + ": wrong keyfile_password";
    }
    return file_error("keyfile", o.keyfile, take_error());
  }
  int used = SSL_CTX_use_PrivateKey(ctx_, key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(ctx_) != 1) {
    ERR_clear_error();
    return "keyfile " + o.keyfile + ": not the private key of certfile " + o.certfile;
  }
  return {};
}

std::string OpensslServerFiles::load_trust(const TlsOptions& o) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
  if (!o.cafile.empty()) {
    if (std::string e = add_cas(store, "cafile", o.cafile); !e.empty()) {
      return e;
    }
  }
  if (!o.capath.empty()) {
    if (std::string e = add_capath(store, o.capath); !e.empty()) {
      return e;
    }
  }
  return o.crlfile.empty() ? std::string() : load_crls(store, o.crlfile);
}

std::string OpensslServerFiles::load_crls(X509_STORE* store, const std::string& crlfile) {
  ERR_clear_error();
  Bio bio = open_file(crlfile);
  if (!bio) {
    std::string why = std::strerror(errno);
    ERR_clear_error();
    return file_error("crlfile", crlfile, why);
  }
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    crls_.push_back(crl);
    X509_STORE_add_crl(store, crl);
  }
  unsigned long last = ERR_peek_last_error();
  bool at_end = last == 0 || ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (crls_.empty() || !at_end) {
    return file_error("crlfile", crlfile, crls_.empty() && at_end ? "no PEM CRL in it" : take_error());
  }
  ERR_clear_error();
  // Every certificate of the chain is checked against the CRLs of its
  // issuer, as mbedTLS does; a CA with no CRL in the file is no error
  // (OpensslTlsStream::on_verify).
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  return {};
}

std::string OpensslServerFiles::revoked(STACK_OF(X509) * chain, X509* leaf) const {
  auto listed = [&](X509* cert) {
    for (X509_CRL* crl : crls_) {
      X509_REVOKED* entry = nullptr;
      if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) == 0 &&
          X509_CRL_get0_by_cert(crl, &entry, cert) == 1) {
        return true;
      }
    }
    return false;
  };
  if (leaf != nullptr && listed(leaf)) {
    return "client certificate serial " + openssl_serial_text(leaf) + " revoked";
  }
  for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    if (cert != leaf && listed(cert)) {
      return "client certificate's CA serial " + openssl_serial_text(cert) + " revoked";
    }
  }
  return {};
}

std::string OpensslServerFiles::load_psk(const TlsOptions& o) {
  if (o.psk_hint.empty()) {
    return {};
  }
  PskKeys::Parsed parsed = PskKeys::load(o.psk_file);
  if (!parsed.error.empty()) {
    return parsed.error;
  }
  psk_ = std::move(parsed.keys);
  SSL_CTX_use_psk_identity_hint(ctx_, o.psk_hint.c_str());
  // One callback for both versions: OpenSSL uses it for TLS 1.3 too (with
  // the SHA-256 suites), as mosquitto's listeners do.
  SSL_CTX_set_psk_server_callback(ctx_, &OpensslTlsStream::on_psk);
  return {};
}

std::string OpensslServerFiles::set_ciphers(const TlsOptions& o) {
  if (o.ciphers.empty()) {
    if (!o.psk_hint.empty()) {
      // OpenSSL's defaults, the PSK suites first (ECDHE-PSK, PSK, DHE-PSK,
      // RSA-PSK): a PSK client offers the certificate suites as well. In
      // TLS 1.3 a key of psk_file is a SHA-256 PSK, usable only with the
      // SHA-256 suites: they go first too.
      SSL_CTX_set_cipher_list(ctx_, "kECDHEPSK:kPSK:kDHEPSK:kRSAPSK:ALL:!COMPLEMENTOFDEFAULT:!eNULL");
      SSL_CTX_set_ciphersuites(ctx_, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
    }
    return {};
  }
  OpensslCiphers ciphers = openssl_ciphers(o.ciphers);
  if (!ciphers.error.empty()) {
    return "ciphers: " + ciphers.error;
  }
  // Only the suites named: a version none of them belongs to is off.
  if (ciphers.tls12.empty()) {
    SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
  } else if (SSL_CTX_set_cipher_list(ctx_, ciphers.tls12.c_str()) != 1) {
    return "ciphers: " + take_error();
  }
  if (ciphers.tls13.empty() && o.tls13_only) {
    return "ciphers: no TLS 1.3 suite named, and tls_version is tlsv1.3";
  }
  if (ciphers.tls13.empty()) {
    SSL_CTX_set_max_proto_version(ctx_, TLS1_2_VERSION);
  } else if (SSL_CTX_set_ciphersuites(ctx_, ciphers.tls13.c_str()) != 1) {
    return "ciphers: " + take_error();
  }
  return {};
}

std::string OpensslServerFiles::set_alpn(const std::vector<std::string>& protocols) {
  for (const std::string& name : protocols) {
    if (name.empty() || name.size() > 255) {
      return "ALPN: a protocol name is 1 to 255 bytes";
    }
  }
  alpn_ = protocols;
  if (!alpn_.empty()) {
    SSL_CTX_set_alpn_select_cb(ctx_, &OpensslServerFiles::on_alpn, this);
  }
  return {};
}

int OpensslServerFiles::on_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
                                unsigned int in_length, void* self) {
  // The listener's preference first, as mbedTLS chooses (RFC 7301 3.2 lets
  // the server choose).
  for (const std::string& name : static_cast<const OpensslServerFiles*>(self)->alpn_) {
    for (unsigned int at = 0; at < in_length; at += 1 + in[at]) {
      unsigned int length = in[at];
      if (at + 1 + length <= in_length && length == name.size() && std::memcmp(in + at + 1, name.data(), length) == 0) {
        *out = in + at + 1;
        *out_length = static_cast<unsigned char>(length);
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
}

}  // namespace actormq::net
