#include "net/tls_openssl_stream.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "net/tls_context.hpp"
#include "net/tls_openssl_context.hpp"
#include "net/tls_openssl_files.hpp"

namespace actormq::net {

namespace {
using Status = IoResult::Status;

// Gathers a multi-segment write into one record's worth of bytes.
std::span<std::uint8_t> record_buffer() {
  thread_local std::array<std::uint8_t, SSL3_RT_MAX_PLAIN_LENGTH> buffer;
  return buffer;
}

OpensslTlsStream* stream_of(const SSL* ssl) { return static_cast<OpensslTlsStream*>(SSL_get_app_data(ssl)); }

// A refused certificate in mbedTLS's words (mbedtls_x509_crt_verify_info),
// which operators' log searches and the tests know; OpenSSL's own text
// for the rest.
std::string verify_text(int error) {
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "The certificate validity has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "The certificate validity starts in the future";
    case X509_V_ERR_CERT_REVOKED:
      return "The certificate has been revoked (is on a CRL)";
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return "The CRL is expired";
    case X509_V_ERR_CRL_NOT_YET_VALID:
      return "The CRL is from the future";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "The certificate is not correctly signed by the trusted CA";
    default:
      return X509_verify_cert_error_string(error);
  }
}

// True if the handshake just finished authenticated the client with a
// pre-shared key. Finding the identity's key is not enough: TLS 1.3 drops
// an external PSK whose hash is not the suite's (RFC 8446 4.2.11) and goes
// on with certificates, never checking the binder.
bool psk_authenticated(const SSL* ssl) {
  if (SSL_version(ssl) >= TLS1_3_VERSION) {
    return SSL_session_reused(ssl) == 1;  // the PSK was accepted (no ticket is issued to PSK clients)
  }
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  int kx = cipher != nullptr ? SSL_CIPHER_get_kx_nid(cipher) : NID_undef;
  return kx == NID_kx_psk || kx == NID_kx_ecdhe_psk || kx == NID_kx_dhe_psk || kx == NID_kx_rsa_psk;
}

bool wrong_psk_key(int reason) {
  // TLS 1.2: the client's Finished does not decrypt or verify; TLS 1.3: its
  // binder does not.
  return reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC || reason == SSL_R_DIGEST_CHECK_FAILED ||
         reason == SSL_R_BINDER_DOES_NOT_VERIFY;
}
}  // namespace

OpensslTlsStream::OpensslTlsStream(Socket* socket, const OpensslTlsContext& context)
    : socket_(socket), context_(&context) {
  // The generation before the files: files newer than it only cause one
  // check too many, never one too few.
  checked_generation_ = context.generation();
  files_ = context.current();
  ERR_clear_error();
  ssl_ = SSL_new(files_->context());
  BIO* bio = ssl_ != nullptr ? BIO_new(bio_method()) : nullptr;
  if (bio == nullptr) {
    tls_error_ = ERR_peek_last_error();
    ERR_clear_error();
    return;
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_app_data(ssl_, this);
  SSL_set_accept_state(ssl_);
}

OpensslTlsStream::~OpensslTlsStream() { SSL_free(ssl_); }

BIO_METHOD* OpensslTlsStream::bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "actormq socket");
    BIO_meth_set_write(m, &OpensslTlsStream::on_bio_write);
    BIO_meth_set_read(m, &OpensslTlsStream::on_bio_read);
    BIO_meth_set_ctrl(m, &OpensslTlsStream::on_bio_ctrl);
    return m;
  }();
  return method;
}

int OpensslTlsStream::on_bio_write(BIO* bio, const char* data, int length) {
  auto* self = static_cast<OpensslTlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  std::size_t size = static_cast<std::size_t>(length);
  std::size_t sent = 0;
  if (self->pending_.empty()) {
    iovec segment{const_cast<char*>(data), size};
    IoResult r = self->socket_->writev(&segment, 1);
    if (r.status == Status::ok) {
      sent = r.bytes;
    } else if (r.status == Status::closed || r.status == Status::error) {
      self->socket_errno_ = r.status == Status::error && r.error != 0 ? r.error : EPIPE;
      return -1;
    }
  }
  // The rest waits in order behind what is already pending; flush() and
  // read() send it when the socket takes it.
  self->pending_.append(data + sent, size - sent);
  return length;
}

