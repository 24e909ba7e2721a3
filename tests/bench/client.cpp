#include "tests/bench/client.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "tests/bench/payload.hpp"
#include "tests/bench/sysstat.hpp"

namespace mqttbench {

namespace {
constexpr size_t id_words = 65536 / 64;
}  // namespace

const char* close_reason_name(CloseReason r) {
    switch (r) {
        case CloseReason::none: return "none";
        case CloseReason::connect_failed: return "connect_failed";
        case CloseReason::refused: return "refused";
        case CloseReason::protocol_error: return "protocol_error";
        case CloseReason::peer_closed: return "peer_closed";
        case CloseReason::local: return "local";
    }
    return "unknown";
}

Client::Client(Loop& loop, ClientEvents& events, uint32_t index, Version version)
    : loop_(loop), events_(events), index_(index), version_(version) {}

Client::~Client() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool Client::start(const sockaddr_in& dest, const sockaddr_in* source, std::string client_id,
                   uint16_t keepalive_s, bool clean_start) {
    client_id_ = std::move(client_id);
    keepalive_s_ = keepalive_s;
    clean_start_ = clean_start;
    connect_started_ns_ = now_ns();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        state_ = State::closed;
        return false;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (source != nullptr) {
        // Defer the port choice to connect() so ports are unique per 4-tuple, not per
        // source address; with K sources this lifts the ephemeral-port ceiling K-fold.
        setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(source), sizeof *source) != 0) {
            close(CloseReason::connect_failed);
            return false;
        }
    }
    int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&dest), sizeof dest);
    if (rc != 0 && errno != EINPROGRESS) {
        close(CloseReason::connect_failed);
        return false;
    }
    state_ = State::tcp_connecting;
    if (!loop_.watch(fd_, this)) {
        close(CloseReason::connect_failed);
        return false;
    }
    return true;
}

void Client::queued() {
    if (!dirty_ && state_ != State::closed) {
        dirty_ = true;
        loop_.mark_dirty(this);
    }
}

void Client::subscribe(std::string_view filter, uint8_t qos) {
    encode_subscribe(out_, take_packet_id(), filter, qos, version_);
    queued();
}

uint16_t Client::publish(std::string_view topic, uint8_t qos, bool retain, size_t payload_len,
                         uint32_t publisher, uint32_t seq) {
    uint16_t id = qos > 0 ? take_packet_id() : 0;
    if (qos > 0) {
        ++inflight_;
    }
    encode_publish_header(out_, topic, qos, retain, id, payload_len, version_);
    // Stamped at encode time: the write follows within the same loop turn.
    write_payload(out_.extend(payload_len), payload_len, Stamp{now_ns(), publisher, seq});
    queued();
    return id;
}

uint16_t Client::publish_empty_retained(std::string_view topic, uint8_t qos) {
    uint16_t id = qos > 0 ? take_packet_id() : 0;
    if (qos > 0) {
        ++inflight_;
    }
    encode_publish_header(out_, topic, qos, true, id, 0, version_);
    queued();
    return id;
}

void Client::ping() {
    encode_pingreq(out_);
    queued();
}

void Client::disconnect() {
    if (state_ == State::closed) {
        return;
    }
    encode_disconnect(out_, version_);
    close_after_flush_ = true;
    queued();
}

void Client::close(CloseReason why) {
    if (state_ == State::closed) {
        return;
    }
    state_ = State::closed;
    tls_.reset();
    if (fd_ >= 0) {
        ::close(fd_);  // also removes it from the epoll set
        fd_ = -1;
    }
    out_.reset();
    events_.on_closed(*this, why);
}

void Client::abort() {
    if (fd_ >= 0) {
        // Linger 0: close() sends RST and leaves no TIME_WAIT behind.
        linger off{1, 0};
        (void)::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &off, sizeof off);
    }
    close(CloseReason::local);
}

