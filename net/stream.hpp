#pragma once
// A byte stream to one peer, as its owning process sees it: plain TCP
// (net::Socket), TLS over a socket (net/tls_stream.hpp; a listener built on
// OpenSSL: net/tls_openssl_stream.hpp) or WebSocket over
// either (net/ws_stream.hpp). Every implementation is non-blocking and does
// its work only when the owner calls it, so TLS records, handshakes and
// WebSocket frames are charged to the owner's reduction budget like any
// other read or write.
//
// Readiness still arrives as SocketReady from the socket underneath; on it the
// owner calls flush() (through its write path) and read(). A stream that
// holds bytes of its own (a TLS record, a queued frame) arms the socket's
// write interest itself.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace actormq::net {

/// Reductions an owner charges its scheduler for one handshake step
/// (IoResult::again): a signature or key exchange costs about as much as
/// parsing a few hundred kilobytes. A handshake whose steps run on a
/// CryptoPool (net/tls_stream.hpp) answers `again` once, when it is over:
/// its owner is charged for the hand-offs, not for the pool's work.
inline constexpr std::uint32_t handshake_step_cost = 400;

/// What a read or write did.
struct IoResult {
  enum class Status : std::uint8_t {
    ok,           ///< `bytes` (> 0) transferred
    would_block,  ///< nothing now; wait for readiness (the stream armed it when asked)
    again,        ///< progress without data (a handshake step): call again, after yielding if due
    closed,       ///< the peer closed (or reset) the connection
    error,        ///< `error` says why; see Stream::describe
  };
  Status status;
  std::size_t bytes;  ///< with ok: bytes transferred (> 0)
  int error;          ///< with error: errno, or the transport's own code
};

/// Owner-only (the owning process, on the loop the socket was opened on).
/// A stream frees itself in close(); it is never deleted by its owner.
class Stream {
 public:
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  /// Reads application bytes into `buffer` (one bounded step of work).
  virtual IoResult read(std::span<std::uint8_t> buffer) = 0;
  /// Writes up to `count` segments of application bytes; `ok` with the bytes
  /// taken. Bytes taken may still wait inside the stream: see flush().
  virtual IoResult writev(const iovec* segments, int count) = 0;
  /// Pushes out bytes the stream itself still holds: `ok` when none are
  /// left, `would_block` when some are (write interest is then armed).
  virtual IoResult flush() { return {IoResult::Status::ok, 0, 0}; }
  /// Arms (or disarms) a SocketReady when the stream can make progress
  /// reading / writing.
  virtual void want_read(bool on) = 0;
  virtual void want_write(bool on) = 0;
  /// Ends the connection: the transport's closing handshake (best effort,
  /// never blocking), then FIN after what was written, then close; frees this.
  virtual void close() = 0;

  /// "address:port" of the peer, for logs.
  virtual std::string peer() const = 0;
  /// The Common Name of the peer's verified certificate; empty without one.
  virtual std::string peer_identity() const { return {}; }
  /// Why the peer is no longer accepted: its certificate is listed by a CRL
  /// reloaded since its handshake ("client certificate serial 0A revoked");
  /// empty while it is accepted.
  virtual std::string revoked() const { return {}; }
  /// Once established, what the transport negotiated, for a debug log
  /// ("TLSv1.2 TLS-ECDHE-..., ALPN mqtt, SNI broker.example"); empty for none.
  virtual std::string summary() const { return {}; }
  /// True if a read that filled less than its buffer took everything there
  /// was: the owner may wait for readiness without reading EAGAIN first. Not
  /// so for a transport that buffers records of its own (TLS).
  virtual bool drained_by_short_read() const { return false; }
  /// True once the transport's own handshakes (TLS, WebSocket upgrade) are done.
  virtual bool established() const { return true; }
  /// What an `error` result means, for a log line.
  virtual std::string describe(int error) const;
  /// The transport's name for logs: "tcp", "tls", "ws", "wss".
  virtual const char* kind() const { return "tcp"; }

 protected:
  Stream() = default;
  virtual ~Stream() = default;
};

}  // namespace actormq::net
