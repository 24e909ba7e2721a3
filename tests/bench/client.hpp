#pragma once
// One MQTT client connection on the bench loop: non-blocking connect, CONNECT,
// SUBSCRIBE, PUBLISH with QoS 0/1/2 flows in both directions, PINGREQ, DISCONNECT.

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tests/bench/loop.hpp"
#include "tests/bench/out_buffer.hpp"
#include "tests/bench/tls.hpp"
#include "tests/bench/wire.hpp"

namespace mqttbench {

class Client;

enum class CloseReason : uint8_t { none, connect_failed, refused, protocol_error, peer_closed, local };

[[nodiscard]] const char* close_reason_name(CloseReason r);

/// What a scenario hears from its clients. Called from the loop thread.
class ClientEvents {
public:
    virtual void on_connected(Client& c, const ConnackView& ack) = 0;
    virtual void on_subscribed(Client& c, const SubackView& ack) = 0;
    virtual void on_message(Client& c, const PublishView& msg, uint64_t recv_ns) = 0;
    /// PUBACK for QoS 1 or PUBCOMP for QoS 2: the publish is complete.
    virtual void on_acked(Client& c, uint16_t packet_id, uint8_t reason) = 0;
    virtual void on_pingresp(Client&) {}
    virtual void on_closed(Client& c, CloseReason why) = 0;

protected:
    ~ClientEvents() = default;
};

class Client final : public Pollable {
public:
    enum class State : uint8_t { idle, tcp_connecting, tls_handshaking, mqtt_connecting, connected, closed };

    Client(Loop& loop, ClientEvents& events, uint32_t index, Version version);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Starts a non-blocking connect from source (port 0 when set) to dest; CONNECT
    /// is sent as soon as TCP is up. False (and closed) when the socket cannot start.
    [[nodiscard]] bool start(const sockaddr_in& dest, const sockaddr_in* source, std::string client_id,
                             uint16_t keepalive_s, bool clean_start = true);

    void subscribe(std::string_view filter, uint8_t qos);
    /// Queues a PUBLISH whose payload begins with stamp; returns its packet id (0 at QoS 0).
    uint16_t publish(std::string_view topic, uint8_t qos, bool retain, size_t payload_len,
                     uint32_t publisher, uint32_t seq);
    /// Queues a retained PUBLISH with an empty payload, which deletes the retained message.
    uint16_t publish_empty_retained(std::string_view topic, uint8_t qos);
    void ping();
    /// Sends DISCONNECT and closes after it is written.
    void disconnect();
    void close(CloseReason why);
    /// Closes at once as a lost link shows to the broker: a TCP reset, no DISCONNECT
    /// and no TLS close_notify. Reported as CloseReason::local.
    void abort();

    [[nodiscard]] State state() const { return state_; }
    /// True once a CONNACK accepted this connection, even after it closed.
    [[nodiscard]] bool was_accepted() const { return accepted_; }
    [[nodiscard]] uint32_t index() const { return index_; }
    [[nodiscard]] Version version() const { return version_; }
    /// Outgoing QoS 1/2 publishes not yet completed.
    [[nodiscard]] uint32_t inflight() const { return inflight_; }
    /// Bytes queued but not yet accepted by the kernel.
    [[nodiscard]] size_t pending_bytes() const { return out_.size(); }
    /// Server's Receive Maximum (v5), else 0.
    [[nodiscard]] uint16_t receive_maximum() const { return receive_maximum_; }
    [[nodiscard]] uint64_t last_send_ns() const { return last_send_ns_; }
    [[nodiscard]] uint64_t connect_started_ns() const { return connect_started_ns_; }

    void on_events(uint32_t events) override;
    void flush() override;

private:
    void on_writable();
    void on_readable();
    void on_tls_readable();
    /// Parses bytes just read, stamped with their arrival time; false (and
    /// the connection closed) on a protocol error.
    bool feed_input(std::span<const uint8_t> bytes);
    void on_tls_writable();
    void step_handshake();
    void on_packet(const Packet& p, uint64_t recv_ns);
    void on_publish(const Packet& p, uint64_t recv_ns);
    void on_ack(const Packet& p);
    void queued();
    uint16_t take_packet_id();
    void release_packet_id(uint16_t id);

    Loop& loop_;
    ClientEvents& events_;
    uint32_t index_;
    Version version_;
    State state_ = State::idle;
    int fd_ = -1;
    bool dirty_ = false;
    bool accepted_ = false;
    bool close_after_flush_ = false;
    std::string client_id_;
    uint16_t keepalive_s_ = 60;
    bool clean_start_ = true;
    uint16_t receive_maximum_ = 0;
    uint16_t next_id_ = 0;
    uint32_t inflight_ = 0;
    uint64_t last_send_ns_ = 0;
    uint64_t connect_started_ns_ = 0;
    // One bit per packet id in use, allocated on the first QoS 1/2 publish.
    std::unique_ptr<uint64_t[]> ids_in_use_;
    OutBuffer out_;
    FrameParser parser_;
    std::unique_ptr<TlsConn> tls_;  // with --tls only
};

}  // namespace mqttbench
