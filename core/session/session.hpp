#pragma once
// The session process: one per client (EMQX's connection + channel + session
// in one process). It owns the client's Connection (socket, parser, unsent
// bytes: connection.hpp), runs the MQTT state machine and holds the session
// state: subscriptions, the in-flight window, the queue. A persistent session
// outlives its connection and waits, offline, for the client to come back or
// for its expiry.
//
// Handlers live in one file per packet type (handle_*.cpp); deliver.cpp is
// the outgoing side; session.cpp the connection's events and the lifecycle.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/auth/security.hpp"
#include "core/broker_context.hpp"
#include "core/listen/connection_slot.hpp"
#include "core/messages.hpp"
#include "core/rate_limit.hpp"
#include "core/session/connection.hpp"
#include "core/session/session_state.hpp"
#include "mqtt/packets.hpp"
#include "net/socket.hpp"
#include "persist/writer.hpp"
#include "sched/process.hpp"

namespace actormq::core {

/// A v5 enhanced authentication exchange in progress (MQTT 5 section 4.12):
/// the CONNECT waits here until the method has accepted the client.
struct EnhancedAuth {
  mqtt::Connect connect;
  ScramServer scram;
  std::string server_final;  ///< Authentication Data of the CONNACK
};

/// The previous session of a client id is asked to hand over or end.
struct Takeover {
  sched::Pid by;
  bool clean;  ///< the new connection starts a clean session: discard ours
  /// The new connection's user (null: anonymous). A session is handed over
  /// only to its own user; for anyone else it ends as if `clean`.
  std::shared_ptr<const std::string> username;
};

class Session : public ConnectionOwner {
 public:
  /// `slot` is the connection's place in the open-connection counts, and
  /// names the accepting listener (transport, authentication rules).
  Session(BrokerContext& ctx, int fd, ConnectionSlot slot);

  /// A persistent session carried over from a process that crashed.
  struct Restored {
    std::string client_id;
    mqtt::ProtocolVersion version;
    std::uint32_t session_expiry_s;  ///< what is left of it
    SessionState state;
    std::uint16_t listener_index;  ///< whose authentication and ACL rules apply
    std::unique_ptr<std::string> username;
    std::unique_ptr<mqtt::Will> will;  ///< read back from the store: its client went away without DISCONNECT
  };
  /// Starts offline, holding `restored`, waiting for its client.
  Session(BrokerContext& ctx, Restored restored);

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;
  void after_run() override;
  void on_exit(const sched::ExitReason& reason) override;

 private:
  enum class State : std::uint8_t {
    awaiting_connect,   ///< socket open, no CONNECT yet
    authenticating,     ///< v5 enhanced authentication (AUTH packets) under way
    awaiting_handover,  ///< CONNECT taken, waiting for the previous session's state
    connected,
    offline,            ///< persistent session without a connection
    handing_over,       ///< taken over: queues what routers still send us until each routes to the new session
  };

  // ---- the connection's events (session.cpp) ----
  void on_socket(const net::SocketReady& ready);
  void on_packet(mqtt::Packet& packet) override;
  void on_parse_error(const mqtt::Error& error, mqtt::ProtocolVersion version) override;
  void on_connection_lost(ConnectionLoss loss) override;
  /// A subscriber asked us to pause reading, or the publish rate (3.1.1).
  bool reading_paused() const override { return blocked() || rate_paused(); }
  /// Until the handover, or until the publish rate allows more.
  bool input_waits() const override { return state_ == State::awaiting_handover || rate_paused(); }
  Metrics& metrics() override { return ctx_.metrics; }
  const Limits& limits() const override { return ctx_.limits; }
  void send_packet(const mqtt::Packet& packet);
  void flush_output() { conn_.flush(*this); }
  /// Ends the connection after a protocol violation: v5 clients get a
  /// DISCONNECT (or CONNACK before CONNECT is accepted) with the reason first.
  void reject(mqtt::ReasonCode code, std::string_view reason);
  /// The connection is gone (client DISCONNECT, error, takeover, keepalive).
  void connection_lost(bool publish_will);
  void close_socket();
  void end_session(sched::ExitReason reason);
  void arm_keepalive();
  void on_keepalive_check();

