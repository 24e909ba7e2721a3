#pragma once
// A node of the cluster: what makes a send to a pid of another node work.
// It is the runtime's RemoteDelivery: a message for a pid of node N goes to
// the process of the link to N (node_link.hpp), which writes it into that
// link's next frame. It listens for links from other nodes and dials the
// seeds it was given, again and again with backoff while they are away, and
// the nodes its peers are linked to (gossip.hpp), so that every node links
// to every node.
//
// One link per pair of nodes: when two links to one node come up at once
// (both dialled), both nodes keep the same one, outgoing_wins() decides; a
// link to a new incarnation of a node replaces the old link at once.
//
// A link is busy while it holds more than busy_bytes unwritten, or more than
// busy_messages not yet taken from its mailbox: a process that sends to its
// node is then suspended after its current message until the link is down
// to half of both (Erlang's busy distribution port), so a slow link does not
// grow memory without bound.
//
// With NodeConfig's TLS contexts the links are mutual TLS.
//
// Global names (global_names.hpp): register_global gives a name to a local
// process in the whole cluster; whereis_global resolves it on any node.
//
// A pid carries its node's creation (sched/pid.hpp), the low byte of the
// node's incarnation: a pid of an earlier run of a node that a peer still
// holds reaches no process of the node's new run.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bridge/dist/global_names.hpp"
#include "bridge/dist/gossip.hpp"
#include "bridge/dist/handshake.hpp"
#include "bridge/dist/registry.hpp"
#include "bridge/dist/wire.hpp"
#include "core/result.hpp"
#include "net/tls_client_context.hpp"
#include "net/transport.hpp"
#include "sched/remote_delivery.hpp"
#include "sched/runtime.hpp"

namespace actormq::dist {

struct Endpoint {
  std::string host;  ///< an IPv4 or IPv6 address (without brackets), or a name
  std::uint16_t port = 0;
  [[nodiscard]] std::string to_string() const { return host + ":" + std::to_string(port); }
};

inline constexpr std::size_t default_busy_bytes = 1 << 20;
inline constexpr std::uint32_t default_busy_messages = 8192;

struct NodeConfig {
  NodeInfo self;       ///< self.id must be the runtime's node id
  std::string cookie;  ///< never sent; must not be empty
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: an ephemeral port (start() says which)
  std::vector<Endpoint> seeds;
  std::uint32_t heartbeat_ms = 1000;        ///< a tick when nothing else was written for this long
  std::uint32_t node_down_after_ms = 5000;  ///< a link that read nothing for this long is down
  std::uint32_t handshake_timeout_ms = 5000;
  std::uint32_t reconnect_min_ms = 100;  ///< backoff of a dialled seed: doubles up to max
  std::uint32_t reconnect_max_ms = 5000;
  std::uint32_t max_frame = default_max_frame;
  /// Mutual TLS (both set, or neither): accepted links are wrapped by the
  /// server context (which requires a client certificate), dialled ones by
  /// the client context (which verifies the peer against the address dialled).
  std::shared_ptr<const net::Transport> tls_server;
  std::shared_ptr<const net::TlsClientContext> tls_client;
  std::size_t busy_bytes = default_busy_bytes;  ///< unwritten bytes that make a link busy
  std::uint32_t busy_messages = default_busy_messages;  ///< messages waiting for the link process that make it busy
};

/// Figures of all links of the node, since start.
struct NodeStats {
  std::uint64_t links_up = 0;  ///< links established
  std::uint64_t links_down = 0;
  std::uint64_t refused_handshakes = 0;  ///< by either side
  std::uint64_t messages_out = 0;
  std::uint64_t messages_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t unencodable = 0;  ///< messages of a type no node link carries, dropped
  std::uint64_t undecodable = 0;  ///< entries this node could not decode, refused
  std::uint64_t dropped = 0;      ///< taken for a link that went down before writing them
  std::uint64_t busy = 0;         ///< times a link became busy
  std::uint64_t suspended = 0;    ///< senders suspended on a busy link
  std::uint64_t max_unsent_bytes = 0;  ///< the most a link held unwritten
};

class Node final : public sched::RemoteDelivery {
 public:
  /// `registry` (the types that may cross) and `runtime` outlive the node.
  /// Throws std::invalid_argument for a configuration fault (empty cookie,
  /// invalid name, an id other than the runtime's).
  Node(sched::Runtime& runtime, const Registry& registry, NodeConfig config);
  /// Stops (if started).
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Listens, dials the seeds and becomes the runtime's RemoteDelivery.
  /// The port listened on, or why not.
  [[nodiscard]] core::Result<std::uint16_t> start();
  /// Closes the listener and every link; sends to other nodes are dropped
  /// (counted by the runtime) from now on. Idempotent.
  void stop();

