#include "tests/bench/tls.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl_internal.h>
#include <mbedtls/x509_crt.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace mqttbench {

namespace {

TlsOptions g_options;

struct ClientConfig {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;

    ClientConfig() {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        mbedtls_ssl_config_init(&conf);
        mbedtls_x509_crt_init(&ca);
        mbedtls_x509_crt_init(&cert);
        mbedtls_pk_init(&key);
        check(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0), "seed");
        check(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT), "config");
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
        mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        if (!g_options.cafile.empty()) {
            check(mbedtls_x509_crt_parse_file(&ca, g_options.cafile.c_str()), g_options.cafile.c_str());
            mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
            mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        } else {
            mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
        }
        if (!g_options.cert.empty()) {
            check(mbedtls_x509_crt_parse_file(&cert, g_options.cert.c_str()), g_options.cert.c_str());
            check(mbedtls_pk_parse_keyfile(&key, g_options.key.c_str(), nullptr), g_options.key.c_str());
            check(mbedtls_ssl_conf_own_cert(&conf, &cert, &key), "own cert");
        }
    }

    static void check(int rc, const char* what) {
        if (rc != 0) {
            char text[160];
            mbedtls_strerror(rc, text, sizeof text);
            std::fprintf(stderr, "mqttbench: TLS %s: %s\n", what, text);
            std::exit(2);
        }
    }
};

// One per process: a forked worker builds its own (and so its own random state).
const mbedtls_ssl_config& client_config() {
    static pid_t owner = 0;
    static std::unique_ptr<ClientConfig> config;
    if (!config || owner != getpid()) {
        config.release();  // a parent's copy after fork: not ours to free
        config = std::make_unique<ClientConfig>();
        owner = getpid();
    }
    return config->conf;
}

int on_send(void* fd, const unsigned char* data, size_t len) {
    for (;;) {
        ssize_t n = ::send(*static_cast<int*>(fd), data, len, MSG_NOSIGNAL);
        if (n >= 0) {
            return static_cast<int>(n);
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
    }
}

int on_recv(void* fd, unsigned char* data, size_t len) {
    for (;;) {
        ssize_t n = ::recv(*static_cast<int*>(fd), data, len, 0);
        if (n >= 0) {
            return static_cast<int>(n);
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
    }
}

}  // namespace

void set_tls_options(const TlsOptions& options) { g_options = options; }

bool tls_enabled() { return g_options.enabled; }

TlsConn::TlsConn(int fd) : fd_(fd) {
    mbedtls_ssl_init(&ssl_);
    error_ = mbedtls_ssl_setup(&ssl_, &client_config());
    mbedtls_ssl_set_bio(&ssl_, &fd_, on_send, on_recv, nullptr);
}

TlsConn::~TlsConn() { mbedtls_ssl_free(&ssl_); }

TlsConn::Step TlsConn::handshake() {
    if (error_ != 0) {
        return Step::failed;
    }
    int rc = mbedtls_ssl_handshake(&ssl_);
    if (rc == 0) {
        return Step::done;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return Step::wait;
    }
    error_ = rc;
    return rc == MBEDTLS_ERR_SSL_CONN_EOF ? Step::closed : Step::failed;
}

long TlsConn::read(uint8_t* buf, size_t len) {
    int rc = mbedtls_ssl_read(&ssl_, buf, len);
    if (rc > 0) {
        return rc;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return 0;
    }
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF) {
        return -1;
    }
    error_ = rc;
    return -2;
}

long TlsConn::write(const uint8_t* data, size_t len) {
    if (!flush()) {
        return 0;
    }
    int rc = mbedtls_ssl_write(&ssl_, data, len);
    if (rc > 0) {
        return rc;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        // The record is built and held (out_left); mbedTLS 2.28 would report a
        // retry's length, not this one's, so the bytes count as taken here.
        size_t max = static_cast<size_t>(mbedtls_ssl_get_max_out_record_payload(&ssl_));
        return static_cast<long>(len < max ? len : max);
    }
    error_ = rc;
    return -1;
}

bool TlsConn::flush() {
    if (ssl_.out_left == 0) {
        return true;
    }
    int rc = mbedtls_ssl_flush_output(&ssl_);
    if (rc != 0 && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
        error_ = rc;
    }
    return rc == 0;
}

}  // namespace mqttbench
