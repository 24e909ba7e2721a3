#pragma once
// mqttbench's TLS client side (mbedTLS), for load against tls listeners: one
// client configuration per process (made on first use, so each forked conn
// worker seeds its own random generator), one TlsConn per connection, over a
// non-blocking socket driven by the edge-triggered loop.

#include <mbedtls/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace mqttbench {

struct TlsOptions {
    bool enabled = false;
    std::string cafile;  // verify the broker against these CAs; empty: no verification
    std::string cert;    // client certificate (PEM), optional
    std::string key;     // its private key
};

/// Set once from the command line, before any connection.
void set_tls_options(const TlsOptions& options);
/// True when connections should speak TLS.
[[nodiscard]] bool tls_enabled();

class TlsConn {
public:
    /// Result of a step: done, wait for the socket, or failed.
    enum class Step : uint8_t { done, wait, failed, closed };

    explicit TlsConn(int fd);
    ~TlsConn();
    TlsConn(const TlsConn&) = delete;
    TlsConn& operator=(const TlsConn&) = delete;

    /// Advances the handshake as far as the socket allows.
    Step handshake();
    /// Reads application bytes: > 0 bytes, 0 would block, -1 closed, -2 failed.
    long read(uint8_t* buf, size_t len);
    /// Writes up to one record of `data`: bytes taken (> 0), 0 would block,
    /// -1 failed. Bytes taken may wait in the record buffer: see pending().
    long write(const uint8_t* data, size_t len);
    /// Sends what a record left unsent; true when nothing waits.
    bool flush();
    [[nodiscard]] bool pending() const { return ssl_.out_left > 0; }
    [[nodiscard]] int last_error() const { return error_; }

private:
    mbedtls_ssl_context ssl_;
    int fd_;
    int error_ = 0;
};

}  // namespace mqttbench
