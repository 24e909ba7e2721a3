#pragma once
// The MQTT protocol state machine of one client connection (EMQX's
// emqx_channel): it takes decoded packets, deliveries, timers and takeover
// events, and makes what follows happen through its ChannelHost
// (channel_host.hpp): packets to send, messages to route, closes, stores.
// It holds what the CONNECT negotiated and the session's state
// (SessionState), and has no socket and no process in it: the session
// process (session.hpp) owns it, implements the host, and a unit test drives
// it with a fake host (tests/core/channel_test.cpp).
//
// Handlers live in one file per packet type (handle_*.cpp); deliver.cpp is
// the outgoing side; channel.cpp the state machine's entry points, closing
// and the lifecycle; session_store.cpp the stored copy; session_access.cpp
// the ACL and the rate limit.
//
// Owner-only: a plain object of its process, called from its handlers.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/auth/scram.hpp"
#include "core/client_id.hpp"
#include "core/client_info.hpp"
#include "core/auth/security.hpp"
#include "core/rate_limit.hpp"
#include "core/session/channel_host.hpp"
#include "core/session/session_state.hpp"
#include "core/session/session_state_codec.hpp"
#include "mqtt/error.hpp"
#include "mqtt/packets.hpp"
#include "sched/exit_reason.hpp"

namespace actormq::core {

/// A v5 enhanced authentication exchange in progress (MQTT 5 section 4.12):
/// the CONNECT waits here until the method has accepted the client.
struct EnhancedAuth {
  mqtt::Connect connect;
  ScramServer scram;
  std::string server_final;  ///< Authentication Data of the CONNACK
};

class Channel {
 public:
  /// A client connection accepted on listener `listener_index`, before CONNECT.
  explicit Channel(std::uint16_t listener_index) : listener_index_(listener_index) {}

  /// A persistent session carried over from a process that crashed.
  struct Restored {
    std::string client_id;
    mqtt::ProtocolVersion version;
    std::uint32_t session_expiry_s;  ///< what is left of it
    SessionState state;
    std::uint16_t listener_index;  ///< whose authentication and ACL rules apply
    std::unique_ptr<std::string> username;
  };
  /// Offline, holding `restored`, waiting for its client.
  Channel(Restored restored, bool stored);
  /// Evacuation (evacuate.cpp): takes over the offline session `from` on
  /// another node, whose identity `restored` carries (its state is empty),
  /// and keeps it offline here.
  Channel(Restored restored, bool stored, sched::Pid from);

  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // ---- the client's packets and connection ----
  /// A packet from the client, whole and in order.
  void handle_in(ChannelHost& host, mqtt::Packet& packet);
  /// The client's bytes do not parse (already counted as malformed).
  void on_parse_error(ChannelHost& host, const mqtt::Error& error, mqtt::ProtocolVersion version);
  /// The connection is gone without a DISCONNECT: the will applies.
  void on_connection_lost(ChannelHost& host) { connection_lost(host, true); }
  /// A subscriber asked us to pause reading, or the publish rate (3.1.1).
  bool reading_paused() const { return blocked() || rate_paused(); }
  /// Until the handover, or until the publish rate allows more.
  bool input_waits() const { return state_ == State::awaiting_handover || rate_paused(); }

