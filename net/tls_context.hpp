#pragma once
// The server side of TLS for one listener, whatever library does it: mbedTLS
// 2.28 (net/tls_mbedtls_context.hpp, the default, small) or OpenSSL 3
// (net/tls_openssl_context.hpp, with -DACTORMQ_TLS=openssl), chosen when
// actormq is built. A TlsContext holds the listener's options and the files
// loaded from them (certificate, key, client CAs, CRLs, cipher suites, ALPN,
// session resumption, pre-shared keys); reload() reads the files again
// (SIGHUP), and from then on new handshakes use the new ones while
// established connections keep theirs. Built once per listener config and
// shared by every scheduler; each connection gets a stream from wrap().
// Outbound TLS (bridges, node links) is mbedTLS in every build
// (net/tls_client_context.hpp).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/transport.hpp"

namespace actormq::net {

class CryptoPool;

struct TlsOptions {
  std::string certfile;  ///< PEM certificate chain, leaf first; empty: a PSK-only listener
  std::string keyfile;   ///< PEM private key of the leaf
  /// The password of an encrypted keyfile; empty: the key is not encrypted.
  std::string keyfile_password;
  std::string cafile;    ///< PEM CAs client certificates must chain to; empty: none
  /// A directory of PEM CA certificates, as mosquitto's capath: every file
  /// in it holding a certificate (c_rehash's links included); with or
  /// instead of cafile.
  std::string capath;
  /// PEM CRLs of the client CAs: a client certificate they list is refused
  /// at the handshake. Empty: none.
  std::string crlfile;
  bool require_certificate = false;  ///< refuse clients without a valid certificate
  /// TLS 1.3 is the lowest version accepted (tls_version "tlsv1.3"); else
  /// TLS 1.2. Only where has_tls13().
  bool tls13_only = false;
  /// mbedTLS (TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256) or IANA
  /// (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) names, separated by ':' or
  /// ','; empty: the backend's defaults.
  std::string ciphers;
  /// Application protocols (ALPN, RFC 7301) this listener speaks, in order
  /// of preference; a client that offers none of them is refused. Empty:
  /// no ALPN (a client's offer is ignored).
  std::vector<std::string> alpn;
  /// Set: the listener also serves the PSK cipher suites (RFC 4279), with
  /// the keys of psk_file, first for clients that offer them. mbedTLS 2.28
  /// sends clients an empty hint, so there only whether it is set matters.
  std::string psk_hint;
  std::string psk_file;  ///< identity:hexkey lines (net/tls_psk.hpp)
  /// mbedTLS: where the handshakes' costly steps run (net/crypto_pool.hpp),
  /// off the scheduler threads; nullptr: on the connection's own thread, a
  /// step per read(). Must outlive every stream of the context. OpenSSL's
  /// streams do not use it.
  CryptoPool* crypto_pool = nullptr;
};

/// Thread-safe once created: wrap(), reload() and generation() may be called
/// from any thread.
class TlsContext : public Transport {
 public:
  struct Made {
    std::shared_ptr<TlsContext> context;  ///< nullptr on failure
    std::string error;                    ///< why, naming the key and the file
  };
  /// Loads and checks the files with the backend actormq was built with;
  /// TLS 1.2 is the lowest version accepted.
  [[nodiscard]] static Made create(const TlsOptions& options);
  /// "mbedtls" or "openssl": the backend create() uses.
  static const char* backend();
  /// True if that backend serves TLS 1.3 (OpenSSL; mbedTLS 2.28 has none).
  /// Inline: the config checks (core/config) ask it without linking net/.
  static constexpr bool has_tls13() {
#ifdef ACTORMQ_TLS_OPENSSL
    return true;
#else
    return false;
#endif
  }

  ~TlsContext() override = default;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// Reads the files again. On success new handshakes use them (sessions
  /// resumed from before the reload need a full handshake again) and the
  /// generation goes up; on an error the files in use stay and the error,
  /// naming the key and the file, is returned.
  [[nodiscard]] virtual std::string reload() = 0;
  /// Counts successful loads; a stream whose generation is older checks its
  /// peer against the CRLs now in force (Stream::revoked()).
  virtual std::uint64_t generation() const = 0;

 protected:
  TlsContext() = default;
};

/// The names of a `ciphers` list (TlsOptions::ciphers), in order: split at
/// ':' and ',', spaces around each trimmed, empty ones dropped. Neither
/// checked nor respelled: each backend looks them up in its own library.
[[nodiscard]] std::vector<std::string> tls_cipher_names(const std::string& list);

/// A name a client chose (an SNI, a PSK identity) for a log line: quoted, at
/// most 64 bytes, anything but printable ASCII as '?'.
[[nodiscard]] std::string tls_quoted_name(const std::string& name);

}  // namespace actormq::net
