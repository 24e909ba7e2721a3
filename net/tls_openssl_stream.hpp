#pragma once
// One server-side TLS connection over a Socket on OpenSSL 3, non-blocking and
// with the mbedTLS stream's semantics (net/tls_stream.hpp): the record layer
// reads the socket through a BIO of its own that never waits, and writes
// through one that sends what the socket takes and keeps the rest (as
// mbedTLS keeps a record it could not send whole), so bytes given to
// writev() are taken and flush() sends the rest. The handshake advances
// one flight per read() call: the ClientHello is read in one, answered
// (the costly signature) in the next, each answered with `again` when it
// made progress, so the owner yields between them when its budget is spent.

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "net/socket.hpp"
#include "net/stream.hpp"

namespace actormq::net {

class OpensslTlsContext;
class OpensslServerFiles;

/// Owner-only, like the socket under it.
class OpensslTlsStream final : public Stream {
 public:
  /// Takes ownership of `socket`; a stream of `context`'s listener, on the
  /// files it uses now. `context` must outlive this stream (net/transport.hpp).
  OpensslTlsStream(Socket* socket, const OpensslTlsContext& context);

  IoResult read(std::span<std::uint8_t> buffer) override;
  IoResult writev(const iovec* segments, int count) override;
  IoResult flush() override;
  void want_read(bool on) override;
  void want_write(bool on) override;
  /// Sends close_notify if it can at once, then closes the socket.
  void close() override;
  std::string peer() const override { return socket_->peer(); }
  std::string peer_identity() const override;
  std::string revoked() const override;
  std::string summary() const override;
  bool established() const override { return established_; }
  std::string describe(int error) const override;
  const char* kind() const override { return "tls"; }

  /// The SSL_CTX's verification callback: lets a CA with no CRL in the
  /// crlfile pass (as mbedTLS does) and notes a revoked client certificate.
  static int on_verify(int ok, X509_STORE_CTX* store);
  /// The SSL_CTX's ClientHello callback: pauses the handshake once after the
  /// ClientHello, so read() yields before the server's costly flight.
  static int on_client_hello(SSL* ssl, int* alert, void* unused);
  /// The SSL_CTX's PSK callback (listeners with a psk_file): the key of the
  /// identity the client sent, which then is its peer_identity(); 0 (no
  /// key) for an unknown identity.
  static unsigned int on_psk(SSL* ssl, const char* identity, unsigned char* key, unsigned int max_key_length);
  /// The SSL_CTX's new-session callback: takes a PSK session back out of
  /// the session cache (see on_psk).
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  /// The SSL_CTX's ticket callbacks: a PSK session's ticket is marked when
  /// made and, when it comes back, not resumed (see on_psk).
  static int on_ticket_made(SSL* ssl, void* unused);
  static SSL_TICKET_RETURN on_ticket_decrypted(SSL* ssl, SSL_SESSION* session, const unsigned char* key_name,
                                               size_t key_name_length, SSL_TICKET_STATUS status, void* unused);

 private:
  /// What an `error` result is; the details stay in the stream.
  enum Error : int {
    socket_error = 1,       // socket_errno_
    tls_error = 2,          // tls_error_ (OpenSSL's packed code)
    revoked_by_reload = 3,  // revoked_
  };

  ~OpensslTlsStream() override;
  static BIO_METHOD* bio_method();
  static int on_bio_write(BIO* bio, const char* data, int length);
  static int on_bio_read(BIO* bio, char* data, int length);
  static long on_bio_ctrl(BIO* bio, int command, long number, void* pointer);
  /// Sends what the write BIO kept: ok when nothing is left, would_block
  /// (write interest armed) while some is.
  IoResult::Status send_pending();
  /// False (and revoked_ set) if the listener's files were reloaded since
  /// the last check and their CRLs now list the client.
  bool still_accepted();
  IoResult handshake_step();
  /// Maps the result `rc` of an SSL_* call to an IoResult.
  IoResult result_of(int rc);
  std::string describe_tls_error() const;

  Socket* socket_;
  SSL* ssl_ = nullptr;
  const OpensslTlsContext* context_;
  // The files this handshake uses, kept alive across reloads, and the
  // listener's generation last checked.
  std::shared_ptr<const OpensslServerFiles> files_;
  std::uint64_t checked_generation_ = 0;
  std::string pending_;      // bytes the socket did not take yet, in order
  std::string psk_identity_;  // the PSK identity the client sent
  bool psk_unknown_ = false;  // psk_identity_ is in no line of the psk_file
  bool psk_used_ = false;     // the handshake authenticated the client with psk_identity_'s key
  std::string revoked_;       // why the client's certificate is refused (a CRL lists it)
  unsigned long tls_error_ = 0;
  int verify_error_ = 0;  // X509_V_ERR_* of a certificate refused at the handshake
  int socket_errno_ = 0;
  bool established_ = false;
  bool hello_paused_ = false;      // on_client_hello paused once
  bool hello_seen_ = false;        // a ClientHello parsed: the peer speaks TLS
  bool read_waits_write_ = false;  // the last read-side step waits for the socket to take pending_
};

}  // namespace actormq::net
