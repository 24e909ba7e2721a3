#pragma once
// The server side of TLS for one listener (mbedTLS 2.28). A TlsContext holds
// the listener's options and the files loaded from them (TlsServerFiles:
// certificate, key, client CAs, CRLs, cipher suites, ALPN, session
// resumption); reload() reads the files again (SIGHUP), and from then on new
// handshakes use the new ones while established connections keep theirs.
// Built once per listener config and shared by every scheduler; each
// connection gets a TlsStream from wrap().

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "net/transport.hpp"

namespace actormq::net {

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
  /// mbedTLS (TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256) or IANA
  /// (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) names, separated by ':' or
  /// ','; empty: mbedTLS's defaults.
  std::string ciphers;
  /// Application protocols (ALPN, RFC 7301) this listener speaks, in order
  /// of preference; a client that offers none of them is refused. Empty:
  /// no ALPN (a client's offer is ignored).
  std::vector<std::string> alpn;
  /// Set: the listener also serves the PSK cipher suites (RFC 4279), with
  /// the keys of psk_file, first for clients that offer them. mbedTLS 2.28
  /// sends clients an empty hint, so only whether it is set matters.
  std::string psk_hint;
  std::string psk_file;  ///< identity:hexkey lines (net/tls_psk.hpp)
};

class TlsServerFiles;

/// Thread-safe once created: wrap(), reload() and revoked() may be called
/// from any thread. The ticket keys and the session cache are guarded by
/// mbedTLS's own mutexes (MBEDTLS_THREADING_C), and random numbers come from
/// one generator per scheduler thread.
class TlsContext final : public Transport {
 public:
  struct Made {
    std::shared_ptr<TlsContext> context;  ///< nullptr on failure
    std::string error;                    ///< why, naming the key and the file
  };
  /// Loads and checks the files; TLS 1.2 is the lowest version accepted.
  [[nodiscard]] static Made create(const TlsOptions& options);
  ~TlsContext() override;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// Reads the files again. On success new handshakes use them (sessions
  /// resumed from before the reload need a full handshake again) and the
  /// generation goes up; on an error the files in use stay and the error,
  /// naming the key and the file, is returned.
  [[nodiscard]] std::string reload();
  /// Counts successful loads; a stream whose generation is older checks its
  /// peer against the CRLs now in force (revoked()).
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  /// Why the CRLs now in force refuse `peer` ("client certificate serial
  /// 0A:1B revoked"); empty if they do not list it.
  [[nodiscard]] std::string revoked(const mbedtls_x509_crt& peer) const;
  /// The files new handshakes use.
  [[nodiscard]] std::shared_ptr<const TlsServerFiles> current() const;

  /// A TlsStream over `socket`, its handshake not yet started.
  [[nodiscard]] Stream* wrap(Socket* socket) const override;

 private:
  explicit TlsContext(TlsOptions options) : options_(std::move(options)) {}

  const TlsOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const TlsServerFiles> files_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{0};
};

/// mbedTLS's message for an error code, e.g. "X509 - Certificate verification failed".
std::string tls_error_text(int code);

/// The thread's random generator (CTR-DRBG seeded from the system's entropy),
/// as an mbedTLS f_rng.
int tls_random(void* unused, unsigned char* out, std::size_t length);

/// What every actormq TLS configuration has, server or client: TLS 1.2 as the
/// minimum, tls_random, and the elliptic curves in order of preference.
void tls_conf_common(mbedtls_ssl_config& conf);

/// Loads a certificate chain and its private key (decrypted with
/// `password` if it is encrypted) into (freshly initialised) `cert` and
/// `key`, checking they are a pair; the error names the file, never the
/// password.
[[nodiscard]] std::string tls_load_identity(mbedtls_x509_crt& cert, mbedtls_pk_context& key,
                                            const std::string& certfile, const std::string& keyfile,
                                            const std::string& password = {});
/// Loads the PEM CAs of `cafile` into `ca`; the error names the file.
[[nodiscard]] std::string tls_load_cafile(mbedtls_x509_crt& ca, const std::string& cafile);
/// Adds the CA certificates of every file of the directory `capath` to
/// `ca`: a file holding a PEM certificate that does not parse is an error
/// naming it, a file holding none is skipped, and a directory with none at
/// all is an error.
[[nodiscard]] std::string tls_load_capath(mbedtls_x509_crt& ca, const std::string& capath);
/// Loads the PEM CRLs of `crlfile` into `crl`; the error names the file.
[[nodiscard]] std::string tls_load_crlfile(mbedtls_x509_crl& crl, const std::string& crlfile);
/// The CRL of `crls` issued by `cert`'s issuer that lists `cert`, as its
/// serial ("0A:1B"); empty if none does.
[[nodiscard]] std::string tls_revoked_serial(const mbedtls_x509_crt& cert, const mbedtls_x509_crl& crls);
/// `cert`'s serial number as mbedTLS prints it ("0A:1B").
[[nodiscard]] std::string tls_serial_text(const mbedtls_x509_crt& cert);

}  // namespace actormq::net
