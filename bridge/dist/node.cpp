#include "bridge/dist/node.hpp"

#include <unistd.h>

#include <algorithm>
#include <future>
#include <stdexcept>

#include "bridge/dist/node_link.hpp"
#include "core/logger.hpp"
#include "net/tcp_listener.hpp"
#include "sched/process.hpp"
#include "sched/scheduler.hpp"

namespace actormq::dist {

namespace {

/// Listens for node links on one scheduler and spawns an accepting NodeLink
/// for each connection, on the same scheduler.
class LinkListener final : public sched::Process {
 public:
  LinkListener(Node& node, std::promise<core::Result<std::uint16_t>> bound)
      : node_(node), bound_(std::move(bound)) {}

 protected:
  void on_start() override {
    pin();
    if (!node_.attach(self())) {
      bound_.set_value(core::Failure{"cluster listener: the node is stopped"});
      exit(sched::ExitReason::normal());
      return;
    }
    const auto& c = node_.config();
    auto opened = net::TcpListener::open(scheduler().loop(), c.bind, c.port, [this](int fd) { accept(fd); });
    if (opened.listener == nullptr) {
      bound_.set_value(core::Failure{"cluster listener: " + opened.error});
      exit(sched::ExitReason::error(opened.error));
      return;
    }
    socket_ = opened.listener;
    bound_.set_value(socket_->port());
  }
  void on_message(sched::Message&) override {}
  void on_exit(const sched::ExitReason&) override {
    if (socket_ != nullptr) {
      socket_->close();
      socket_ = nullptr;
    }
    node_.detach(self());
  }

 private:
  void accept(int fd) {
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(scheduler().id());
    o.pinned = true;
    o.start = true;
    // Not linked to us: a link outlives a listener that is closing.
    if (!spawn(std::make_unique<NodeLink>(node_, fd), o).valid()) {
      ::close(fd);
    }
  }

  Node& node_;
  std::promise<core::Result<std::uint16_t>> bound_;
  net::TcpListener* socket_ = nullptr;
};

}  // namespace

Node::Node(sched::Runtime& runtime, const Registry& registry, NodeConfig config)
    : runtime_(runtime), registry_(registry), config_(std::move(config)), names_(config_.self) {
  if (config_.cookie.empty() || !valid_node_name(config_.self.name)) {
    throw std::invalid_argument("dist node: empty cookie or invalid node name");
  }
  if (config_.self.id != runtime_.node()) {
    throw std::invalid_argument("dist node: id " + std::to_string(config_.self.id) + " is not the runtime's node " +
                                std::to_string(runtime_.node()));
  }
  if (config_.self.incarnation == 0) {
    // Its low byte is the runtime's creation, the one in this run's pids
    // (sched/pid.hpp); the rest tells apart runs that share a creation.
    do {
      config_.self.incarnation = (new_incarnation() & ~std::uint32_t{0xFF}) | runtime_.creation();
    } while (config_.self.incarnation == 0);
  }
}

Node::~Node() { stop(); }

core::Result<std::uint16_t> Node::start() {
  {
    std::lock_guard lock(mu_);
    if (started_) {
      return core::Failure{"dist node: started twice"};
    }
    started_ = true;
  }
  std::promise<core::Result<std::uint16_t>> bound;
  auto port = bound.get_future();
  sched::SpawnOptions o;
  o.pinned = true;
  o.start = true;
  (void)runtime_.spawn(std::make_unique<LinkListener>(*this, std::move(bound)), o);
  core::Result<std::uint16_t> result = port.get();
  if (!result) {
    stop();
    return result;
  }
  {
    std::lock_guard lock(mu_);
    listen_port_ = *result;
  }
  {
    std::lock_guard names_lock(names_mu_);
    name_keeper_ = spawn_name_keeper();
  }
  runtime_.set_remote_delivery(this);
  for (const Endpoint& seed : config_.seeds) {
    connect(seed);
  }
  return result;
}

bool Node::dial(const Endpoint& to, bool learnt) {
  {
    std::lock_guard lock(mu_);
    if (!started_ || !dialing_.insert(to.to_string()).second) {
      return false;
    }
  }
  sched::SpawnOptions o;
  o.pinned = true;
  o.start = true;
  if (!runtime_.spawn(std::make_unique<NodeLink>(*this, to, learnt), o).valid()) {
    dial_ended(to);
    return false;
  }
  return true;
}

void Node::dial_ended(const Endpoint& to) {
  std::lock_guard lock(mu_);
  dialing_.erase(to.to_string());
}

Gossip Node::gossip() const {
  std::lock_guard lock(mu_);
  Gossip g;
  g.port = listen_port_;
  for (const auto& [id, peer] : peers_) {
    if (!peer.endpoint.host.empty()) {
      g.members.push_back(Member{peer.info, peer.endpoint.host, peer.endpoint.port});
    }
  }
  return g;
}

void Node::learn(const NodeInfo& from, const std::string& host, const Gossip& gossip) {
  std::vector<Endpoint> to_dial;
  bool changed = false;
  sched::Pid from_link;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(from.id);
    if (it != peers_.end() && it->second.info == from && it->second.endpoint.host.empty() && gossip.port != 0) {
      it->second.endpoint = Endpoint{host, gossip.port};  // an accepted link's peer: now we know where it listens
      from_link = it->second.link;
      changed = true;
    }
    for (const Member& m : gossip.members) {
      if (m.node.name == config_.self.name || m.node.id == config_.self.id) {
        continue;
      }
      auto known = peers_.find(m.node.id);
      if (known != peers_.end() && known->second.info.name == m.node.name) {
        continue;  // linked already
      }
      to_dial.push_back(Endpoint{m.host, m.port});
    }
  }
  if (changed) {
    spread(from_link);  // the other peers can now reach it
  }
  for (const Endpoint& e : to_dial) {
    (void)dial(e, true);
  }
}

