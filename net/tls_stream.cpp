#include "net/tls_stream.hpp"

#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl_internal.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "net/tls_context.hpp"

namespace actormq::net {

namespace {
using Status = IoResult::Status;

// Gathers a multi-segment write into one record's worth of bytes.
std::span<std::uint8_t> record_buffer() {
  thread_local std::array<std::uint8_t, MBEDTLS_SSL_OUT_CONTENT_LEN> buffer;
  return buffer;
}
}  // namespace

TlsStream::TlsStream(Socket* socket, const mbedtls_ssl_config& config) : socket_(socket) {
  mbedtls_ssl_init(&ssl_);
  setup_error_ = mbedtls_ssl_setup(&ssl_, &config);
  mbedtls_ssl_set_bio(&ssl_, this, &TlsStream::on_send, &TlsStream::on_recv, nullptr);
}

TlsStream::~TlsStream() { mbedtls_ssl_free(&ssl_); }

int TlsStream::on_send(void* self, const unsigned char* data, std::size_t length) {
  auto* s = static_cast<TlsStream*>(self);
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

IoResult TlsStream::read(std::span<std::uint8_t> buffer) {
  if (!established_) {
    return handshake_step();
  }
  int rc = mbedtls_ssl_read(&ssl_, buffer.data(), buffer.size());
  if (rc > 0) {
    read_waits_write_ = false;
    return {Status::ok, static_cast<std::size_t>(rc), 0};
  }
  return read_side(rc);
}

IoResult TlsStream::flush() {
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
  delete this;
}

std::string TlsStream::peer_identity() const {
  const mbedtls_x509_crt* cert = mbedtls_ssl_get_peer_cert(&ssl_);
  if (!established_ || cert == nullptr || mbedtls_ssl_get_verify_result(&ssl_) != 0) {
    return {};
  }
  for (const mbedtls_x509_name* name = &cert->subject; name != nullptr; name = name->next) {
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) == 0) {
      return std::string(reinterpret_cast<const char*>(name->val.p), name->val.len);
    }
  }
  return {};
}

std::string TlsStream::describe(int error) const {
  if (error == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    char info[256] = "";
    mbedtls_x509_crt_verify_info(info, sizeof info, "", mbedtls_ssl_get_verify_result(&ssl_));
    // One line per reason: joined into one log line.
    std::string text = info;
    while (!text.empty() && text.back() == '\n') {
      text.pop_back();
    }
    std::replace(text.begin(), text.end(), '\n', ',');
    return "TLS handshake failed: client certificate not accepted: " + text;
  }
  if (error == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE) {
    return "TLS handshake failed: no client certificate (require_certificate)";
  }
  if (error == MBEDTLS_ERR_NET_RECV_FAILED || error == MBEDTLS_ERR_NET_SEND_FAILED) {
    return "TLS: " + Stream::describe(socket_errno_);
  }
  std::string text = (established_ ? "TLS: " : "TLS handshake failed: ") + tls_error_text(error);
  if (!established_ && (error == MBEDTLS_ERR_SSL_BAD_HS_CLIENT_HELLO || error == MBEDTLS_ERR_SSL_INVALID_RECORD)) {
    text += " (not a TLS client?)";
  }
  return text;
}

}  // namespace actormq::net