uint16_t Client::take_packet_id() {
    if (!ids_in_use_) {
        ids_in_use_ = std::make_unique<uint64_t[]>(id_words);
    }
    // Packet ids are 1..65535 (MQTT 3.1.1 §2.3.1); skip ids still awaiting their ack.
    for (int tries = 0; tries < 65535; ++tries) {
        next_id_ = next_id_ == 65535 ? 1 : next_id_ + 1;
        uint64_t bit = uint64_t{1} << (next_id_ % 64);
        uint64_t& word = ids_in_use_[next_id_ / 64];
        if ((word & bit) == 0) {
            word |= bit;
            return next_id_;
        }
    }
    return 0;
}

void Client::release_packet_id(uint16_t id) {
    if (ids_in_use_) {
        ids_in_use_[id / 64] &= ~(uint64_t{1} << (id % 64));
    }
}

void Client::on_events(uint32_t ev) {
    if (state_ == State::closed) {
        return;
    }
    if (state_ == State::tcp_connecting) {
        if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) {
            return;
        }
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (ev & (EPOLLERR | EPOLLHUP)) != 0) {
            close(CloseReason::connect_failed);
            return;
        }
        if (tls_enabled()) {
            tls_ = std::make_unique<TlsConn>(fd_);
            state_ = State::tls_handshaking;
            step_handshake();
            return;
        }
        state_ = State::mqtt_connecting;
        encode_connect(out_, ConnectOptions{client_id_, keepalive_s_, clean_start_, version_});
        queued();
        return;
    }
    if (state_ == State::tls_handshaking) {
        step_handshake();
        return;
    }
    if ((ev & EPOLLIN) != 0 || (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        on_readable();
    }
    if (state_ != State::closed && (ev & EPOLLOUT) != 0 && (!out_.empty() || (tls_ && tls_->pending()))) {
        on_writable();
    }
}

void Client::step_handshake() {
    switch (tls_->handshake()) {
        case TlsConn::Step::done:
            state_ = State::mqtt_connecting;
            encode_connect(out_, ConnectOptions{client_id_, keepalive_s_, true, version_});
            queued();
            return;
        case TlsConn::Step::wait:
            return;  // the next edge continues it
        case TlsConn::Step::failed:
        case TlsConn::Step::closed:
            close(CloseReason::connect_failed);
            return;
    }
}

void Client::on_tls_readable() {
    std::span<uint8_t> buf = loop_.read_buffer();
    while (state_ != State::closed) {
        long n = tls_->read(buf.data(), buf.size());
        if (n == 0) {
            return;  // drained to EAGAIN
        }
        if (n < 0) {
            close(n == -1 ? CloseReason::peer_closed : CloseReason::protocol_error);
            return;
        }
        if (!feed_input(buf.first(static_cast<size_t>(n)))) {
            return;
        }
    }
}

bool Client::feed_input(std::span<const uint8_t> bytes) {
    uint64_t t = now_ns();
    if (parser_.feed(bytes, [&](const Packet& p) { on_packet(p, t); }) != ParseError::none) {
        close(CloseReason::protocol_error);
        return false;
    }
    return true;
}

void Client::on_tls_writable() {
    while (!out_.empty()) {
        long n = tls_->write(out_.data(), out_.size());
        if (n > 0) {
            out_.consume(static_cast<size_t>(n));
            last_send_ns_ = loop_.now();
            continue;
        }
        if (n == 0 && tls_->last_error() == 0) {
            return;  // EPOLLOUT will call back
        }
        close(CloseReason::peer_closed);
        return;
    }
    if (!tls_->flush()) {
        if (tls_->last_error() != 0) {
            close(CloseReason::peer_closed);
        }
        return;
    }
    if (close_after_flush_) {
        close(CloseReason::local);
    }
}

