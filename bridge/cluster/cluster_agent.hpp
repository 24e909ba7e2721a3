#pragma once
// The cluster agent: one process per node that makes the node's routers
// route across the cluster (EMQX's model, ../../DESIGN.md "The cluster broker").
//
// Route rows. The agent observes every route its node's sessions add and
// remove (RouterPool::observers); when a filter has its first local
// subscriber in the routers' table (core::LocalRoutes) it tells every
// peer's agent (ClusterRoutes add), when it has none left, remove. A peer's
// agent that is new hears all of the table's filters at once (reset).
//
// Shared subscriptions span nodes. A node tells its peers of the groups its
// sessions are members of (ClusterSharedRoutes); in a peer's routers that
// node's forwarder becomes one member of the group, standing for all of the
// group's members there. A publish picks one member of each group where it
// arrives: a local session, or a node, whose router then picks one of its
// own members (ClusterSharedDeliver, RouteSharedPublish). A member that
// leaves with messages unacknowledged hands them to its router, which may
// pick another node. Picking is fair between members as the routers see
// them: a node counts as one member however many it has.
//
// Routes of peers. A peer's rows become routes in this node's routers whose
// subscriber is the peer's forwarder (node_forwarder.hpp): a publish here
// that matches any of them is delivered, once per node however many of its
// filters match, to the forwarder, which passes it to that node's agent over
// the node link (cluster_proto_v1), at the publish's QoS and with its RETAIN
// flag, without ever holding up the routers. The agent republishes what it receives to its own node's
// routers, marked as forwarded so that they skip other nodes' agents: a
// message crosses one link at most. The agent keeps no copy of a peer's
// rows (a cluster holds one per peer per connection: memory counts): the
// routers' one table of rows to other nodes (core::NodeRoutes, which the
// agent writes) is the copy, idempotent by itself (a row added again is
// still one row); it drops all of a peer's at once when the peer goes or
// sends them anew, and counts them (actormq_cluster_routes_remote).
//
// Retained messages. Every retained message a client of this node stores
// or deletes (the retainer tells the agent: RetainObserve) goes to every
// peer's agent, and a peer that is new gets all of this node's; a node
// keeps another's message only if it is newer than its own (arrival time),
// so nodes converge whatever the order. A deletion leaves no trace: a node
// that was away when a topic was deleted brings the old message back.
//
// Flow control. A subscriber that falls behind throttles the publishing
// sessions that feed it wherever they are (Throttle crosses node links); so
// does the agent when forwarded publishes pile up in its mailbox, so that a
// node routing faster than another republishes does not fill its memory,
// and so does a peer's forwarder when its link cannot carry them.
//
// Client ids. The agent keeps the client ids this node's registry holds
// (ClusterDirectory passes each claim and release on) and tells every peer's
// agent (ClusterClients: all at once when it finds the peer, then each
// change); the rows of peers fill this node's directory, where a CONNECT
// for a client id no local session holds finds the session to take over on
// another node. When such a session has moved here, the new session asks
// the agent to release the old one: the agent first makes a round trip to
// every peer's agent (ClusterPing), so that every node routes to the new
// session before the old one's routes go, then passes the release on. A
// peer that is new and holds a client id this node holds too (a partition
// healed) keeps it if its claim is the later one: the local session is
// superseded (ends, v5 DISCONNECT 0x8E); every node applies the same rule.
//
// Peers come and go with their node links (Node::monitor_nodes): a peer that
// goes down takes its routes with it; one that comes back sends them again.
// Agents find each other by global name ("actormq.cluster.<node name>").

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "bridge/cluster/cluster_directory.hpp"
#include "bridge/cluster/cluster_proto_v1.hpp"
#include "bridge/cluster/packed_claim.hpp"
#include "bridge/cluster/session_move_proto_v1.hpp"
#include "bridge/dist/node.hpp"
#include "core/broker_context.hpp"
#include "core/flat_rows.hpp"
#include "core/routing/route_table.hpp"
#include "core/session/channel_host.hpp"
#include "core/siphash.hpp"
#include "sched/process.hpp"