  // ---- events from other processes ----
  /// A message for our client, from a router or the retainer.
  void handle_deliver(ChannelHost& host, Deliver& d);
  /// Durability sync: the writes acknowledgement `token` waits for are
  /// committed (`store_error` 0) or failed.
  void on_ack_ready(ChannelHost& host, std::uint64_t token, int store_error);
  /// A subscriber asks us to pause reading (`on`) or to go on.
  void on_throttle(ChannelHost& host, sched::Pid by, bool on);
  void handle_takeover(ChannelHost& host, const Takeover& takeover);
  /// An operator ends the client (core/client_info.hpp Kick): its
  /// connection, with DISCONNECT 0x98 for v5, and its session.
  void kick(ChannelHost& host);
  /// Upgrade (Broker::drain): the connection ends as at a shutdown (v5:
  /// DISCONNECT 0x8B) but the session goes
  /// on: a persistent one offline, its client expected back at the new
  /// process. Its will is dropped as at a DISCONNECT: the client is coming
  /// back, and sets it again. False if there was no client connected.
  /// With a `server_reference`, v5 clients get 0x9C with it instead.
  bool drain(ChannelHost& host, const std::string* server_reference);
  /// A reload closed the client's listener: the connection ends as at a
  /// shutdown (v5: DISCONNECT 0x8B), as a network loss would end it (the
  /// will is published; a persistent session goes offline). False if there
  /// was no client connected.
  bool listener_closed(ChannelHost& host);
  /// The previous session's state arrived (awaiting_handover).
  void on_handover(ChannelHost& host, SessionState state);
  void on_route_synced(ChannelHost& host);
  /// A session on another node took us over and every node routes to it
  /// (HandoverRelease): our routes go, then what we queued meanwhile.
  void on_handover_release(ChannelHost& host, sched::Pid by);
  /// Released, every peer's forwards have reached us (PeersDrain): our routes go.
  void on_peers_drained(ChannelHost& host);
  /// A part of a state from another node: the previous session's, or its tail.
  void on_handover_part(ChannelHost& host, const HandoverPart& part);
  /// What the previous session on another node queued after its state left.
  void on_handover_tail(ChannelHost& host, SessionState tail);
  /// The previous session's state could not be read: we start afresh.
  void on_handover_lost(ChannelHost& host);
  /// A later connection with our client id on another node wins (Supersede).
  void supersede(ChannelHost& host);
  /// A process we monitor ended, for `why`.
  void on_down(ChannelHost& host, sched::Pid pid, const sched::ExitReason& why);

  // ---- evacuation (evacuate.cpp; core/evacuation.hpp) ----
  /// The connection ends (v5: DISCONNECT 0x9C), or an offline persistent
  /// session asks a peer to adopt it. True if it did (what the rates count).
  bool evacuate(ChannelHost& host, const Evacuate& e);
  /// A session spawned on another node for our AdoptRequest asks for our state.
  void handle_adopt(ChannelHost& host, sched::Pid by);
  /// Spawned to adopt a session from another node: asks it for its state.
  void start_adopting(ChannelHost& host);
  bool adopting() const { return rare_ && rare_->adopting; }

  // ---- timers (ChannelTimer), with the generation they were armed with ----
  void on_keepalive_check(ChannelHost& host, std::uint32_t generation);
  void on_rate_resume(ChannelHost& host, std::uint32_t generation);
  void on_will_delay_elapsed(ChannelHost& host, std::uint32_t generation);
  void on_session_expired(ChannelHost& host, std::uint32_t generation);
  void on_throttle_timeout(ChannelHost& host, std::uint32_t generation);
  /// ChannelTimer::successor_wait: the directory is asked again for the
  /// successor of the session our Takeover went to (channel.cpp, on_down).
  void on_successor_wait(ChannelHost& host, std::uint32_t generation);
  void on_handover_delay_elapsed(ChannelHost& host);
  /// The connect timeout armed with `generation` applies: no CONNACK yet.
  bool connect_pending(std::uint32_t generation) const;
  /// No CONNACK in time: the connection ends (a CONNECT waiting for its
  /// handover goes on with a fresh session instead).
  void on_connect_timeout(ChannelHost& host);
  /// The generation timers armed now carry.
  std::uint32_t generation() const { return generation_; }

