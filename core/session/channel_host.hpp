#pragma once
// What a Channel (channel.hpp) makes happen outside itself, in one narrow
// interface: the session process implements it over its Connection and its
// process; a unit test implements it with a record of the calls.
//
// Calls, not returned actions: the publish and deliver paths make several
// effects per message (route, acknowledge, charge; encode, count), and a list
// of actions would be built, allocated and walked for each of them. A virtual
// call per effect costs no allocation, and a fake host sees each effect in
// the order it happened just as well as a returned list would show it.
//
// The host is passed to each of the channel's calls, as a Connection takes
// its owner: the channel keeps no pointer to it (memory per idle connection
// is a target). Owner-only: called on the host's thread, from the channel's
// calls, never stored.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/client_id.hpp"
#include "core/evacuation.hpp"
#include "core/limits.hpp"
#include "core/messages.hpp"
#include "core/metrics.hpp"
#include "core/session/session_state.hpp"
#include "mqtt/encode.hpp"
#include "mqtt/packets.hpp"
#include "persist/writer.hpp"
#include "sched/pid.hpp"

namespace actormq::core {

class ListenerSecurity;

/// The previous session of a client id is asked to hand over or end.
struct Takeover {
  sched::Pid by;
  bool clean;  ///< the new connection starts a clean session: discard ours
  /// The new connection's user (null: anonymous). A session is handed over
  /// only to its own user; for anyone else it ends as if `clean`.
  std::shared_ptr<const std::string> username;
};

/// A session's state on its way to another node (session_state_codec.hpp):
/// one part of it, in order; the last part completes it. `tail`: what the
/// previous session queued after its state left, until it stopped being
/// routed to (Channel::on_handover_release).
struct HandoverPart {
  mqtt::SharedBytes bytes;
  bool last = false;
  bool tail = false;
};

/// The session `by` took `previous` (on another node) over and every node
/// routes to it now: `previous` removes its routes and sends its tail.
/// From `by` to its node's ClientDirectory::releaser, which passes it on.
struct HandoverRelease {
  sched::Pid previous;
  sched::Pid by;
};

/// Released, `previous` asks its node's ClientDirectory::releaser for a
/// round trip to every peer before its routes go: what a peer routed here
/// before it routed to the new session travels on another link than the
/// release and may still be on its way. The answer, PeersDrained, comes once
/// each peer's pong arrived behind everything that peer forwarded here.
struct PeersDrain {
  sched::Pid reply_to;
};
struct PeersDrained {};

/// A later connection of this client id on another node won (a partition
/// healed): the session ends, v5 clients get DISCONNECT 0x8E.
struct Supersede {};

/// From an evacuated offline session to a peer's cluster agent: spawn a
/// session that takes it over (Adopt) and keeps it offline there.
struct AdoptRequest {
  sched::Pid session;
  std::string client_id;
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::v3_1_1;
  std::uint32_t session_expiry_s = 0;
  std::optional<std::string> username;  ///< none: anonymous
  std::uint16_t listener_index = 0;     ///< whose rules apply (the same on every node of a cluster)
};

/// From the session spawned for an AdoptRequest to the session it takes
/// over: hand over, as to a CONNECT of the same user, if still offline.
/// Unlike a Takeover it never ends or moves a session with a connection.
struct Adopt {
  sched::Pid by;
};

/// The timers a channel arms; each comes back to it, through the host, with
/// the generation it was armed with (a timer of an earlier connection finds
/// another generation and does nothing).
enum class ChannelTimer : std::uint8_t {
  keepalive,       ///< Channel::on_keepalive_check (coarse: a 250 ms ring, no message until due)
  rate_resume,     ///< Channel::on_rate_resume
  will_delay,      ///< Channel::on_will_delay_elapsed
  session_expiry,  ///< Channel::on_session_expired
  throttle,        ///< Channel::on_throttle_timeout
  handover_delay,  ///< Channel::on_handover_delay_elapsed (test only)
  successor_wait,  ///< Channel::on_successor_wait
};

class ChannelHost {
 public:
  // ---- what the channel reads ----
  virtual const Limits& limits() const = 0;
  virtual Metrics& metrics() = 0;
  /// The authentication and ACL rules of listener `index` (null only
  /// without a Broker).
  virtual const ListenerSecurity* security(std::uint16_t index) const = 0;
  /// The broker's store; null: memory only.
  virtual persist::Writer* store() const = 0;
  /// Test only (FaultInjection::handover_delay_ms): hold a handover this long.
  virtual std::uint32_t handover_delay_ms() const { return 0; }
  /// The process the channel runs in: publisher, route owner, takeover sender.
  virtual sched::Pid pid() const = 0;
  /// Loop time, ms (keep-alive, rate limits, throttles).
  virtual std::uint64_t now_ms() = 0;
  /// Deliveries waiting in the process's mailbox (Process::mailbox_backlog).
  virtual std::uint32_t mailbox_backlog() const = 0;
  /// At most `n` messages wait (Process::mailbox_within).
  virtual bool mailbox_within(std::uint32_t n) const = 0;