void Client::on_readable() {
    if (tls_) {
        on_tls_readable();
        return;
    }
    std::span<uint8_t> buf = loop_.read_buffer();
    while (state_ != State::closed) {
        ssize_t n = ::read(fd_, buf.data(), buf.size());
        if (n > 0) {
            if (!feed_input(buf.first(static_cast<size_t>(n)))) {
                return;
            }
            if (static_cast<size_t>(n) < buf.size()) {
                // A short read drained the socket; the next edge will bring more.
                return;
            }
            continue;
        }
        if (n == 0) {
            close(CloseReason::peer_closed);
            return;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            close(CloseReason::peer_closed);
        }
        return;
    }
}

void Client::on_writable() {
    if (tls_) {
        on_tls_writable();
        return;
    }
    while (!out_.empty()) {
        ssize_t n = ::write(fd_, out_.data(), out_.size());
        if (n > 0) {
            out_.consume(static_cast<size_t>(n));
            last_send_ns_ = loop_.now();
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return;  // EPOLLOUT will call back
        }
        close(CloseReason::peer_closed);
        return;
    }
    if (close_after_flush_) {
        close(CloseReason::local);
    }
}

void Client::flush() {
    dirty_ = false;
    if (state_ == State::closed || state_ == State::tcp_connecting || state_ == State::tls_handshaking) {
        return;
    }
    on_writable();
}

void Client::on_packet(const Packet& p, uint64_t recv_ns) {
    if (state_ == State::closed) {
        return;
    }
    switch (p.type) {
        case PacketType::connack: {
            auto d = decode_connack(p, version_);
            if (d.status != DecodeStatus::ok) {
                close(CloseReason::protocol_error);
                return;
            }
            if (d.value.reason != 0) {
                close(CloseReason::refused);
                return;
            }
            receive_maximum_ = d.value.receive_maximum;
            state_ = State::connected;
            accepted_ = true;
            events_.on_connected(*this, d.value);
            return;
        }
        case PacketType::publish:
            on_publish(p, recv_ns);
            return;
        case PacketType::puback:
        case PacketType::pubrec:
        case PacketType::pubrel:
        case PacketType::pubcomp:
            on_ack(p);
            return;
        case PacketType::suback: {
            auto d = decode_suback(p, version_);
            if (d.status != DecodeStatus::ok) {
                close(CloseReason::protocol_error);
                return;
            }
            release_packet_id(d.value.packet_id);
            events_.on_subscribed(*this, d.value);
            return;
        }
        case PacketType::pingresp:
            events_.on_pingresp(*this);
            return;
        case PacketType::disconnect:
            close(CloseReason::peer_closed);
            return;
        default:
            close(CloseReason::protocol_error);
            return;
    }
}

void Client::on_publish(const Packet& p, uint64_t recv_ns) {
    auto d = decode_publish(p, version_);
    if (d.status != DecodeStatus::ok) {
        close(CloseReason::protocol_error);
        return;
    }
    // QoS 2 is counted on PUBLISH (method A, MQTT 3.1.1 §4.3.3): the broker does not
    // resend it on this connection once PUBREC is sent.
    if (d.value.qos == 1) {
        encode_ack(out_, PacketType::puback, d.value.packet_id);
        queued();
    } else if (d.value.qos == 2) {
        encode_ack(out_, PacketType::pubrec, d.value.packet_id);
        queued();
    }
    events_.on_message(*this, d.value, recv_ns);
}

void Client::on_ack(const Packet& p) {
    auto d = decode_ack(p);
    if (d.status != DecodeStatus::ok) {
        close(CloseReason::protocol_error);
        return;
    }
    uint16_t id = d.value.packet_id;
    switch (p.type) {
        case PacketType::pubrec:
            // v5 reason >= 0x80 ends the QoS 2 flow at PUBREC (MQTT 5 §4.3.3).
            if (d.value.reason >= 0x80) {
                break;
            }
            encode_ack(out_, PacketType::pubrel, id);
            queued();
            return;
        case PacketType::pubrel:
            encode_ack(out_, PacketType::pubcomp, id);
            queued();
            return;
        default:
            break;
    }
    release_packet_id(id);
    if (inflight_ > 0) {
        --inflight_;
    }
    events_.on_acked(*this, id, d.value.reason);
}

}  // namespace mqttbench