  // ---- the process's lifecycle ----
  /// Restored offline: takes the routes back, arms the expiry and the will.
  void start_offline(ChannelHost& host);
  /// drain_queue() would send something now.
  bool queue_sendable(const ChannelHost& host) const;
  /// Sends what the window and the backlog allow from the queue.
  void drain_queue(ChannelHost& host);
  /// A publish went to a router since the last call.
  bool take_routed() {
    bool routed = routed_in_run_;
    routed_in_run_ = false;
    return routed;
  }
  /// Releases the throttled publishers once our queue and mailbox are short.
  void release_if_caught_up(ChannelHost& host);
  /// How the process ends (on_exit).
  enum class Exit : std::uint8_t {
    normal,    ///< expired, or ended with its connection
    shutdown,  ///< the broker stops: a persistent session stays stored
    killed,    ///< the connection ends without DISCONNECT: the will goes out
    crashed,   ///< as killed, and a persistent session lives on (hand_to_heir)
    other,     ///< any other reason (an error, noproc, noconnection)
  };
  /// The process ends: the will if the connection ends without DISCONNECT,
  /// the connection closed, publishers released, shared messages handed back.
  void on_exit(ChannelHost& host, Exit how);
  /// After on_exit of a crash: the session is kept in a fresh process.
  bool survives_crash() const;
  /// For the heir of a crashed process: the routes go (the heir adds them
  /// again), the state and the identity move out.
  Restored hand_to_heir(ChannelHost& host);
  /// After on_exit: the routes go; a session that ended (not a shutdown)
  /// leaves nothing stored.
  void forget(ChannelHost& host, Exit how);

  const ClientId& client_id() const { return client_id_; }
  mqtt::ProtocolVersion version() const { return version_; }
  bool connected() const { return state_ == State::connected; }
  /// A persistent session without a connection.
  bool offline() const { return state_ == State::offline; }

  /// What the HTTP API shows of this client (describe.cpp); the connection's
  /// peer, transport and listener are the session's to add.
  ClientInfo describe(bool with_subscriptions) const;

  /// For tests: the session's state.
  const SessionState& state() const { return session_; }

 private:
  enum class State : std::uint8_t {
    awaiting_connect,   ///< socket open, no CONNECT yet
    authenticating,     ///< v5 enhanced authentication (AUTH packets) under way
    awaiting_handover,  ///< CONNECT taken, waiting for the previous session's state
    connected,
    offline,            ///< persistent session without a connection
    handing_over,       ///< taken over: queues what routers still send us until each routes to the new session
  };

  // ---- the connection (channel.cpp) ----
  void send_packet(ChannelHost& host, const mqtt::Packet& packet);
  /// Ends the connection after a protocol violation: v5 clients get a
  /// DISCONNECT (or CONNACK before CONNECT is accepted) with the reason first.
  void reject(ChannelHost& host, mqtt::ReasonCode code, std::string_view reason);
  /// The connection is gone (client DISCONNECT, error, takeover, keepalive).
  void connection_lost(ChannelHost& host, bool publish_will);
  /// Connected: v5 DISCONNECT `reason` (with the Server Reference if one is
  /// given), then the connection goes (drain, listener_closed, evacuate).
  bool shut_down(ChannelHost& host, bool publish_will, mqtt::ReasonCode reason,
                 const std::string* server_reference);
  void close_socket(ChannelHost& host);
  void arm_keepalive(ChannelHost& host);
  void resume_after_rate_pause(ChannelHost& host);

