#pragma once
// One TLS connection over a Socket (mbedTLS 2.28), non-blocking: the record
// layer reads and writes the socket through callbacks that never wait, and the
// handshake advances one mbedtls_ssl_handshake_step per read() call, each
// answered with `again`, so the owner yields between steps when its budget
// is spent. Exists only for TLS connections: a plain one pays nothing for it.
// The role (server or client) is the configuration's: a listener's
// MbedtlsTlsContext makes server streams, a TlsClientContext client streams, which
// verify that the server's certificate names the host they dialled.
//
// A server stream of a listener with a CryptoPool (TlsOptions::crypto_pool)
// runs its handshake's steps on the pool instead: the owner reads what the
// socket has into a buffer and hands the handshake to a worker, which steps
// it until it needs more input or is over, its records going into another
// buffer; the worker then sends the owner a SocketReady, and the owner's
// next read() sends those records and carries on. Socket and readiness stay
// the owner's; the mbedtls_ssl_context is touched by one thread at a time
// (the pool's queue and an atomic hand-back order them). A stream closed
// while a worker holds its handshake is freed by that worker when it is done.

#include <mbedtls/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/socket.hpp"
#include "net/stream.hpp"
#include "net/tls_names.hpp"

namespace actormq::net {

class CryptoPool;
class MbedtlsTlsContext;
class TlsServerFiles;

/// Owner-only, like the socket under it.
class TlsStream final : public Stream {
 public:
  /// Takes ownership of `socket`; `config` must outlive this stream. A
  /// client stream (config of MBEDTLS_SSL_IS_CLIENT) checks that the server's
  /// certificate names `server_name`: a DNS name (also sent as SNI) or an IP
  /// literal (matched against the iPAddress entries, no SNI). Verifying with
  /// no `server_name` is refused: the handshake fails at once.
  TlsStream(Socket* socket, const mbedtls_ssl_config& config, const std::string& server_name = {});
  /// A server stream of `context`'s listener, on the files it uses now;
  /// `context` must outlive this stream (net/transport.hpp), and `pool`,
  /// where its handshake runs unless nullptr, too.
  TlsStream(Socket* socket, const MbedtlsTlsContext& context, CryptoPool* pool = nullptr);

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
  /// mbedTLS's SNI callback (mbedtls_ssl_conf_sni) of server configurations:
  /// notes the name the client asked for, for summary().
  static int on_sni(void* unused, mbedtls_ssl_context* ssl, const unsigned char* name, std::size_t length);
  /// mbedTLS's PSK callback (mbedtls_ssl_conf_psk_cb) of server
  /// configurations with a psk_file, `files` their TlsServerFiles: sets the
  /// key of the identity the client sent, which then is its peer_identity();
  /// an unknown identity fails the handshake (alert unknown_psk_identity).
  static int on_psk(void* files, mbedtls_ssl_context* ssl, const unsigned char* identity, std::size_t length);
  bool established() const override { return established_; }
  std::string describe(int error) const override;
  const char* kind() const override { return "tls"; }

 private:
  /// The name a client expects the server's certificate to carry.
  struct Expected {
    std::string name;                  ///< as dialled, for errors
    std::optional<IpAddress> address;  ///< set when `name` is an IP literal
  };

  ~TlsStream() override;
  void expect_server(const mbedtls_ssl_config& config, const std::string& server_name);
  /// mbedTLS's per-certificate verification hook: flags the leaf when the
  /// expected address is not among its iPAddress names.
  static int on_verify(void* self, mbedtls_x509_crt* cert, int depth, std::uint32_t* flags);
  std::string describe_verify_failure() const;
  static int on_send(void* self, const unsigned char* data, std::size_t length);
  static int on_recv(void* self, unsigned char* data, std::size_t length);
  /// Server streams: records the serial of a client certificate a CRL lists.
  static int on_verify_client(void* self, mbedtls_x509_crt* cert, int depth, std::uint32_t* flags);
  /// Server streams: false (and revoked_ set) if the listener's files were
  /// reloaded since the last check and their CRLs now list the client.
  bool still_accepted();
  IoResult handshake_step();
  /// The owner's side of a handshake on the pool: sends what the worker
  /// wrote, reads what the socket has, hands the handshake over again.
  IoResult offloaded_handshake();
  /// Sends the handshake records the worker wrote: ok once all are sent.
  IoResult send_offloaded();
  /// On a worker: steps the handshake until it needs input or is over, then
  /// hands it back (or frees this, closed meanwhile).
  void run_offloaded(sched::Runtime& runtime, sched::Pid owner);
  /// Maps an mbedTLS result of a read-side operation to an IoResult.
  IoResult read_side(int rc);

  /// Who holds an offloaded handshake.
  enum class Holder : std::uint8_t {
    owner,
    worker,
    closed,  ///< the owner closed the stream while a worker held it: the worker frees it
  };
  /// An offloaded handshake's state: made by the constructor, dropped once
  /// established and drained, so an established stream pays one pointer.
  struct Offload {
    explicit Offload(CryptoPool& p) : pool(p) {}
    CryptoPool& pool;
    std::atomic<Holder> holder{Holder::owner};
    std::vector<std::uint8_t> in;   ///< read from the socket, not yet taken by mbedTLS
    std::vector<std::uint8_t> out;  ///< written by mbedTLS, not yet sent
    int rc = 0;                     ///< the worker's last mbedtls_ssl_handshake_step result
    bool unseen = false;            ///< the worker is done and the owner has not read() since
  };

  Socket* socket_;
  mbedtls_ssl_context ssl_;
  std::unique_ptr<Offload> offload_;
  std::unique_ptr<Expected> expected_;  // client streams only: a server stream pays one pointer
  // Server streams only: the listener, the files this handshake uses (kept
  // alive across reloads) and the listener's generation last checked.
  const MbedtlsTlsContext* context_ = nullptr;
  std::shared_ptr<const TlsServerFiles> files_;
  std::uint64_t checked_generation_ = 0;
  std::string server_name_;  // SNI, as the client sent it
  std::string psk_identity_;  // the PSK identity the client sent (PSK suites only)
  bool psk_unknown_ = false;  // psk_identity_ is in no line of the psk_file
  std::string revoked_;  // why the client's certificate is refused (a CRL lists it)
  int setup_error_ = 0;
  int socket_errno_ = 0;           // the errno behind MBEDTLS_ERR_NET_*_FAILED
  bool established_ = false;
  bool client_ = false;
  bool read_waits_write_ = false;  // the last read-side step wants writability
};

}  // namespace actormq::net
