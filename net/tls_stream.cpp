#include "net/tls_stream.hpp"

#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl_internal.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "net/crypto_pool.hpp"
#include "net/tls_context.hpp"
#include "net/tls_mbedtls.hpp"
#include "net/tls_mbedtls_context.hpp"
#include "net/tls_server_files.hpp"
#include "sched/runtime.hpp"

namespace actormq::net {

namespace {
using Status = IoResult::Status;

// Gathers a multi-segment write into one record's worth of bytes.
std::span<std::uint8_t> record_buffer() {
  thread_local std::array<std::uint8_t, MBEDTLS_SSL_OUT_CONTENT_LEN> buffer;
  return buffer;
}

// What an offloaded handshake reads from its socket at once: a ClientHello,
// or a client's certificate chain, fits.
std::span<std::uint8_t> handshake_read_buffer() {
  thread_local std::array<std::uint8_t, 16 * 1024> buffer;
  return buffer;
}
}  // namespace

TlsStream::TlsStream(Socket* socket, const mbedtls_ssl_config& config, const std::string& server_name)
    : socket_(socket), client_(config.endpoint == MBEDTLS_SSL_IS_CLIENT) {
  mbedtls_ssl_init(&ssl_);
  setup_error_ = mbedtls_ssl_setup(&ssl_, &config);
  mbedtls_ssl_set_bio(&ssl_, this, &TlsStream::on_send, &TlsStream::on_recv, nullptr);
  if (client_ && setup_error_ == 0) {
    expect_server(config, server_name);
  }
}

TlsStream::TlsStream(Socket* socket, const MbedtlsTlsContext& context, CryptoPool* pool)
    : socket_(socket), context_(&context) {
  if (pool != nullptr) {
    offload_ = std::make_unique<Offload>(*pool);
  }
  // The generation before the files: files newer than it only cause one
  // check too many, never one too few.
  checked_generation_ = context.generation();
  files_ = context.current();
  mbedtls_ssl_init(&ssl_);
  setup_error_ = mbedtls_ssl_setup(&ssl_, &files_->config());
  mbedtls_ssl_set_bio(&ssl_, this, &TlsStream::on_send, &TlsStream::on_recv, nullptr);
  mbedtls_ssl_set_verify(&ssl_, &TlsStream::on_verify_client, this);
}

int TlsStream::on_verify_client(void* self, mbedtls_x509_crt* cert, int depth, std::uint32_t* flags) {
  if (depth == 0 && (*flags & MBEDTLS_X509_BADCERT_REVOKED) != 0) {
    static_cast<TlsStream*>(self)->revoked_ = "client certificate serial " + tls_serial_text(*cert) + " revoked";
  }
  return 0;
}

int TlsStream::on_sni(void*, mbedtls_ssl_context* ssl, const unsigned char* name, std::size_t length) {
  // p_bio is the stream (mbedtls_ssl_set_bio above); the name is only noted:
  // one certificate serves every name, as mosquitto's listener does.
  static_cast<TlsStream*>(ssl->p_bio)->server_name_.assign(reinterpret_cast<const char*>(name), length);
  return 0;
}

int TlsStream::on_psk(void* files, mbedtls_ssl_context* ssl, const unsigned char* identity, std::size_t length) {
  auto* self = static_cast<TlsStream*>(ssl->p_bio);  // as on_sni
  self->psk_identity_.assign(reinterpret_cast<const char*>(identity), length);
  const std::vector<std::uint8_t>* key = static_cast<const TlsServerFiles*>(files)->psk().find(self->psk_identity_);
  if (key == nullptr) {
    self->psk_unknown_ = true;
    return -1;
  }
  return mbedtls_ssl_set_hs_psk(ssl, key->data(), key->size());
}

bool TlsStream::still_accepted() {
  std::uint64_t generation = context_->generation();
  if (generation == checked_generation_) {
    return true;
  }
  checked_generation_ = generation;
  revoked_ = revoked();
  return revoked_.empty();
}

std::string TlsStream::revoked() const {
  const mbedtls_x509_crt* cert = mbedtls_ssl_get_peer_cert(&ssl_);
  if (context_ == nullptr || !established_ || cert == nullptr) {
    return {};
  }
  return context_->revoked(*cert);
}

std::string TlsStream::summary() const {
  if (!established_) {
    return {};
  }
  std::string text = std::string(mbedtls_ssl_get_version(&ssl_)) + " " + mbedtls_ssl_get_ciphersuite(&ssl_);
  if (const char* alpn = mbedtls_ssl_get_alpn_protocol(&ssl_)) {
    text += ", ALPN " + std::string(alpn);
  }
  if (!server_name_.empty()) {
    text += ", SNI " + server_name_;
  }
  if (!psk_identity_.empty()) {
    text += ", PSK identity " + tls_quoted_name(psk_identity_);
  }
  return text;
}

void TlsStream::expect_server(const mbedtls_ssl_config& config, const std::string& server_name) {
  expected_ = std::make_unique<Expected>(Expected{server_name, parse_ip_literal(server_name)});
  if (server_name.empty()) {
    // A chain that verifies proves nothing about whom it was issued to.
    if (config.authmode != MBEDTLS_SSL_VERIFY_NONE) {
      setup_error_ = MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    }
    return;
  }
  if (expected_->address) {
    // No SNI for an address (RFC 6066 section 3), and no hostname: mbedTLS
    // would compare the literal with the DNS names and CN.
    mbedtls_ssl_set_verify(&ssl_, &TlsStream::on_verify, this);
    return;
  }
  setup_error_ = mbedtls_ssl_set_hostname(&ssl_, server_name.c_str());
}

int TlsStream::on_verify(void* self, mbedtls_x509_crt* cert, int depth, std::uint32_t* flags) {
  const auto* s = static_cast<const TlsStream*>(self);
  if (depth == 0 && !san_names_ip(cert->subject_alt_names, *s->expected_->address)) {
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
  }
  return 0;
}

TlsStream::~TlsStream() { mbedtls_ssl_free(&ssl_); }

int TlsStream::on_send(void* self, const unsigned char* data, std::size_t length) {
  auto* s = static_cast<TlsStream*>(self);
  if (s->offload_ && !s->established_) {
    s->offload_->out.insert(s->offload_->out.end(), data, data + length);  // read() sends it
    return static_cast<int>(length);
  }
  iovec segment{const_cast<unsigned char*>(data), length};
  IoResult r = s->socket_->writev(&segment, 1);
  switch (r.status) {
    case Status::ok:
      return static_cast<int>(r.bytes);
    case Status::would_block:
    case Status::again:
      return MBEDTLS_ERR_SSL_WANT_WRITE;
    case Status::closed:
      return MBEDTLS_ERR_NET_CONN_RESET;
    case Status::error:
      break;
  }
  s->socket_errno_ = r.error;
  return MBEDTLS_ERR_NET_SEND_FAILED;
}

int TlsStream::on_recv(void* self, unsigned char* data, std::size_t length) {
  auto* s = static_cast<TlsStream*>(self);
  if (s->offload_) {
    std::vector<std::uint8_t>& in = s->offload_->in;
    if (!in.empty()) {
      std::size_t n = std::min(length, in.size());
      std::memcpy(data, in.data(), n);
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
      return static_cast<int>(n);
    }
    if (!s->established_) {
      return MBEDTLS_ERR_SSL_WANT_READ;  // the owner reads the socket
    }
    s->offload_.reset();  // established, and what came with the handshake is taken
  }
  IoResult r = s->socket_->read({data, length});
  switch (r.status) {
    case Status::ok:
      return static_cast<int>(r.bytes);
    case Status::would_block:
    case Status::again:
      return MBEDTLS_ERR_SSL_WANT_READ;
    case Status::closed:
      return r.error != 0 ? MBEDTLS_ERR_NET_CONN_RESET : 0;  // 0: end of stream
    case Status::error:
      break;
  }
  s->socket_errno_ = r.error;
  return MBEDTLS_ERR_NET_RECV_FAILED;
}

IoResult TlsStream::read_side(int rc) {
  read_waits_write_ = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    return {Status::would_block, 0, 0};
  }
  if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF ||
      rc == MBEDTLS_ERR_NET_CONN_RESET) {
    return {Status::closed, 0, 0};
  }
  return {Status::error, 0, rc};
}