  /// Dials `to` (and again after backoff while it is unreachable), unless
  /// a dial to it runs already.
  void connect(const Endpoint& to) { (void)dial(to, false); }

  // ---- sched::RemoteDelivery: thread-safe ----
  bool send(sched::Pid to, sched::MessagePtr msg) override;
  bool busy(sched::Pid to) const override;
  void wait(sched::Pid to, sched::Pid waiter) override;

  // ---- global names (global_names.hpp): thread-safe ----

  /// Gives `name` to the local process `pid` in the whole cluster, until the
  /// process ends or the name is unregistered. False: some process (here or
  /// on a linked node) holds the name already, `pid` is not of this node,
  /// the name is empty or longer than 255 bytes, or the node is not started.
  /// Two nodes that were not linked may both succeed: once linked, the
  /// conflict rule keeps one, and the other process gets GlobalNameLost.
  [[nodiscard]] bool register_global(const std::string& name, sched::Pid pid);
  /// Takes `name` back from the local process that holds it; false if none here does.
  bool unregister_global(const std::string& name);
  /// The process of any node that holds `name`, or the null pid.
  [[nodiscard]] sched::Pid whereis_global(const std::string& name) const;
  /// Every global name this node knows of, with its holder, sorted by name.
  [[nodiscard]] std::vector<std::pair<std::string, sched::Pid>> global_names() const;

  // ---- node events: thread-safe ----

  /// `watcher` gets NodeUp and NodeDown for every peer from now on (Erlang's
  /// net_kernel:monitor_nodes); `on` false stops it.
  void monitor_nodes(sched::Pid watcher, bool on = true);
  /// `watcher` gets one NodeDown when the node named `name` goes down (or at
  /// once if it is not linked now), as Erlang's monitor_node; each call one.
  void monitor_node(const std::string& name, sched::Pid watcher);
  /// Cancels one monitor_node(name, watcher); false if there was none.
  bool demonitor_node(const std::string& name, sched::Pid watcher);

  // ---- thread-safe views ----
  [[nodiscard]] std::vector<NodeInfo> peers() const;
  [[nodiscard]] bool linked(std::uint16_t node_id) const;
  /// The process of the link to `peer` (that incarnation), or the null pid.
  [[nodiscard]] sched::Pid link_of(const NodeInfo& peer) const;
  [[nodiscard]] NodeStats stats() const;
  [[nodiscard]] const NodeConfig& config() const noexcept { return config_; }
  [[nodiscard]] const Registry& registry() const noexcept { return registry_; }
  [[nodiscard]] sched::Runtime& runtime() const noexcept { return runtime_; }

  // ---- for the link processes (node_link.cpp) ----

  /// The acceptor's question once a peer said who it is: refused if it has
  /// this node's name or id, or is linked already in this incarnation.
  [[nodiscard]] std::optional<RefuseReason> admit(const NodeInfo& peer) const;
  enum class UpOutcome {
    kept,
    /// Kept, replacing a link to the same incarnation of the peer: write
    /// nothing until that link's handover is acknowledged (ReleaseHold).
    kept_after_handover,
    not_kept,  ///< another link to the peer is kept: the caller closes
  };
  /// A link is established. A link it replaces is told to close (LinkSuperseded).
  [[nodiscard]] UpOutcome up(sched::Pid link, const NodeInfo& peer, bool outgoing, const Endpoint& dialled);
  /// The link is down (or closed) because `why`; forgets it if it is the peer's link.
  void down(sched::Pid link, const NodeInfo& peer, const std::string& why);
  /// Where this node listens and where its peers do, for a gossip frame.
  [[nodiscard]] Gossip gossip() const;
  /// A peer's gossip: `from` listens on `host`:gossip.port (host as this
  /// node reaches it); the members it names that are neither this node nor
  /// linked are dialled (a learnt dial gives up after a few failures).
  void learn(const NodeInfo& from, const std::string& host, const Gossip& gossip);
  /// The link of `peer` became busy or drained; draining resumes the
  /// senders suspended on it.
  void set_busy(sched::Pid link, std::uint16_t peer, bool on);
  /// The link took `n` messages from its mailbox (Node::send counted them in).
  void taken(sched::Pid link, std::uint16_t peer, std::uint32_t n);
  /// This node's claims, a names frame's body, for a link that comes up.
  [[nodiscard]] std::string names_snapshot() const;
  /// A peer's names frame; false if it is refused (the link closes).
  [[nodiscard]] bool names_from(const NodeInfo& peer, const NamesFrame& frame);
  /// A local holder of global names ended (the name keeper saw it).
  void holder_ended(sched::Pid pid);
  /// A dialling link ends for good: its endpoint may be dialled again.
  void dial_ended(const Endpoint& to);
  /// Every process of the node (listener, links) says when it starts and
  /// ends, so that stop() can end them all. False: stopped; end at once.
  [[nodiscard]] bool attach(sched::Pid pid);
  void detach(sched::Pid pid);