namespace actormq::cluster {

/// The global name of a node's agent.
[[nodiscard]] std::string agent_name(const std::string& node_name);

/// Figures of the agent, since start (relaxed atomics, read by any thread).
struct ClusterCounters {
  std::atomic<std::uint64_t> forwarded_in{0};   ///< publishes other nodes forwarded here
  std::atomic<std::uint64_t> routes_out{0};     ///< route rows sent to peers
  std::atomic<std::uint64_t> routes_in{0};      ///< route rows received from peers
  std::atomic<std::uint64_t> peers{0};          ///< peers' agents known now
  std::atomic<std::uint64_t> retained_out{0};   ///< retained messages passed to peers
  std::atomic<std::uint64_t> retained_in{0};    ///< retained messages peers passed here
  std::atomic<std::uint64_t> throttles{0};      ///< publishers on other nodes slowed down
  std::atomic<std::uint64_t> forwarded_out{0};  ///< publishes forwarded to other nodes
  std::atomic<std::uint64_t> forward_dropped{0};  ///< dropped for a node whose link took nothing
  std::atomic<std::uint64_t> remote_clients{0};   ///< client ids other nodes hold now
  std::atomic<std::uint64_t> superseded{0};       ///< local sessions a later connection elsewhere ended
  std::atomic<std::uint64_t> adopted{0};          ///< sessions an evacuated node asked to move here
};

class ClusterAgent final : public sched::Process {
 public:
  /// `node`, `ctx`, `directory` and `counters` outlive the agent.
  ClusterAgent(dist::Node& node, core::BrokerContext& ctx, ClusterDirectory& directory, ClusterCounters& counters);

 protected:
  void on_start() override;
  void on_message(sched::Message& msg) override;
  void on_exit(const sched::ExitReason& reason) override;
  void after_run() override;

 private:
  struct ReleaseHeld {};
  struct FindAgent {
    std::uint16_t node_id;
    std::uint32_t incarnation;
  };
  struct Peer {
    dist::NodeInfo info;
    sched::Pid agent;      ///< null until found
    sched::Pid forwarder;  ///< its routes' subscriber here (node_forwarder.hpp), once found
    bool rows = false;     ///< rows of it sent to our routers since it was found or last purged
  };

  // Local rows.
  void local_add(const core::RouteAdd& add);
  void local_remove(const core::RouteRemove& remove);
  /// Announces `filter` as this node's table has it now (add or remove).
  void announce_as_held(std::string_view filter);
  void announce(ClusterRoutes::Op op, std::string_view filter);
  void announce_shared(ClusterRoutes::Op op, const std::string& group, std::string_view filter);
  // Peers.
  void node_up(const dist::NodeInfo& peer);
  void node_down(const dist::NodeInfo& peer);
  void find_agent(const FindAgent& f);
  /// The peer's agent is known (by name, or by its first message): our
  /// routes and retained messages go to it, its forwarder starts.
  void found_agent(Peer& peer, sched::Pid agent);
  // Peers' rows.
  /// Takes the filters out of `r`: they go on to the routers.
  void remote_routes(ClusterRoutes& r);
  // A peer agent's rows, routed here to its forwarder. Only the routers
  // keep them (one copy each), not the agent.
  void pass_rows(Peer& peer, bool add, std::vector<std::string>&& filters);
  /// The routers' table forgets every row of the peer, shared ones aside.
  void drop_rows(Peer& peer);
  /// All of the peer's rows go, shared ones too.
  void drop_agent(Peer& peer);
  void remote_shared(const ClusterSharedRoutes& r);
  void drop_shared(sched::Pid agent, sched::Pid forwarder);
  // Forwarded publishes.
  void forwarded(const core::Deliver& d);
  void forwarded_shared(const ClusterSharedDeliver& d);
  /// Our mailbox is deep: `publisher` (another node's session) stops reading.
  void throttle(sched::Pid publisher);
  // Retained messages: this node's go to every peer, a new peer gets all.
  static std::uint64_t peer_tag(const dist::NodeInfo& peer);
  void retained_here(const core::AppMessagePtr& msg);
  void retained_there(const ClusterRetain& r);
  void ship_retained(const core::RetainedDump& dump);