IoResult TlsStream::handshake_step() {
  if (setup_error_ != 0) {
    return {Status::error, 0, setup_error_};
  }
  int rc = mbedtls_ssl_handshake_step(&ssl_);
  if (rc != 0) {
    return read_side(rc);
  }
  read_waits_write_ = false;
  established_ = ssl_.state == MBEDTLS_SSL_HANDSHAKE_OVER;
  return {Status::again, 0, 0};
}

IoResult TlsStream::offloaded_handshake() {
  if (setup_error_ != 0) {
    return {Status::error, 0, setup_error_};
  }
  Offload& o = *offload_;
  if (o.holder.load(std::memory_order_acquire) == Holder::worker) {
    return {Status::would_block, 0, 0};  // the worker sends a SocketReady when it is done
  }
  o.unseen = false;
  if (IoResult r = send_offloaded(); r.status != Status::ok) {
    return r;
  }
  if (o.rc != 0 && o.rc != MBEDTLS_ERR_SSL_WANT_READ) {
    return read_side(o.rc);  // the alert, if mbedTLS wrote one, went above
  }
  if (ssl_.state == MBEDTLS_SSL_HANDSHAKE_OVER) {
    established_ = true;
    if (o.in.empty()) {
      offload_.reset();
    }
    return {Status::again, 0, 0};
  }
  // The handshake waits for the client (its first step needs the
  // ClientHello): only new bytes let it go on.
  std::span<std::uint8_t> buffer = handshake_read_buffer();
  IoResult r = socket_->read(buffer);
  if (r.status == Status::closed) {
    return {Status::closed, 0, 0};
  }
  if (r.status == Status::error) {
    socket_errno_ = r.error;
    return {Status::error, 0, MBEDTLS_ERR_NET_RECV_FAILED};
  }
  if (r.status != Status::ok) {
    return {Status::would_block, 0, 0};
  }
  o.in.insert(o.in.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.bytes));
  // Whom to wake, read here: the worker never touches the socket.
  sched::Runtime* runtime = &socket_->runtime();
  sched::Pid owner = socket_->owner();
  o.holder.store(Holder::worker, std::memory_order_release);
  o.pool.submit([this, runtime, owner] { run_offloaded(*runtime, owner); });
  return {Status::would_block, 0, 0};
}