int OpensslTlsStream::on_bio_read(BIO* bio, char* data, int length) {
  auto* self = static_cast<OpensslTlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  IoResult r = self->socket_->read({reinterpret_cast<std::uint8_t*>(data), static_cast<std::size_t>(length)});
  switch (r.status) {
    case Status::ok:
      return static_cast<int>(r.bytes);
    case Status::would_block:
    case Status::again:
      BIO_set_retry_read(bio);
      return -1;
    case Status::closed:
      return 0;  // end of stream (a reset too: the peer is gone either way)
    case Status::error:
      break;
  }
  self->socket_errno_ = r.error;
  return -1;
}

long OpensslTlsStream::on_bio_ctrl(BIO*, int command, long, void*) {
  // Flushing is flush()'s job, never a wait: the BIO reports it done.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int OpensslTlsStream::on_verify(int ok, X509_STORE_CTX* store) {
  int error = X509_STORE_CTX_get_error(store);
  if (ok == 0 && error == X509_V_ERR_UNABLE_TO_GET_CRL) {
    return 1;  // no CRL of that CA in the crlfile: as mbedTLS, not a refusal
  }
  if (ok == 0) {
    auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    OpensslTlsStream* self = stream_of(ssl);
    if (self->verify_error_ == 0) {
      self->verify_error_ = error;
    }
    if (error == X509_V_ERR_CERT_REVOKED && X509_STORE_CTX_get_error_depth(store) == 0) {
      self->revoked_ =
          "client certificate serial " + openssl_serial_text(X509_STORE_CTX_get_current_cert(store)) + " revoked";
    }
  }
  return ok;
}