  // ---- packet handlers, one file each ----
  void handle_connect(ChannelHost& host, mqtt::Connect& connect);  // handle_connect.cpp
  /// The CONNECT's credentials against the listener's rules: nullopt if
  /// accepted, else the CONNACK reason.
  std::optional<mqtt::ReasonCode> check_credentials(ChannelHost& host, const mqtt::Connect& connect);
  /// Authentication is done: take the CONNECT (client id, will, takeover).
  void accept_connect(ChannelHost& host, mqtt::Connect& connect);
  void finish_connect(ChannelHost& host, bool session_present);
  void start_enhanced_auth(ChannelHost& host, mqtt::Connect& connect);  // handle_auth.cpp
  void handle_auth(ChannelHost& host, const mqtt::Auth& auth);
  void handle_reauth(ChannelHost& host, const mqtt::Auth& auth);
  void send_auth(ChannelHost& host, mqtt::ReasonCode code, std::string data);
  void reauth_failed(ChannelHost& host, std::string_view reason);
  /// A refused CONNECT or AUTH exchange: counted, logged, CONNACK `code`.
  void refuse_auth(ChannelHost& host, mqtt::ReasonCode code, std::string_view reason);
  void handle_publish(ChannelHost& host, mqtt::Publish& publish);  // handle_publish.cpp
  /// Acknowledges a PUBLISH that is not routed (v5: with `code`).
  void acknowledge_refused(ChannelHost& host, const mqtt::Publish& publish, mqtt::ReasonCode code);
  void handle_puback(ChannelHost& host, const mqtt::PublishAck& ack);  // handle_acks.cpp
  void handle_pubrec(ChannelHost& host, const mqtt::PublishAck& ack);
  void handle_pubrel(ChannelHost& host, const mqtt::PublishAck& ack);
  void handle_pubcomp(ChannelHost& host, const mqtt::PublishAck& ack);
  void handle_subscribe(ChannelHost& host, mqtt::Subscribe& subscribe);  // handle_subscribe.cpp
  void handle_unsubscribe(ChannelHost& host, mqtt::Unsubscribe& unsub);
  void handle_disconnect(ChannelHost& host, const mqtt::Disconnect& disconnect);  // handle_disconnect.cpp
  /// A Takeover by a connection of another user (or anonymous for a user's
  /// session, or the reverse): the session is not theirs to resume.
  bool taken_by_stranger(const Takeover& takeover) const;
  /// handing_over, every router answered: the state goes to the successor.
  void hand_over(ChannelHost& host);
  /// A remote successor released us: our routes go, then the tail follows.
  void remove_routes_for_tail(ChannelHost& host);
  /// The tail we waited for (Rare::tail_from) is here, or its senders gone:
  /// the session goes on to the connection that superseded ours.
  void hand_on_after_tail(ChannelHost& host);
  /// Taken over by `by` on another node: our state goes now, our routes stay
  /// (what they bring is queued) until `by` releases us.
  void hand_over_remote(ChannelHost& host, sched::Pid by);
  /// The session on another node we handed over to is gone before it
  /// released us: the state that went comes back, and the session stays
  /// here offline (or goes on to the takeover we passed on meanwhile).
  void keep_after_lost_successor(ChannelHost& host, const sched::ExitReason& why);
  /// Offline after a move: its expiry, and a pending delayed will's delay,
  /// start again here.
  void arm_offline_timers(ChannelHost& host);
  /// The previous session on another node had moved on: waits on the
  /// successor the directory names now, asking it first if `ask`; false if
  /// there is none.
  bool retarget_takeover(ChannelHost& host, sched::Pid gone, bool ask);
  bool wait_for_successor(ChannelHost& host, bool ask);
  /// Adopted a state from another node: releases `previous`, and the
  /// session the directory names now if that is another and not `except`
  /// (see there); returns that other one.
  std::optional<sched::Pid> release_remote_previous(ChannelHost& host, sched::Pid previous, sched::Pid except = {});
  /// Takes over a previous session's state (or none) and completes CONNECT.
  void adopt(ChannelHost& host, SessionState state, bool present);
  /// Adopting (evacuate.cpp): the state is here; it stays offline with it.
  void settle_adopted(ChannelHost& host, sched::Pid previous);
  /// Adopting: the previous session did not hand over; nothing was claimed.
  void give_up_adopting(ChannelHost& host, std::string_view why);

  // ---- outgoing messages (deliver.cpp) ----
  bool send_publish(ChannelHost& host, const Deliver& d, std::uint16_t packet_id, bool dup);
  void enqueue(ChannelHost& host, Deliver d);
  /// The out queue holds max_queued_bytes the socket has not taken: no
  /// more messages go into it until the client reads (QoS 0 are dropped).
  bool backlog_full(const ChannelHost& host) const;
  /// Flow control: throttle the publisher of a message that found the queue
  /// long; unthrottle them all once it has drained (or the client went away).
  void throttle_publisher(ChannelHost& host, const AppMessage& msg);
  void release_publishers(ChannelHost& host);
  /// Hands unacknowledged and queued shared-subscription messages back to the
  /// group for another member (MQTT 5 4.8.2), when our client has gone.
  void redispatch_shared(ChannelHost& host);
  /// A message our client may not read: counted and dropped; a QoS 1/2
  /// shared-subscription message goes back to its group instead.
  void refuse_unreadable(ChannelHost& host, Deliver d);
  void resend_inflight(ChannelHost& host);
  std::uint16_t next_packet_id();
  std::size_t send_window(const ChannelHost& host) const;