void Node::spread(sched::Pid except) {
  std::vector<sched::Pid> links;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, peer] : peers_) {
      if (peer.link != except) {
        links.push_back(peer.link);
      }
    }
  }
  for (sched::Pid link : links) {
    runtime_.send<SendGossip>(link);
  }
}

bool Node::attach(sched::Pid pid) {
  std::lock_guard lock(mu_);
  if (!started_) {
    return false;
  }
  live_.insert(pid);
  return true;
}

void Node::detach(sched::Pid pid) {
  std::lock_guard lock(mu_);
  live_.erase(pid);
}

void Node::stop() {
  std::vector<sched::Pid> live;
  {
    std::lock_guard lock(mu_);
    if (!started_) {
      return;
    }
    started_ = false;  // from now on a process that starts ends at once (attach)
    live.assign(live_.begin(), live_.end());
  }
  {
    std::lock_guard names_lock(names_mu_);
    name_keeper_ = {};  // ends below, with the others
  }
  runtime_.set_remote_delivery(nullptr);
  for (sched::Pid pid : live) {
    runtime_.exit(pid, sched::ExitReason::kill());
  }
  // The processes end on their schedulers: wait for them, so that none
  // refers to this node once stop() returns (bounded: a runtime that no
  // longer runs has ended them already, or never will).
  for (int i = 0; i < 5000; ++i) {
    {
      std::lock_guard lock(mu_);
      if (live_.empty()) {
        return;
      }
    }
    usleep(1000);
  }
  ACTORMQ_LOG_WARNING("dist node " << config_.self.name << ": processes still running 5 s after stop");
}

bool Node::send(sched::Pid to, sched::MessagePtr msg) {
  sched::MessagePtr out = sched::make_message<Outgoing>(to, std::move(msg));
  std::lock_guard lock(mu_);
  auto it = peers_.find(to.node());
  if (it == peers_.end()) {
    return false;
  }
  // Into the link's mailbox under the lock: when up() switches the peer to
  // another link, everything routed to the old one is in its mailbox ahead
  // of LinkSuperseded, so the old link writes it before its handover.
  if (!runtime_.send(it->second.link, std::move(out))) {
    return false;  // the link process is gone (it ends; down() follows)
  }
  ++it->second.queued;
  return true;
}

