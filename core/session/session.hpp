#pragma once
// The session process: one per client, the glue of EMQX's connection +
// channel + session. It owns the client's Connection (socket, parser, unsent
// bytes: connection.hpp) and its Channel (the MQTT state machine with the
// session's state: channel.hpp), implements the channel's ChannelHost over
// them and its process, and dispatches its mailbox and its connection's
// reports to the channel. A persistent session outlives its connection and
// waits, offline, for the client to come back or for its expiry.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/broker_context.hpp"
#include "core/listen/connection_slot.hpp"
#include "core/messages.hpp"
#include "core/session/channel.hpp"
#include "core/session/channel_host.hpp"
#include "core/session/connection.hpp"
#include "core/session/session_state.hpp"
#include "mqtt/packets.hpp"
#include "net/socket.hpp"
#include "sched/process.hpp"

namespace actormq::core {

/// How many sessions answered Broker::drain, and how many of them had a
/// client connected (whose connection they ended). Thread-safe.
struct DrainTally {
  std::atomic<std::size_t> answered{0};
  std::atomic<std::size_t> disconnected{0};
};
/// Upgrade: end the client's connection, keep the session (Channel::drain).
struct Drain {
  std::shared_ptr<DrainTally> tally;
  /// upgrade_server_reference: v5 clients get 0x9C with it; null: 0x8B.
  std::shared_ptr<const std::string> server_reference;
};

/// Evacuation, on the node a session moves to (called by its cluster
/// agent): spawns the session that takes `request`'s session over.
sched::Pid spawn_adopter(BrokerContext& ctx, AdoptRequest request);

class Session : public ConnectionOwner, private ChannelHost {
 public:
  /// `slot` is the connection's place in the open-connection counts, and
  /// names the accepting listener (transport, authentication rules).
  Session(BrokerContext& ctx, int fd, ConnectionSlot slot);

  /// A persistent session carried over from a process that crashed.
  using Restored = Channel::Restored;
  /// Starts offline, holding `restored`, waiting for its client.
  Session(BrokerContext& ctx, Restored restored);
  /// Evacuation: takes over the offline session `from` on another node
  /// (Channel::start_adopting) and keeps it offline here.
  Session(BrokerContext& ctx, Restored identity, sched::Pid from);

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;
  void after_run() override;
  void on_exit(const sched::ExitReason& reason) override;

 private:
  // ---- the connection's reports ----
  void on_socket(const net::SocketReady& ready);
  /// The HTTP API asks what this client is (core/client_info.hpp).
  void answer_query(const ClientInfoQuery& query);
  /// TlsReloaded: ends the connection if a reloaded CRL lists the client's certificate.
  void end_if_revoked();
  void drain(const Drain& d);
  /// ListenerClosed: ends the connection if its listener was closed.
  void end_if_listener_closed();
  /// Whether the listener that accepted the connection is closed.
  bool listener_closed() const {
    const ListenerShared* l = conn_.slot().listener();
    return l != nullptr && l->closed.load(std::memory_order_acquire);
  }
  void on_packet(mqtt::Packet& packet) override {
    if (std::holds_alternative<mqtt::Connect>(packet) && listener_closed()) {
      end_if_listener_closed();  // accepted before its listener closed: no session begins
      return;
    }
    ctx().metrics.add_packet(PacketFlow::received, static_cast<std::uint8_t>(mqtt::packet_type(packet)));
    channel_.handle_in(*this, packet);
  }
  void on_parse_error(const mqtt::Error& error, mqtt::ProtocolVersion version) override {
    channel_.on_parse_error(*this, error, version);
  }
  void on_connection_lost(ConnectionLoss loss) override;
  bool reading_paused() const override { return channel_.reading_paused(); }
  bool input_waits() const override { return channel_.input_waits(); }
  void flush_output() { conn_.flush(*this); }