void TlsStream::run_offloaded(sched::Runtime& runtime, sched::Pid owner) {
  Offload& o = *offload_;
  if (o.holder.load(std::memory_order_acquire) != Holder::closed) {
    // WANT_WRITE cannot come (on_send takes everything); WANT_READ is the
    // input running out.
    int rc = 0;
    do {
      rc = mbedtls_ssl_handshake_step(&ssl_);
    } while (rc == 0 && ssl_.state != MBEDTLS_SSL_HANDSHAKE_OVER);
    o.rc = rc;
    o.unseen = true;
  }
  // From here on `this` is the owner's again, or ours to free.
  if (o.holder.exchange(Holder::owner, std::memory_order_acq_rel) == Holder::closed) {
    delete this;
    return;
  }
  runtime.send<SocketReady>(owner, SocketReady{true, false});
}

IoResult TlsStream::send_offloaded() {
  std::vector<std::uint8_t>& out = offload_->out;
  while (!out.empty()) {
    iovec segment{out.data(), out.size()};
    IoResult r = socket_->writev(&segment, 1);
    if (r.status == Status::ok) {
      out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(r.bytes));
      continue;
    }
    if (r.status == Status::would_block) {
      read_waits_write_ = true;  // want_read arms writability
      return r;
    }
    if (r.status == Status::error) {
      socket_errno_ = r.error;
      return {Status::error, 0, MBEDTLS_ERR_NET_SEND_FAILED};
    }
    return {Status::closed, 0, 0};
  }
  read_waits_write_ = false;
  return {Status::ok, 0, 0};
}