void Node::taken(sched::Pid link, std::uint16_t peer, std::uint32_t n) {
  std::vector<sched::Pid> waiters;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(peer);
    if (it == peers_.end() || it->second.link != link) {
      return;
    }
    Peer& p = it->second;
    p.queued -= std::min(p.queued, n);
    if (!p.waiters.empty() && p.drained(config_)) {
      waiters.swap(p.waiters);
    }
  }
  resume(waiters);
}

bool Node::busy(sched::Pid to) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(to.node());
  return it != peers_.end() && it->second.over(config_);
}

void Node::wait(sched::Pid to, sched::Pid waiter) {
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(to.node());
    if (it != peers_.end() && it->second.over(config_)) {
      it->second.waiters.push_back(waiter);
      counters_.suspended.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  runtime_.resume(waiter);  // drained (or gone) meanwhile
}

void Node::set_busy(sched::Pid link, std::uint16_t peer, bool on) {
  std::vector<sched::Pid> waiters;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(peer);
    if (it == peers_.end() || it->second.link != link) {
      return;
    }
    it->second.busy = on;
    if (on) {
      counters_.busy.fetch_add(1, std::memory_order_relaxed);
    } else if (it->second.drained(config_)) {
      waiters.swap(it->second.waiters);
    }
  }
  resume(waiters);
}

void Node::resume(const std::vector<sched::Pid>& waiters) {
  for (sched::Pid pid : waiters) {
    runtime_.resume(pid);
  }
}

std::optional<RefuseReason> Node::admit(const NodeInfo& peer) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(peer.id);
  if (it != peers_.end() && it->second.info.name != peer.name) {
    return RefuseReason::id_conflict;  // two nodes with one id
  }
  if (it != peers_.end() && it->second.info.incarnation == peer.incarnation) {
    return RefuseReason::duplicate;
  }
  return std::nullopt;
}

Node::UpOutcome Node::up(sched::Pid link, const NodeInfo& peer, bool outgoing, const Endpoint& dialled) {
  sched::Pid replaced;
  bool handover = false;
  std::vector<sched::Pid> waiters;  // of the link this one replaces: the new one is not busy
  std::vector<sched::Pid> up_watchers;
  std::vector<sched::Pid> down_watchers;  // of the earlier incarnation this one replaces
  std::optional<NodeInfo> earlier;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(peer.id);
    if (it == peers_.end() || it->second.info.incarnation != peer.incarnation) {
      up_watchers = node_watchers_;
    }
    if (it != peers_.end()) {
      Peer& old = it->second;
      // A new incarnation replaces the old link (the peer restarted and the
      // old link has not noticed yet). Two links in one incarnation: both
      // nodes dialled at once; both keep the one outgoing_wins() names.
      bool keep_new = old.info.incarnation != peer.incarnation ||
                      (outgoing == outgoing_wins(config_.self.name, peer.name));
      if (!keep_new) {
        return UpOutcome::not_kept;
      }
      replaced = old.link;
      // Same incarnation: the old link may carry messages the peer has not
      // delivered yet; the new one writes after the old one's handover.
      handover = old.info.incarnation == peer.incarnation;
      waiters.swap(old.waiters);
      if (!handover) {
        earlier = old.info;
        down_watchers = take_down_watchers(old.info.name);
      }
    }
    Endpoint endpoint = outgoing ? dialled : Endpoint{};
    if (!outgoing && it != peers_.end() && it->second.info.name == peer.name) {
      endpoint = it->second.endpoint;  // learnt from the link this one replaces
    }
    peers_[peer.id] = Peer{peer, link, outgoing, endpoint, false, 0, {}};
  }
  if (replaced.valid()) {
    runtime_.send<LinkSuperseded>(replaced, LinkSuperseded{handover ? link : sched::Pid{}});
  }
  resume(waiters);
  for (sched::Pid w : down_watchers) {
    (void)runtime_.send<NodeDown>(w, NodeDown{*earlier, "restarted"});
  }
  for (sched::Pid w : up_watchers) {
    (void)runtime_.send<NodeUp>(w, NodeUp{peer});
  }
  spread(link);  // the other peers learn of the new one (the new link sends its own gossip)
  return handover ? UpOutcome::kept_after_handover : UpOutcome::kept;
}