  // ---- ChannelHost (session.cpp) ----
  const Limits& limits() const override { return ctx().limits.at(conn_.limits_version()); }
  Metrics& metrics() override { return ctx().metrics; }
  const ListenerSecurity* security(std::uint16_t index) const override;
  persist::Writer* store() const override { return ctx().store; }
  std::uint32_t handover_delay_ms() const override { return ctx().faults.handover_delay_ms; }
  sched::Pid pid() const override { return self(); }
  std::uint64_t now_ms() override;
  std::uint32_t mailbox_backlog() const override { return Process::mailbox_backlog(); }
  bool mailbox_within(std::uint32_t n) const override { return Process::mailbox_within(n); }
  bool write(const mqtt::Packet& packet, mqtt::ProtocolVersion version) override {
    if (conn_.is_open()) {
      ctx().metrics.add_packet(PacketFlow::sent, static_cast<std::uint8_t>(mqtt::packet_type(packet)));
    }
    return conn_.send(packet, version);
  }
  bool write_publish(const mqtt::PublishHeader& header, const mqtt::SharedBytes& payload,
                     mqtt::ProtocolVersion version) override {
    if (conn_.is_open()) {
      ctx().metrics.add_packet(PacketFlow::sent, static_cast<std::uint8_t>(mqtt::PacketType::publish));
    }
    return conn_.send_publish(header, payload, version);
  }
  bool connection_open() const override { return conn_.is_open(); }
  std::size_t pending_bytes() const override { return conn_.pending_bytes(); }
  void close_connection() override { conn_.close(*this); }
  void set_version(mqtt::ProtocolVersion version) override { conn_.set_version(version); }
  std::string peer_identity() const override { return conn_.peer_identity(); }
  std::uint64_t last_read_ms() const override { return conn_.last_read_ms(); }
  void read_input() override { conn_.read(*this); }
  bool replay_input() override { return conn_.replay_held(*this); }
  void want_input() override { conn_.want_read(); }
  void route(AppMessagePtr msg, persist::HoldPtr hold) override;
  void add_route(const RouteAdd& add) override;
  void remove_route(const RouteRemove& remove) override;
  std::size_t sync_routes() override;
  void redeliver_shared(Deliver d) override;
  void query_retained(const std::string& filter, const SubInfo& info) override;
  std::optional<sched::Pid> claim_client_id(const ClientId& client_id, bool connected) override;
  void send_adopt(sched::Pid to) override;
  void request_adoption(sched::Pid agent, AdoptRequest request) override;
  std::optional<std::string> evacuating() const override { return ctx().evacuation.refusal(); }
  bool send_takeover(sched::Pid to, Takeover takeover) override;
  void send_handover(sched::Pid to, SessionState state, bool tail) override;
  std::optional<sched::Pid> find_remote_session(const std::string& client_id, sched::Pid except = {}) override;
  void release_previous(sched::Pid previous) override;
  bool drain_peers() override;
  void send_throttle(sched::Pid to, bool on) override;
  void monitor(sched::Pid pid) override { Process::monitor(pid); }
  bool durable_acks() const override { return ctx().durable_acks && ctx().ack_sink != nullptr; }
  persist::HoldPtr ack_gate(std::uint64_t token) override;
  void arm_timer(ChannelTimer timer, std::uint32_t generation, std::uint64_t ms) override;
  void cancel_connect_timer() override;
  void charge(std::uint32_t reductions) override { consume(reductions); }
  void end() override { exit(sched::ExitReason::normal()); }

  Session(BrokerContext& ctx, int fd, ConnectionSlot slot, std::uint16_t limits_version);

  // The broker's context, from the runtime (8 bytes a session fewer).
  [[nodiscard]] BrokerContext& ctx() const { return *static_cast<BrokerContext*>(runtime().host()); }
  Connection conn_;  ///< the client's; closed while offline
  sched::TimerRef connect_timer_;  // cancelled on CONNECT: its entry would outlive the need
  Channel channel_;
};

/// The publish rate limit's pause is over (3.1.1 clients; see admit_publish).
struct RateResume {
  std::uint32_t generation;
};

/// The state of a session, moved to the session that took it over once every
/// router routes to that session: nothing routed to the old one comes later.
struct Handover {
  SessionState state;
};
/// Test only (FaultInjection::handover_delay_ms): take the held handover now.
struct HandoverDelayElapsed {};
/// ChannelTimer::successor_wait.
struct SuccessorWait {
  std::uint32_t generation;
};

}  // namespace actormq::core