  // Client ids (cluster_agent_clients.cpp).
  bool client_message(sched::Message& msg);
  void client_claimed(const ClientRow& row);
  void client_released(const ClientReleased& r);
  void announce_clients(ClusterRoutes::Op op, const ClientRow& row);
  void send_all_clients(sched::Pid agent);
  void remote_clients(const ClusterClients& c);
  /// A new session here took over `release.previous` on another node.
  void release_after_peers(const core::HandoverRelease& release);
  /// A session here released by its successor on another node asks to hear
  /// once every peer's forwards reached this node (core::PeersDrain).
  void drain_peers(sched::Pid reply_to);
  struct PendingRound {
    core::HandoverRelease release;  ///< passed on when the round ends (release_after_peers)
    sched::Pid drained_to;          ///< or: told PeersDrained (drain_peers)
    std::unordered_set<std::uint16_t> waiting;  ///< peers whose pong is due
  };
  /// Pings every peer; the round ends when each answered or is gone.
  void ping_peers(PendingRound round);
  void round_done(const PendingRound& round);
  void pong(const ClusterPong& p);
  /// A peer's ping: answered once our routers handled what they had,
  /// through the peer's forwarder (after what it holds for that node).
  void answer_ping(const ClusterPing& ping);
  void sync_routers_for_pings();
  void ping_routers_synced();
  /// An evacuated peer's offline session asks to move here (core/evacuation.hpp).
  void adopt(core::AdoptRequest& request);
  /// The directory's adopters: every peer whose agent is known.
  void update_adopters();
  void peer_gone_from_rounds(std::uint16_t node);
  // Test only (cluster_agent_delay.cpp): a slow inbound link.
  using Inbound = std::variant<core::Deliver, ClusterSharedDeliver, ClusterPong>;
  struct Held {
    std::uint64_t due_ms;
    Inbound what;
  };
  /// FaultInjection::forward_delay_ms set and `msg` came from a peer: held.
  bool hold_inbound(sched::Message& msg);
  void release_held();
  std::deque<Held> held_;

  dist::Node& node_;
  core::BrokerContext& ctx_;
  ClusterDirectory& directory_;
  /// A client id this node holds: a ClientRow without a second copy of the id.
  struct LocalClaim {
    sched::Pid session;
    std::uint64_t claimed_ms;
  };
  /// This node's claims as we heard of them, by the client id's keyed hash
  /// (a row per connection: memory counts; the ids themselves are in the
  /// node's registry, read for a new peer's reset). One per id.
  const core::SipKey claims_key_ = core::SipKey::random();
  core::FlatRows<PackedClaim> local_claims_;
  [[nodiscard]] core::Hash128 claim_key(std::string_view client_id) const {
    return core::siphash128(claims_key_, client_id);
  }
  /// Our claim of `client_id`, if we heard of one.
  [[nodiscard]] std::optional<LocalClaim> local_claim(std::string_view client_id) const;
  void set_local_claim(std::string_view client_id, const LocalClaim& claim);
  std::unordered_map<std::uint64_t, PendingRound> rounds_;  ///< by ping tag
  std::vector<ClusterPing> pings_waiting_;  ///< peers' pings for the next router sync
  std::vector<ClusterPing> pings_syncing_;  ///< answered when the routers have synced
  std::size_t router_syncs_left_ = 0;
  std::uint64_t next_tag_ = 1;
  ClusterCounters& counters_;
  /// Local members per shared group (shared_key).
  std::unordered_map<std::string, core::RouteSet<sched::Pid, char>, core::StringHash, std::equal_to<>> local_shared_;
  std::unordered_map<std::uint16_t, Peer> peers_;  ///< by node id, while linked
  std::unordered_map<sched::Pid, std::unordered_set<std::string>> remote_shared_;  ///< shared keys, by peer agent
  std::unordered_set<sched::Pid> throttled_;  ///< publishers we slowed down
  std::uint64_t throttle_sent_ms_ = 0;
};

}  // namespace actormq::cluster