void Node::down(sched::Pid link, const NodeInfo& peer, const std::string& why) {
  bool forgotten = false;
  std::vector<sched::Pid> waiters;  // their sends will fail now (noconnection): let them run
  std::vector<sched::Pid> down_watchers;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(peer.id);
    if (it != peers_.end() && it->second.link == link) {
      waiters.swap(it->second.waiters);
      peers_.erase(it);
      forgotten = true;
      down_watchers = take_down_watchers(peer.name);
    }
  }
  resume(waiters);
  for (sched::Pid w : down_watchers) {
    (void)runtime_.send<NodeDown>(w, NodeDown{peer, why});
  }
  if (forgotten) {
    std::lock_guard names_lock(names_mu_);
    names_.drop_node(peer.id);  // its processes' names go with it
  }
}

std::vector<NodeInfo> Node::peers() const {
  std::lock_guard lock(mu_);
  std::vector<NodeInfo> out;
  for (const auto& [id, peer] : peers_) {
    out.push_back(peer.info);
  }
  return out;
}

sched::Pid Node::link_of(const NodeInfo& peer) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(peer.id);
  return it != peers_.end() && it->second.info == peer ? it->second.link : sched::Pid{};
}

bool Node::linked(std::uint16_t node_id) const {
  std::lock_guard lock(mu_);
  return peers_.contains(node_id);
}

NodeStats Node::stats() const {
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  const Counters& c = counters_;
  return NodeStats{get(c.links_up),    get(c.links_down),  get(c.refused_handshakes), get(c.messages_out),
                   get(c.messages_in), get(c.frames_out),  get(c.frames_in),          get(c.bytes_out),
                   get(c.bytes_in),    get(c.unencodable), get(c.undecodable),        get(c.dropped),
                   get(c.busy),        get(c.suspended),   get(c.max_unsent_bytes)};
}

std::vector<sched::Pid> Node::take_down_watchers(const std::string& node) {
  std::vector<sched::Pid> out = node_watchers_;
  auto [first, last] = node_monitors_.equal_range(node);
  for (auto it = first; it != last; ++it) {
    out.push_back(it->second);
  }
  node_monitors_.erase(first, last);
  return out;
}

void Node::monitor_nodes(sched::Pid watcher, bool on) {
  std::lock_guard lock(mu_);
  auto it = std::find(node_watchers_.begin(), node_watchers_.end(), watcher);
  if (on && it == node_watchers_.end()) {
    node_watchers_.push_back(watcher);
  } else if (!on && it != node_watchers_.end()) {
    node_watchers_.erase(it);
  }
}

void Node::monitor_node(const std::string& name, sched::Pid watcher) {
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, peer] : peers_) {
      if (peer.info.name == name) {
        node_monitors_.emplace(name, watcher);
        return;
      }
    }
  }
  (void)runtime_.send<NodeDown>(watcher, NodeDown{NodeInfo{name, 0, 0}, "not linked"});
}

bool Node::demonitor_node(const std::string& name, sched::Pid watcher) {
  std::lock_guard lock(mu_);
  auto [first, last] = node_monitors_.equal_range(name);
  for (auto it = first; it != last; ++it) {
    if (it->second == watcher) {
      node_monitors_.erase(it);
      return true;
    }
  }
  return false;
}

}  // namespace actormq::dist