IoResult TlsStream::read(std::span<std::uint8_t> buffer) {
  if (!established_ && offload_) {
    return offloaded_handshake();
  }
  if (!established_) {
    return handshake_step();
  }
  // A device whose certificate a reloaded CRL lists sends nothing more,
  // even if it got in before the reload's check of the connected ones.
  if (context_ != nullptr && !still_accepted()) {
    return {Status::error, 0, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED};
  }
  int rc = mbedtls_ssl_read(&ssl_, buffer.data(), buffer.size());
  if (rc > 0) {
    read_waits_write_ = false;
    return {Status::ok, static_cast<std::size_t>(rc), 0};
  }
  return read_side(rc);
}

IoResult TlsStream::flush() {
  if (!established_ && offload_) {
    return {Status::ok, 0, 0};  // the handshake's records are read()'s to send
  }
  if (ssl_.out_left == 0) {
    return {Status::ok, 0, 0};
  }
  // A record the socket did not take whole: mbedTLS keeps it and sends the rest.
  int rc = mbedtls_ssl_flush_output(&ssl_);
  if (rc == 0) {
    return {Status::ok, 0, 0};
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    socket_->want_write(true);
    return {Status::would_block, 0, 0};
  }
  return read_side(rc).status == Status::closed ? IoResult{Status::closed, 0, 0} : IoResult{Status::error, 0, rc};
}

IoResult TlsStream::writev(const iovec* segments, int count) {
  if (!established_) {
    return {Status::would_block, 0, 0};  // nothing is sent before the handshake is over
  }
  if (IoResult r = flush(); r.status != Status::ok) {
    return r;
  }
  // One record per call: up to the largest record payload, gathered.
  auto max = static_cast<std::size_t>(std::max(mbedtls_ssl_get_max_out_record_payload(&ssl_), 1));
  const unsigned char* data = nullptr;
  std::size_t length = 0;
  if (count == 1 || segments[0].iov_len >= max) {
    data = static_cast<const unsigned char*>(segments[0].iov_base);
    length = std::min(segments[0].iov_len, max);
  } else {
    std::span<std::uint8_t> gather = record_buffer().first(std::min(max, record_buffer().size()));
    for (int i = 0; i < count && length < gather.size(); ++i) {
      std::size_t n = std::min(segments[i].iov_len, gather.size() - length);
      std::memcpy(gather.data() + length, segments[i].iov_base, n);
      length += n;
    }
    data = gather.data();
  }
  int rc = mbedtls_ssl_write(&ssl_, data, length);
  if (rc > 0) {
    return {Status::ok, static_cast<std::size_t>(rc), 0};
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    // The record is built and held by mbedTLS (out_left): its bytes are
    // taken; flush() sends the rest once the socket is writable.
    socket_->want_write(true);
    return {Status::ok, length, 0};
  }
  return read_side(rc).status == Status::closed ? IoResult{Status::closed, 0, 0} : IoResult{Status::error, 0, rc};
}

void TlsStream::want_read(bool on) {
  if (on && offload_ && !established_) {
    if (offload_->holder.load(std::memory_order_acquire) == Holder::worker) {
      return;  // the worker's SocketReady is owed: the socket's would only repeat read()'s would_block
    }
    if (offload_->unseen) {
      // The worker's SocketReady came while the owner was not reading.
      socket_->runtime().send<SocketReady>(socket_->owner(), SocketReady{true, false});
      return;
    }
  }
  if (on && read_waits_write_) {
    socket_->want_write(true);
  } else {
    socket_->want_read(on);
  }
}

void TlsStream::want_write(bool on) { socket_->want_write(on); }