  /// Counters the links add to (relaxed atomics).
  struct Counters {
    std::atomic<std::uint64_t> links_up{0}, links_down{0}, refused_handshakes{0}, messages_out{0},
        messages_in{0}, frames_out{0}, frames_in{0}, bytes_out{0}, bytes_in{0}, unencodable{0},
        undecodable{0}, dropped{0}, busy{0}, suspended{0}, max_unsent_bytes{0};
  };
  Counters& counters() noexcept { return counters_; }

 private:
  struct Peer {
    NodeInfo info;
    sched::Pid link;
    bool outgoing = false;
    Endpoint endpoint;  ///< where it listens for links; host empty until known
    bool busy = false;                ///< over busy_bytes unwritten (the link says)
    std::uint32_t queued = 0;         ///< sent to the link process, not taken yet
    std::vector<sched::Pid> waiters;  ///< senders suspended while it is busy
    [[nodiscard]] bool over(const NodeConfig& c) const { return busy || queued > c.busy_messages; }
    [[nodiscard]] bool drained(const NodeConfig& c) const { return !busy && queued <= c.busy_messages / 2; }
  };
  /// Lets `waiters` run again (outside the lock).
  void resume(const std::vector<sched::Pid>& waiters);
  /// Spawns a dialling link unless one runs for `to`; false if one does.
  bool dial(const Endpoint& to, bool learnt);
  /// Asks every link but `except` to send its peer a fresh gossip frame.
  void spread(sched::Pid except);
  /// Who hears of `node` going down: every monitor_nodes watcher and its
  /// monitor_node watchers (those removed). mu_ held.
  [[nodiscard]] std::vector<sched::Pid> take_down_watchers(const std::string& node);
  /// Hands a names frame to every link (names_mu_ held: in version order).
  void broadcast(const NamesFrame& frame);
  sched::Pid spawn_name_keeper();

  sched::Runtime& runtime_;
  const Registry& registry_;
  NodeConfig config_;
  mutable std::mutex mu_;
  std::unordered_map<std::uint16_t, Peer> peers_;  ///< by node id; only established links
  std::unordered_set<sched::Pid> live_;            ///< the listener and every link process, ended by stop()
  std::unordered_set<std::string> dialing_;        ///< endpoints a link process dials (Endpoint::to_string)
  std::vector<sched::Pid> node_watchers_;          ///< monitor_nodes
  std::unordered_multimap<std::string, sched::Pid> node_monitors_;  ///< monitor_node, by node name
  std::uint16_t listen_port_ = 0;
  bool started_ = false;
  Counters counters_;
  // Global names. Lock order: names_mu_, then mu_.
  mutable std::mutex names_mu_;
  GlobalNames names_;
  sched::Pid name_keeper_;  ///< monitors the local holders; null until started
};

/// Sent to a link that another link to the same node replaces: it writes
/// what it holds and a handover frame, reads on for a while and closes. Once
/// the peer acknowledges the handover (it delivered everything before it),
/// the old link lets `heir` write (ReleaseHold), so that what a process sent
/// over the old link is delivered before what it sent over the new one.
struct LinkSuperseded {
  sched::Pid heir;  ///< null: the new link need not wait (another incarnation)
};
/// A node linked to this one (monitor_nodes).
struct NodeUp {
  NodeInfo node;
};
/// A node that was linked is not any more (monitor_nodes, monitor_node):
/// its link went down, it restarted (a new incarnation), or it never was.
struct NodeDown {
  NodeInfo node;
  std::string reason;
};

/// To a link that was kept after a handover: its predecessor's handover was
/// acknowledged (or that link ended): write.
struct ReleaseHold {};
/// The node's links changed: send the peer a fresh gossip frame.
struct SendGossip {};
/// Send the peer this names frame (its body).
struct SendNames {
  std::string body;
};

}  // namespace actormq::dist