int OpensslTlsStream::on_client_hello(SSL* ssl, int*, void*) {
  OpensslTlsStream* self = stream_of(ssl);
  self->hello_seen_ = true;
  if (!self->hello_paused_) {
    self->hello_paused_ = true;
    return SSL_CLIENT_HELLO_RETRY;  // SSL_ERROR_WANT_CLIENT_HELLO_CB: handshake_step answers `again`
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

unsigned int OpensslTlsStream::on_psk(SSL* ssl, const char* identity, unsigned char* key,
                                      unsigned int max_key_length) {
  OpensslTlsStream* self = stream_of(ssl);
  self->psk_identity_ = identity != nullptr ? identity : "";
  const std::vector<std::uint8_t>* found = self->files_->psk().find(self->psk_identity_);
  self->psk_unknown_ = found == nullptr || found->size() > max_key_length;
  if (self->psk_unknown_) {
    return 0;
  }
  // As the mbedTLS backend: a PSK session is never resumed (TLS 1.3: no
  // ticket; TLS 1.2: its ticket marked, on_ticket_decrypted, and not
  // cached, on_new_session), so a PSK client proves its key against the
  // psk_file in force each time.
  SSL_set_num_tickets(ssl, 0);
  std::memcpy(key, found->data(), found->size());
  return static_cast<unsigned int>(found->size());
}

int OpensslTlsStream::on_new_session(SSL* ssl, SSL_SESSION* session) {
  OpensslTlsStream* self = stream_of(ssl);
  if (!self->psk_identity_.empty() && !self->psk_unknown_) {
    SSL_CTX_remove_session(SSL_get_SSL_CTX(ssl), session);
  }
  return 0;  // OpenSSL keeps its reference
}

namespace {
constexpr unsigned char psk_ticket_mark[] = "psk";
}  // namespace

int OpensslTlsStream::on_ticket_made(SSL* ssl, void*) {
  OpensslTlsStream* self = stream_of(ssl);
  if (!self->psk_identity_.empty() && !self->psk_unknown_) {
    return SSL_SESSION_set1_ticket_appdata(SSL_get0_session(ssl), psk_ticket_mark, sizeof psk_ticket_mark);
  }
  return 1;
}

SSL_TICKET_RETURN OpensslTlsStream::on_ticket_decrypted(SSL*, SSL_SESSION* session, const unsigned char*, size_t,
                                                        SSL_TICKET_STATUS status, void*) {
  switch (status) {
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW: {
      void* mark = nullptr;
      std::size_t length = 0;
      if (SSL_SESSION_get0_ticket_appdata(session, &mark, &length) == 1 && length == sizeof psk_ticket_mark &&
          std::memcmp(mark, psk_ticket_mark, length) == 0) {
        return SSL_TICKET_RETURN_IGNORE_RENEW;  // a full handshake, the key proved again
      }
      return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
    }
    default:  // no ticket, or one of other keys (before a reload): a full handshake
      return SSL_TICKET_RETURN_IGNORE_RENEW;
  }
}

Status OpensslTlsStream::send_pending() {
  while (!pending_.empty()) {
    iovec segment{pending_.data(), pending_.size()};
    IoResult r = socket_->writev(&segment, 1);
    switch (r.status) {
      case Status::ok:
        pending_.erase(0, r.bytes);
        break;
      case Status::would_block:
      case Status::again:
        socket_->want_write(true);
        return Status::would_block;
      case Status::closed:
        return Status::closed;
      case Status::error:
        socket_errno_ = r.error;
        return Status::error;
    }
  }
  return Status::ok;
}

IoResult OpensslTlsStream::result_of(int rc) {
  int kind = SSL_get_error(ssl_, rc);
  read_waits_write_ = false;
  if (kind == SSL_ERROR_SSL) {
    tls_error_ = ERR_peek_last_error();
  }
  ERR_clear_error();
  if (!pending_.empty()) {
    socket_->want_write(true);  // an alert or a flight the socket did not take whole
  }
  switch (kind) {
    case SSL_ERROR_WANT_READ:
      return {Status::would_block, 0, 0};
    case SSL_ERROR_WANT_WRITE:  // not from these BIOs, which take every byte
      read_waits_write_ = true;
      return {Status::would_block, 0, 0};
    case SSL_ERROR_ZERO_RETURN:
      return {Status::closed, 0, 0};
    case SSL_ERROR_SYSCALL:
      return socket_errno_ != 0 ? IoResult{Status::error, 0, socket_error} : IoResult{Status::closed, 0, 0};
    case SSL_ERROR_SSL:
      if (ERR_GET_REASON(tls_error_) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {Status::closed, 0, 0};  // the peer closed without close_notify
      }
      return {Status::error, 0, tls_error};
    default:
      return {Status::error, 0, tls_error};
  }
}

IoResult OpensslTlsStream::handshake_step() {
  if (ssl_ == nullptr || SSL_get_rbio(ssl_) == nullptr) {
    return {Status::error, 0, tls_error};
  }
  // The last flight first: the client answers only once it has it all.
  if (Status sent = send_pending(); sent != Status::ok) {
    read_waits_write_ = sent == Status::would_block;
    return sent == Status::would_block ? IoResult{Status::would_block, 0, 0}
                                       : IoResult{sent, 0, sent == Status::error ? socket_error : 0};
  }
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    established_ = true;
    psk_used_ = !psk_identity_.empty() && !psk_unknown_ && psk_authenticated(ssl_);
    read_waits_write_ = false;
    if (!pending_.empty()) {
      socket_->want_write(true);
    }
    return {Status::again, 0, 0};
  }
  if (SSL_get_error(ssl_, rc) == SSL_ERROR_WANT_CLIENT_HELLO_CB) {
    ERR_clear_error();
    return {Status::again, 0, 0};  // the ClientHello is read; its answer in the next step
  }
  return result_of(rc);
}

bool OpensslTlsStream::still_accepted() {
  std::uint64_t generation = context_->generation();
  if (generation == checked_generation_) {
    return true;
  }
  checked_generation_ = generation;
  revoked_ = revoked();
  return revoked_.empty();
}

IoResult OpensslTlsStream::read(std::span<std::uint8_t> buffer) {
  if (!established_) {
    return handshake_step();
  }
  // A device whose certificate a reloaded CRL lists sends nothing more,
  // even if it got in before the reload's check of the connected ones.
  if (!still_accepted()) {
    return {Status::error, 0, revoked_by_reload};
  }
  ERR_clear_error();
  int rc = SSL_read(ssl_, buffer.data(), static_cast<int>(std::min<std::size_t>(buffer.size(), INT32_MAX)));
  if (rc > 0) {
    read_waits_write_ = false;
    if (!pending_.empty()) {
      socket_->want_write(true);
    }
    return {Status::ok, static_cast<std::size_t>(rc), 0};
  }
  return result_of(rc);
}

IoResult OpensslTlsStream::flush() {
  switch (send_pending()) {
    case Status::ok:
      return {Status::ok, 0, 0};
    case Status::would_block:
      return {Status::would_block, 0, 0};
    case Status::closed:
      return {Status::closed, 0, 0};
    default:
      return {Status::error, 0, socket_error};
  }
}

IoResult OpensslTlsStream::writev(const iovec* segments, int count) {
  if (!established_) {
    return {Status::would_block, 0, 0};  // nothing is sent before the handshake is over
  }
  if (IoResult r = flush(); r.status != Status::ok) {
    return r;
  }
  // One record per call: up to the largest record payload, gathered.
  std::size_t max = record_buffer().size();
  const void* data = nullptr;
  std::size_t length = 0;
  if (count == 1 || segments[0].iov_len >= max) {
    data = segments[0].iov_base;
    length = std::min(segments[0].iov_len, max);
  } else {
    std::span<std::uint8_t> gather = record_buffer();
    for (int i = 0; i < count && length < gather.size(); ++i) {
      std::size_t n = std::min(segments[i].iov_len, gather.size() - length);
      std::memcpy(gather.data() + length, segments[i].iov_base, n);
      length += n;
    }
    data = gather.data();
  }
  if (length == 0) {
    return {Status::ok, 0, 0};
  }
  ERR_clear_error();
  int rc = SSL_write(ssl_, data, static_cast<int>(length));
  if (rc > 0) {
    // The record is built; what the socket did not take waits in pending_.
    if (!pending_.empty()) {
      socket_->want_write(true);
    }
    return {Status::ok, static_cast<std::size_t>(rc), 0};
  }
  IoResult r = result_of(rc);
  return r.status == Status::would_block ? IoResult{Status::error, 0, tls_error} : r;
}

void OpensslTlsStream::want_read(bool on) {
  if (on && read_waits_write_) {
    socket_->want_write(true);
  } else {
    socket_->want_read(on);
  }
}

void OpensslTlsStream::want_write(bool on) { socket_->want_write(on); }

void OpensslTlsStream::close() {
  if (established_ && ssl_ != nullptr) {
    SSL_shutdown(ssl_);  // best effort: close_notify goes if the socket takes it now
    ERR_clear_error();
  }
  socket_->close();
  delete this;
}

std::string OpensslTlsStream::peer_identity() const {
  if (!established_) {
    return {};
  }
  if (psk_used_) {
    return psk_identity_;  // the key proved it (mosquitto's use_identity_as_username with PSK)
  }
  // Without require_certificate no certificate is asked for; one that did
  // not verify names nobody.
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr || SSL_get_verify_mode(ssl_) == SSL_VERIFY_NONE || SSL_get_verify_result(ssl_) != X509_V_OK) {
    return {};
  }
  // The first CN of the subject, its bytes as they are: as the mbedTLS backend.
  X509_NAME* subject = X509_get_subject_name(cert);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

std::string OpensslTlsStream::revoked() const {
  X509* cert = established_ ? SSL_get0_peer_certificate(ssl_) : nullptr;
  if (cert == nullptr) {
    return {};
  }
  return context_->revoked(SSL_get0_verified_chain(ssl_), cert);
}

std::string OpensslTlsStream::summary() const {
  if (!established_) {
    return {};
  }
  // The suite in mbedTLS's spelling of the IANA name, as the mbedTLS backend logs it.
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  std::string suite = cipher != nullptr ? SSL_CIPHER_standard_name(cipher) : "?";
  std::replace(suite.begin(), suite.end(), '_', '-');
  std::string text = std::string(SSL_get_version(ssl_)) + " " + suite;
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl_, &alpn, &alpn_length);
  if (alpn_length > 0) {
    text += ", ALPN " + std::string(reinterpret_cast<const char*>(alpn), alpn_length);
  }
  if (const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name)) {
    text += ", SNI " + std::string(name);
  }
  if (psk_used_) {
    text += ", PSK identity " + tls_quoted_name(psk_identity_);
  }
  return text;
}