void TlsStream::close() {
  if (established_) {
    mbedtls_ssl_close_notify(&ssl_);  // best effort: a full socket just loses it
  }
  socket_->close();
  socket_ = nullptr;
  // A worker holding the handshake frees this when it hands it back.
  if (offload_ && offload_->holder.exchange(Holder::closed, std::memory_order_acq_rel) == Holder::worker) {
    return;
  }
  delete this;
}

std::string TlsStream::peer_identity() const {
  if (established_ && !psk_identity_.empty()) {
    return psk_identity_;  // the key proved it (mosquitto's use_identity_as_username with PSK)
  }
  const mbedtls_x509_crt* cert = mbedtls_ssl_get_peer_cert(&ssl_);
  // With VERIFY_NONE (an insecure client) mbedTLS reports 0 for a chain it
  // never checked.
  if (!established_ || cert == nullptr || ssl_.conf->authmode == MBEDTLS_SSL_VERIFY_NONE ||
      mbedtls_ssl_get_verify_result(&ssl_) != 0) {
    return {};
  }
  for (const mbedtls_x509_name* name = &cert->subject; name != nullptr; name = name->next) {
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) == 0) {
      return std::string(reinterpret_cast<const char*>(name->val.p), name->val.len);
    }
  }
  return {};
}

std::string TlsStream::describe_verify_failure() const {
  std::uint32_t flags = mbedtls_ssl_get_verify_result(&ssl_);
  std::string text;
  if (client_ && expected_ && (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0) {
    // mbedTLS's text speaks of a CN even when the name was an address.
    flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
    text = "the certificate does not name " + expected_->name;
  }
  char info[256] = "";
  if (flags != 0) {
    mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
  }
  // One line per reason: joined into one log line.
  std::string reasons = info;
  while (!reasons.empty() && reasons.back() == '\n') {
    reasons.pop_back();
  }
  std::replace(reasons.begin(), reasons.end(), '\n', ',');
  if (!text.empty() && !reasons.empty()) {
    text += ",";
  }
  text += reasons;
  if (!revoked_.empty()) {
    text += " (" + revoked_ + ")";
  }
  return std::string("TLS handshake failed: ") + (client_ ? "server" : "client") +
         " certificate not accepted: " + text;
}

std::string TlsStream::describe(int error) const {
  if (error == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && established_ && !revoked_.empty()) {
    return "TLS: " + revoked_ + " by the reloaded crlfile";
  }
  if (error == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    return describe_verify_failure();
  }
  if (psk_unknown_) {
    return "TLS handshake failed: unknown PSK identity " + tls_quoted_name(psk_identity_);
  }
  if (!psk_identity_.empty() && !established_ &&
      (error == MBEDTLS_ERR_SSL_INVALID_MAC || error == MBEDTLS_ERR_SSL_BAD_HS_FINISHED)) {
    return "TLS handshake failed: wrong key for PSK identity " + tls_quoted_name(psk_identity_);
  }
  if (error == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) {
    return "TLS handshake failed: no client certificate (require_certificate)";
  }
  if (error == MBEDTLS_ERR_NET_RECV_FAILED || error == MBEDTLS_ERR_NET_SEND_FAILED) {
    return "TLS: " + Stream::describe(socket_errno_);
  }
  if (client_ && expected_ && expected_->name.empty() && error == MBEDTLS_ERR_SSL_BAD_INPUT_DATA) {
    return "TLS: no server name to verify the server's certificate against";
  }
  std::string text = (established_ ? "TLS: " : "TLS handshake failed: ") + tls_error_text(error);
  if (!established_ && !client_ &&
      (error == MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO || error == MBEDTLS_ERR_SSL_INVALID_RECORD)) {
    text += " (not a TLS client?)";
  }
  if (!established_ && client_ &&
      (error == MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO || error == MBEDTLS_ERR_SSL_INVALID_RECORD)) {
    text += " (not a TLS server?)";
  }
  if (!established_ && client_ && error == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && ssl_.conf->psk_identity_len > 0) {
    text += " (the remote refused the psk or psk_identity?)";
  }
  return text;
}

}  // namespace actormq::net