  // ---- the connection ----
  /// Encodes a packet for the next flush; false if it could not be encoded.
  [[nodiscard]] virtual bool write(const mqtt::Packet& packet, mqtt::ProtocolVersion version) = 0;
  /// A PUBLISH, its payload shared: false if it could not be encoded.
  [[nodiscard]] virtual bool write_publish(const mqtt::PublishHeader& header, const mqtt::SharedBytes& payload,
                                           mqtt::ProtocolVersion version) = 0;
  virtual bool connection_open() const = 0;
  /// Bytes written and not yet taken by the socket.
  virtual std::size_t pending_bytes() const = 0;
  /// Ends the connection (idempotent); the slot is given back.
  virtual void close_connection() = 0;
  /// The protocol version of the packets to come (from CONNECT).
  virtual void set_version(mqtt::ProtocolVersion version) = 0;
  /// The Common Name of the client's verified certificate; empty without one.
  virtual std::string peer_identity() const = 0;
  /// Loop time (ms) of the last packet read.
  virtual std::uint64_t last_read_ms() const = 0;
  /// Reads on (reading was paused, or input waited).
  virtual void read_input() = 0;
  /// Decodes what was held while input waited; false if the connection closed.
  virtual bool replay_input() = 0;
  /// Asks to be told when the client sends more.
  virtual void want_input() = 0;

  // ---- other processes ----
  /// A message from our client (or its will) to the router, and to the
  /// retainer if it is retained; `hold` gates its acknowledgement.
  virtual void route(AppMessagePtr msg, persist::HoldPtr hold) = 0;
  virtual void add_route(const RouteAdd& add) = 0;
  virtual void remove_route(const RouteRemove& remove) = 0;
  /// Asks every router for a RouteSynced; returns how many answer.
  virtual std::size_t sync_routes() = 0;
  /// A shared-subscription message goes back to its group.
  virtual void redeliver_shared(Deliver d) = 0;
  /// The retained messages matching `filter` come back as deliveries.
  virtual void query_retained(const std::string& filter, const SubInfo& info) = 0;
  /// Claims the client id; the session that held it, if any. `connected`:
  /// for a CONNECT, not an offline session carried over.
  virtual std::optional<sched::Pid> claim_client_id(const ClientId& client_id, bool connected) = 0;
  /// False if `to` is gone.
  virtual bool send_takeover(sched::Pid to, Takeover takeover) = 0;
  /// `to` on another node gets the state as HandoverParts (`tail`: see there).
  virtual void send_handover(sched::Pid to, SessionState state, bool tail = false) = 0;
  /// The session of `client_id` on another node of the cluster (the latest
  /// if several claim it) other than `except`, if any.
  virtual std::optional<sched::Pid> find_remote_session(const std::string& client_id, sched::Pid except = {}) = 0;
  /// Tells `previous` (on another node) that we took it over, once every
  /// node routes to us (HandoverRelease).
  virtual void release_previous(sched::Pid previous) = 0;
  /// Asks this node's releaser for PeersDrained (PeersDrain); false outside
  /// a cluster (nothing to wait for).
  virtual bool drain_peers() = 0;
  /// Evacuation: asks `to` (a session on another node) to hand over to us (Adopt).
  virtual void send_adopt(sched::Pid to) = 0;
  /// Evacuation: asks `agent` (a peer's cluster agent) to take this offline session.
  virtual void request_adoption(sched::Pid agent, AdoptRequest request) = 0;
  /// The node is being evacuated: new CONNECTs are refused, v5 with this
  /// Server Reference (empty: none). Nullopt: it is not.
  [[nodiscard]] virtual std::optional<std::string> evacuating() const = 0;
  /// Asks a publisher to pause (`on`) or resume reading.
  virtual void send_throttle(sched::Pid to, bool on) = 0;
  /// A DOWN follows when `pid` ends (Channel::on_down).
  virtual void monitor(sched::Pid pid) = 0;
  /// Durability sync: acknowledgements wait for the commit of what they acknowledge.
  virtual bool durable_acks() const = 0;
  /// With durable_acks: a gate whose release (and that of every copy) brings
  /// the acknowledgement `token` back (Channel::on_ack_ready).
  virtual persist::HoldPtr ack_gate(std::uint64_t token) = 0;

  // ---- the process ----
  virtual void arm_timer(ChannelTimer timer, std::uint32_t generation, std::uint64_t ms) = 0;
  /// CONNECT was answered: the connect timeout is void.
  virtual void cancel_connect_timer() = 0;
  /// Charges reductions beyond the base cost of a message.
  virtual void charge(std::uint32_t reductions) = 0;
  /// The session ends (normally) once the current message is handled.
  virtual void end() = 0;

 protected:
  ~ChannelHost() = default;
};

}  // namespace actormq::core