std::string OpensslTlsStream::describe_tls_error() const {
  int reason = ERR_GET_REASON(tls_error_);
  if (!established_ && verify_error_ != 0) {
    std::string text = "TLS handshake failed: client certificate not accepted: " + verify_text(verify_error_);
    return revoked_.empty() ? text : text + " (" + revoked_ + ")";
  }
  if (!established_ && psk_unknown_ && !psk_identity_.empty()) {
    return "TLS handshake failed: unknown PSK identity " + tls_quoted_name(psk_identity_);
  }
  if (!established_ && !psk_identity_.empty() && wrong_psk_key(reason)) {
    return "TLS handshake failed: wrong key for PSK identity " + tls_quoted_name(psk_identity_);
  }
  if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    return "TLS handshake failed: no client certificate (require_certificate)";
  }
  if (tls_error_ == 0) {
    return established_ ? "TLS: failed" : "TLS handshake failed";
  }
  std::string text = (established_ ? "TLS: " : "TLS handshake failed: ") + openssl_error_text(tls_error_);
  if (!established_ && !hello_seen_) {
    text += " (not a TLS client?)";
  }
  return text;
}

std::string OpensslTlsStream::describe(int error) const {
  switch (error) {
    case revoked_by_reload:
      return "TLS: " + revoked_ + " by the reloaded crlfile";
    case socket_error:
      return "TLS: " + Stream::describe(socket_errno_);
    case tls_error:
      return describe_tls_error();
    default:
      return Stream::describe(error);
  }
}

}  // namespace actormq::net