  // ---- the stored copy of a persistent session (session_store.cpp) ----
  /// Writes the whole session afresh (record, queue, in-flight): it settles
  /// here after a move.
  void store_whole(ChannelHost& host);
  /// The session outlives its connection and the broker keeps a store.
  bool persistent(const ChannelHost& host) const;
  void store(ChannelHost& host, std::vector<persist::Op> ops, persist::HoldPtr hold = {});
  /// Writes the session record; `disconnected_ms` 0 while connected.
  void store_record(ChannelHost& host, std::uint64_t disconnected_ms, persist::HoldPtr hold = {});
  /// Erases the record, queue and in-flight entries of this client id.
  void store_reset(ChannelHost& host);
  /// Durability sync: `ack` goes out once the returned gate and every copy
  /// of it are released (core/store/ack_gate.hpp); otherwise sends it now and
  /// returns null.
  persist::HoldPtr gate_ack(ChannelHost& host, mqtt::Packet ack);
  /// Takes `d`'s hold into the write, or drops it: a delivery kept in memory
  /// holds no gate. Waiting for a handover, keeps it (store_handover_queue).
  void store_queued(ChannelHost& host, Deliver& d);
  /// After a handover (awaiting_handover, the record just written): stores
  /// the queued deliveries that are not stored yet, with their holds.
  void store_handover_queue(ChannelHost& host);
  void unstore_queued(const Deliver& d, std::vector<persist::Op>& ops);
  void store_inflight(ChannelHost& host, std::uint16_t id, Inflight& f, std::vector<persist::Op> ops = {});
  void unstore_inflight(ChannelHost& host, std::uint16_t id);

  // ---- routes and will ----
  /// The route of subscription `sub`, keyed `full` in the session's map.
  void add_route(ChannelHost& host, const SharedText& full, const Subscription& sub);
  void remove_route(ChannelHost& host, std::string_view full, const Subscription& sub);
  /// Who we are to a shared group's router (empty for other subscriptions).
  Reader reader(const ChannelHost& host, std::string_view full) const;
  void remove_all_routes(ChannelHost& host);
  void publish_will(ChannelHost& host);
  void route(ChannelHost& host, AppMessagePtr msg, persist::HoldPtr hold = {});

  // ---- access control and limits (session_access.cpp) ----
  /// May our client publish to / receive from `topic`? Without an ACL: yes,
  /// except publishing to a "$" topic (MQTT 4.7.2).
  bool acl_allows(const ChannelHost& host, std::string_view topic, AclAccess access) const;
  bool acl_allows_subscribe(const ChannelHost& host, std::string_view filter) const;
  /// A bridge's own state notification topic, which it may write without an ACL.
  bool bridge_state_topic(std::string_view topic) const;
  /// Over the publish rate: false if the PUBLISH must be refused (v5);
  /// 3.1.1 clients are slowed down instead (reading pauses).
  bool admit_publish(ChannelHost& host, const mqtt::Publish& publish);

  bool v5() const { return version_ == mqtt::ProtocolVersion::v5; }
  /// The accepting listener's authentication and ACL rules (null only
  /// without a Broker).
  const ListenerSecurity* security(const ChannelHost& host) const { return host.security(listener_index_); }

