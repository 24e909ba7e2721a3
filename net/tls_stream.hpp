#pragma once
// One TLS connection over a Socket (mbedTLS 2.28), non-blocking: the record
// layer reads and writes the socket through callbacks that never wait, and the
// handshake advances one mbedtls_ssl_handshake_step per read() call, each
// answered with `again`, so the owner yields between steps when its budget
// is spent. Exists only for TLS connections: a plain one pays nothing for it.

#include <mbedtls/ssl.h>

#include <string>

#include "net/socket.hpp"
#include "net/stream.hpp"

namespace actormq::net {

/// Owner-only, like the socket under it.
class TlsStream final : public Stream {
 public:
  /// Takes ownership of `socket`; `config` must outlive this stream.
  TlsStream(Socket* socket, const mbedtls_ssl_config& config);

  IoResult read(std::span<std::uint8_t> buffer) override;
  IoResult writev(const iovec* segments, int count) override;
  IoResult flush() override;
  void want_read(bool on) override;
  void want_write(bool on) override;
  /// Sends close_notify if it can at once, then closes the socket.
  void close() override;
  std::string peer() const override { return socket_->peer(); }
  std::string peer_identity() const override;
  bool established() const override { return established_; }
  std::string describe(int error) const override;
  const char* kind() const override { return "tls"; }

 private:
  ~TlsStream() override;
  static int on_send(void* self, const unsigned char* data, std::size_t length);
  static int on_recv(void* self, unsigned char* data, std::size_t length);
  IoResult handshake_step();
  /// Maps an mbedTLS result of a read-side operation to an IoResult.
  IoResult read_side(int rc);

  Socket* socket_;
  mbedtls_ssl_context ssl_;
  int setup_error_ = 0;
  int socket_errno_ = 0;           // the errno behind MBEDTLS_ERR_NET_*_FAILED
  bool established_ = false;
  bool read_waits_write_ = false;  // the last read-side step wants writability
};

}  // namespace actormq::net