  // ---- packet handlers, one file each ----
  void handle_connect(mqtt::Connect& connect);        // handle_connect.cpp
  /// The CONNECT's credentials against the listener's rules: nullopt if
  /// accepted, else the CONNACK reason.
  std::optional<mqtt::ReasonCode> check_credentials(const mqtt::Connect& connect);
  /// Authentication is done: take the CONNECT (client id, will, takeover).
  void accept_connect(mqtt::Connect& connect);
  void finish_connect(bool session_present);
  void start_enhanced_auth(mqtt::Connect& connect);   // handle_auth.cpp
  void handle_auth(const mqtt::Auth& auth);
  void handle_reauth(const mqtt::Auth& auth);
  void send_auth(mqtt::ReasonCode code, std::string data);
  void reauth_failed(std::string_view reason);
  /// A refused CONNECT or AUTH exchange: counted, logged, CONNACK `code`.
  void refuse_auth(mqtt::ReasonCode code, std::string_view reason);
  void handle_publish(mqtt::Publish& publish);        // handle_publish.cpp
  /// Acknowledges a PUBLISH that is not routed (v5: with `code`).
  void acknowledge_refused(const mqtt::Publish& publish, mqtt::ReasonCode code);
  void handle_puback(const mqtt::PublishAck& ack);    // handle_acks.cpp
  void handle_pubrec(const mqtt::PublishAck& ack);
  void handle_pubrel(const mqtt::PublishAck& ack);
  void handle_pubcomp(const mqtt::PublishAck& ack);
  void handle_subscribe(mqtt::Subscribe& subscribe);  // handle_subscribe.cpp
  void handle_unsubscribe(mqtt::Unsubscribe& unsub);
  void handle_disconnect(const mqtt::Disconnect& disconnect);  // handle_disconnect.cpp
  void handle_takeover(const struct Takeover& takeover);
  /// A Takeover by a connection of another user (or anonymous for a user's
  /// session, or the reverse): the session is not theirs to resume.
  bool taken_by_stranger(const struct Takeover& takeover) const;
  /// The previous session's state arrived (awaiting_handover).
  void on_handover(struct Handover& handover);
  void on_handover_delay_elapsed();
  void on_route_synced();
  /// handing_over, every router answered: the state goes to the successor.
  void hand_over();
  /// Takes over a previous session's state (or none) and completes CONNECT.
  void adopt(SessionState state, bool present);

  // ---- outgoing messages (deliver.cpp) ----
  void handle_deliver(Deliver& d);
  bool send_publish(const Deliver& d, std::uint16_t packet_id, bool dup);
  void drain_queue();
  void enqueue(Deliver d);
  /// The out queue holds max_queued_bytes the socket has not taken: no
  /// more messages go into it until the client reads (QoS 0 are dropped).
  bool backlog_full() const;
  /// drain_queue() would send something now.
  bool queue_sendable() const;
  /// Flow control: throttle the publisher of a message that found the queue
  /// long; unthrottle them all once it has drained (or the client went away).
  void throttle_publisher(const AppMessage& msg);
  void release_publishers();
  /// Releases the throttled publishers once our queue and mailbox are short.
  void release_if_caught_up();
  /// Hands unacknowledged and queued shared-subscription messages back to the
  /// group for another member (MQTT 5 4.8.2), when our client has gone.
  void redispatch_shared();
  void on_throttle(sched::Pid by, bool on);
  /// A message our client may not read: counted and dropped; a QoS 1/2
  /// shared-subscription message goes back to its group instead.
  void refuse_unreadable(Deliver d);
  void resend_inflight();
  std::uint16_t next_packet_id();
  std::size_t send_window() const;

  // ---- the stored copy of a persistent session (session_store.cpp) ----
  /// The session outlives its connection and the broker keeps a store.
  bool persistent() const;
  void store(std::vector<persist::Op> ops, persist::HoldPtr hold = {});
  /// Writes the session record; `disconnected_ms` 0 while connected.
  void store_record(std::uint64_t disconnected_ms, persist::HoldPtr hold = {});
  /// Erases the record, queue and in-flight entries of this client id.
  void store_reset();
  /// Durability sync: `ack` goes out once the returned gate and every copy
  /// of it are released (core/store/ack_gate.hpp); otherwise sends it now and
  /// returns null.
  persist::HoldPtr gate_ack(mqtt::Packet ack);
  /// `store_error` != 0: a write the acknowledgement stands for failed; it
  /// is never sent and the connection closes (the client resends).
  void on_ack_ready(std::uint64_t token, int store_error);
  /// Takes `d`'s hold into the write, or drops it: a delivery kept in memory
  /// holds no gate. Waiting for a handover, keeps it (store_handover_queue).
  void store_queued(Deliver& d);
  /// After a handover (awaiting_handover, the record just written): stores
  /// the queued deliveries that are not stored yet, with their holds.
  void store_handover_queue();
  void unstore_queued(const Deliver& d, std::vector<persist::Op>& ops);
  void store_inflight(std::uint16_t id, Inflight& f, std::vector<persist::Op> ops = {});
  void unstore_inflight(std::uint16_t id);

  // ---- routes and will ----
  void add_route(const std::string& full_filter, const Subscription& sub);
  void remove_route(const std::string& full_filter, const Subscription& sub);
  /// Who we are to a shared group's router (empty for other subscriptions).
  Reader reader(const Subscription& sub) const;
  void remove_all_routes();
  void publish_will();
  void route(AppMessagePtr msg, persist::HoldPtr hold = {});