  // Small fields first, as bits where they can be: every idle session
  // carries them, and they fill 16 bytes with no padding.
  State state_ : 3 = State::awaiting_connect;
  mqtt::ProtocolVersion version_ : 3 = mqtt::ProtocolVersion::v3_1_1;
  bool counted_connected_ : 1 = false;
  bool stored_ : 1 = false;  ///< this process owns the client's stored session (persist/)
  bool routed_in_run_ : 1 = false;  ///< a publish went to a router since take_routed()
  bool request_problem_info_ : 1 = true;
  bool request_response_info_ : 1 = false;  ///< v5: the client asked for Response Information
  bool assigned_id_ : 1 = false;       ///< we chose the client id (v5: tell the client)
  bool server_keep_alive_ : 1 = false; ///< we changed the keep alive (v5: tell the client)
  bool clean_start_ : 1 = true;
  bool bridge_ : 1 = false;  ///< CONNECT carried mosquitto's bridge flag (try_private)
  std::uint16_t client_receive_max_ = 65535;          ///< outgoing QoS 1/2 window (v5)
  std::uint16_t client_alias_max_ = 0;                ///< aliases we may send (v5)
  std::uint16_t keepalive_s_ = 0;
  std::uint32_t client_max_packet_ = 268435460;       ///< bytes we may send (v5)
  std::uint32_t session_expiry_s_ = 0;  ///< 0: ends with the connection; max: never
  ClientId client_id_;  ///< shared with the session registry
  std::unique_ptr<std::string> username_;  ///< on the heap: anonymous clients pay 8 bytes, not 40

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
    /// Superseded after our state came from another node: that session,
    /// released, sends us its tail; superseded_by gets all once it is here,
    /// or once both are gone. The state came from the session we asked, or
    /// from the successor it passed our Takeover on to (`tail_also`, named
    /// by the directory): the first one's DOWN may come before the other's tail.
    sched::Pid tail_from;
    sched::Pid tail_also;
    std::size_t syncs_pending = 0;         ///< handing_over: routers yet to answer RouteSync
    /// handing_over to a session on another node (hand_over_remote); once
    /// released, `successor_released`.
    bool remote_successor = false;
    bool successor_released = false;
    bool draining_peers = false;  ///< released, waiting for PeersDrained
    /// Handing over to another node, until released: a copy of the state
    /// that went. A successor lost before it released us (its node down,
    /// an adopter that gave up) leaves the session here, not nowhere.
    std::unique_ptr<SessionState> moved;
    bool moved_to_adopter = false;  ///< `successor` is an adopter (evacuate.cpp)
    /// Handing over to another node: the newest takeover we passed on to
    /// the successor; ours to serve if the successor is lost first.
    std::unique_ptr<Takeover> passed_on;
    std::unique_ptr<SessionState> delayed_handover;  ///< test only: FaultInjection::handover_delay_ms
    /// A state arriving from another node, part by part (on_handover_part).
    std::unique_ptr<SessionStateDecoder> incoming;
    /// Durability sync: acknowledgements waiting for their commit, in the
    /// order the packets they answer arrived (MQTT 4.6). Those before
    /// pending_head are sent: the front is cut off in halves, not at every
    /// commit (erasing the front moved every packet behind it, per ack).
    std::vector<PendingAck> pending_acks;
    std::size_t pending_head = 0;
    /// A full queue was searched for a QoS 0 message to drop and held none,
    /// and none was queued since: the next message that finds the queue full
    /// is dropped without searching it again (a queue of 65,000 searched per
    /// message once kept a node from reading its sockets for seconds).
    bool queue_without_qos0 = false;
    /// Spawned for an evacuated session on another node (evacuate.cpp):
    /// awaiting_handover without a connection; stored once it settles.
    bool adopting = false;
    bool adopt_stored = false;
    /// Takeovers sent again to the successor of a previous session on
    /// another node that had moved on (channel.cpp, on_down).
    std::uint8_t takeover_retargets = 0;
    /// Waits for a successor the directory did not name yet (on_down).
    std::uint8_t successor_waits = 0;
    bool successor_wait_asks = false;  ///< the successor must be asked (the old one was gone first)
  };
  Rare& rare();
  /// A subscriber asked us to pause reading.
  bool blocked() const { return rare_ && !rare_->blockers.empty(); }
  /// Over the publish rate (3.1.1): input waits, read or not, until RateResume.
  bool rate_paused() const { return rare_ && rare_->rate && rare_->rate->paused; }
  /// The enhanced authentication exchange in progress, if any.
  EnhancedAuth* auth() const { return rare_ ? rare_->auth.get() : nullptr; }
  /// We asked publishers to pause.
  bool throttling() const { return rare_ && !rare_->throttled.empty(); }
  std::unique_ptr<Rare> rare_;

  /// Last: the two fields after it live in its tail padding.
  [[no_unique_address]] SessionState session_;
  std::uint16_t listener_index_ = 0;  ///< whose rules apply (Security::listener)
  std::uint32_t generation_ = 0;  ///< invalidates timers of an earlier connection
};

}  // namespace actormq::core