  // ---- access control and limits (acl hooks in the handlers) ----
  /// May our client publish to / receive from `topic`? Without an ACL: yes,
  /// except publishing to a "$" topic (MQTT 4.7.2).
  bool acl_allows(std::string_view topic, AclAccess access) const;
  bool acl_allows_subscribe(std::string_view filter) const;
  /// Over the publish rate: false if the PUBLISH must be refused (v5);
  /// 3.1.1 clients are slowed down instead (reading pauses).
  bool admit_publish(const mqtt::Publish& publish);        // session_access.cpp

  bool v5() const { return version_ == mqtt::ProtocolVersion::v5; }
  /// The accepting listener's authentication and ACL rules (null only
  /// without a Broker).
  const ListenerSecurity* security() const {
    return ctx_.security != nullptr ? &ctx_.security->listener(listener_index_) : nullptr;
  }
  std::uint64_t now_ms();

  BrokerContext& ctx_;
  Connection conn_;  ///< the client's; closed while offline
  sched::TimerRef connect_timer_;  // cancelled on CONNECT: its entry would outlive the need
  // Small fields together: an idle Session pays for no padding between them.
  State state_ = State::awaiting_connect;
  // Flags as bits: every idle session carries them.
  bool counted_connected_ : 1 = false;
  bool stored_ : 1 = false;  ///< this process owns the client's stored session (persist/)
  bool routed_in_run_ : 1 = false;  ///< this run sent a publish to a router
  // Channel: what the CONNECT negotiated.
  mqtt::ProtocolVersion version_ = mqtt::ProtocolVersion::v3_1_1;
  bool request_problem_info_ : 1 = true;
  bool request_response_info_ : 1 = false;  ///< v5: the client asked for Response Information
  bool assigned_id_ : 1 = false;       ///< we chose the client id (v5: tell the client)
  bool server_keep_alive_ : 1 = false; ///< we changed the keep alive (v5: tell the client)
  bool clean_start_ : 1 = true;
  std::uint16_t listener_index_ = 0;  ///< whose rules apply (Security::listener); fills padding
  std::uint16_t client_receive_max_ = 65535;          ///< outgoing QoS 1/2 window (v5)
  std::uint16_t client_alias_max_ = 0;                ///< aliases we may send (v5)
  std::uint16_t keepalive_s_ = 0;
  std::uint32_t client_max_packet_ = 268435460;       ///< bytes we may send (v5)
  std::string client_id_;
  std::unique_ptr<std::string> username_;  ///< on the heap: anonymous clients pay 8 bytes, not 40
  std::uint32_t generation_ = 0;  ///< invalidates timers of an earlier connection
  std::uint32_t session_expiry_s_ = 0;  ///< 0: ends with the connection; max: never
  std::unique_ptr<mqtt::Will> will_;  ///< on the heap: most clients have none

  SessionState session_;

  /// What few connections need: made on first use, so an idle session pays
  /// one pointer for it (memory per idle connection is a target).
  struct PendingAck {
    std::uint64_t token;
    mqtt::Packet packet;
    bool ready;
  };
  struct Rare {
    sched::Pid previous;                   ///< the session we wait on for a handover
    std::vector<std::string> in_aliases;   ///< client's topic aliases, by number (v5)
    std::unordered_map<std::string, std::uint16_t> out_aliases;  ///< ours, by topic (v5)
    std::vector<sched::Pid> throttled;     ///< publishers we asked to pause
    std::uint64_t throttle_sent_ms = 0;    ///< loop time we last asked them (renewed while our queue is high)
    std::vector<sched::Pid> blockers;      ///< subscribers that asked us to pause reading
    std::uint32_t throttle_generation = 0;
    std::unique_ptr<EnhancedAuth> auth;    ///< during an enhanced authentication exchange only
    bool enhanced_auth = false;            ///< connected through SCRAM: re-authentication allowed
    std::optional<RateLimiter> rate;       ///< from the first PUBLISH when a rate limit is set
    sched::Pid successor;                  ///< handing_over: the session that took us over
    /// awaiting_handover: a newer connection took us over before our state
    /// arrived; it gets that state when it does.
    std::unique_ptr<Takeover> superseded_by;
    std::size_t syncs_pending = 0;         ///< handing_over: routers yet to answer RouteSync
    std::unique_ptr<SessionState> delayed_handover;  ///< test only: FaultInjection::handover_delay_ms
    /// Durability sync: acknowledgements waiting for their commit, in the
    /// order the packets they answer arrived (MQTT 4.6).
    std::vector<PendingAck> pending_acks;
  };
  Rare& rare();
  /// A subscriber asked us to pause reading.
  bool blocked() const { return rare_ && !rare_->blockers.empty(); }
  /// Over the publish rate (3.1.1): input waits, read or not, until RateResume.
  bool rate_paused() const { return rare_ && rare_->rate && rare_->rate->paused; }
  void resume_after_rate_pause();
  /// The enhanced authentication exchange in progress, if any.
  EnhancedAuth* auth() const { return rare_ ? rare_->auth.get() : nullptr; }
  /// We asked publishers to pause.
  bool throttling() const { return rare_ && !rare_->throttled.empty(); }
  std::unique_ptr<Rare> rare_;
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

}  // namespace actormq::core
