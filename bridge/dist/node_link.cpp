// NodeLink's life: start, its mailbox, the handshake's outcome, ticks, lingering
// when another link is kept, and loss (dial again or end). The outward side
// is in node_link_dial.cpp, the frames in and out in node_link_io.cpp.
#include "bridge/dist/node_link.hpp"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "core/logger.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::dist {

HandshakeConfig NodeLink::handshake_config() const {
  HandshakeConfig c;
  c.self = node_.config().self;
  c.cookie = node_.config().cookie;
  return c;
}

NodeLink::NodeLink(Node& node, Endpoint to, bool learnt)
    : node_(node), outgoing_(true), learnt_(learnt), endpoint_(std::move(to)),
      builder_(node.registry(), node.config().max_frame) {}

NodeLink::NodeLink(Node& node, int fd)
    : node_(node), outgoing_(false), fd_(fd), builder_(node.registry(), node.config().max_frame) {}

NodeLink::~NodeLink() {
  if (fd_ >= 0) {
    ::close(fd_);  // never started
  }
}

std::uint64_t NodeLink::now_ms() const { return uv_now(scheduler().loop()); }

std::string NodeLink::who() const {
  std::string s = "node link ";
  if (peer_) {
    s += "to " + peer_->name + " ";
  }
  if (outgoing_) {
    s += "(dialled " + endpoint_.to_string() + ")";
  } else {
    s += "(accepted" + (stream_ != nullptr ? " from " + stream_->peer() : std::string()) + ")";
  }
  return s;
}

void NodeLink::on_start() {
  pin();
  if (!node_.attach(self())) {
    exit(sched::ExitReason::normal());  // the node stopped
    return;
  }
  if (outgoing_) {
    dial();
    return;
  }
  socket_ = net::Socket::adopt(scheduler().loop(), fd_, self(), runtime());
  fd_ = -1;
  stream_ = node_.config().tls_server ? node_.config().tls_server->wrap(socket_) : socket_;
  state_ = State::handshaking;
  auto c = handshake_config();
  c.admit = [this](const NodeInfo& peer) { return node_.admit(peer); };
  acceptor_.emplace(std::move(c));
  last_read_ms_ = now_ms();
  send_after(self(), sched::make_message<HandshakeDeadline>(generation_), node_.config().handshake_timeout_ms);
  stream_->want_read(true);
}

void NodeLink::on_message(sched::Message& msg) {
  if (auto* out = msg.as<Outgoing>()) {
    on_outgoing(*out);
  } else if (auto* ready = msg.as<net::SocketReady>()) {
    on_socket(*ready);
  } else if (msg.is<ReadMore>()) {
    read();
  } else if (auto* resolved = msg.as<AddressResolved>()) {
    on_resolved(*resolved);
  } else if (auto* tick = msg.as<Tick>()) {
    on_tick(tick->generation);
  } else if (auto* d = msg.as<HandshakeDeadline>()) {
    if (d->generation == generation_ && (state_ == State::connecting || state_ == State::handshaking)) {
      node_.counters().refused_handshakes.fetch_add(1, std::memory_order_relaxed);
      lost("no handshake within " + std::to_string(node_.config().handshake_timeout_ms) + " ms");
    }
  } else if (msg.is<Redial>()) {
    if (state_ == State::waiting) {
      dial();
    }
  } else if (msg.is<SendGossip>()) {
    if (state_ == State::up) {
      send_gossip();
    }
  } else if (auto* names = msg.as<SendNames>()) {
    if (state_ == State::up) {
      send_names(names->body);
    }
  } else if (auto* superseded = msg.as<LinkSuperseded>()) {
    if (state_ == State::up) {
      ACTORMQ_LOG_INFO(who() << ": another link to the node is kept; closing this one");
      registered_ = false;  // the node forgot us when it chose the other
      heir_ = superseded->heir;
      linger();
    } else if (superseded->heir.valid()) {
      send(superseded->heir, sched::make_message<ReleaseHold>());  // nothing of ours to wait for
    }
  } else if (msg.is<ReleaseHold>()) {
    release_hold();
  } else if (auto* l = msg.as<Linger>()) {
    if (l->generation == generation_ && state_ == State::closing) {
      lost("superseded", false);  // a dialler dials again later (refused while the other link lives)
    }
  } else if (auto* inherit = msg.as<InheritRelations>()) {
    if (state_ == State::up) {
      relations_.merge(std::move(inherit->relations));
    } else {
      for (auto& [pid, signal] : inherit->relations.down()) {
        (void)runtime().send(pid, std::move(signal));
      }
    }
  }
}

void NodeLink::on_socket(const net::SocketReady& ready) {
  if (stream_ == nullptr) {
    return;
  }
  if (state_ == State::connecting && ready.writable) {
    on_connected();
    return;
  }
  if (ready.writable) {
    flush();
  }
  if (ready.readable && stream_ != nullptr) {
    read();
  }
}

void NodeLink::on_handshake_step(Step step) {
  for (std::string& frame : step.send) {
    write(std::move(frame));
  }
  if (!step.outcome) {
    return;
  }
  if (auto* refused = std::get_if<Refused>(&*step.outcome)) {
    node_.counters().refused_handshakes.fetch_add(1, std::memory_order_relaxed);
    // A seed that is this node, or a node we are linked to already through
    // its own dial, is not an error an operator must act on.
    bool expected = refused->reason == RefuseReason::duplicate ||
                    (refused->reason == RefuseReason::id_conflict && outgoing_);
    std::string line = who() + ": handshake refused " + (refused->by_peer ? "by the peer" : "here") + " (" +
                       std::string(to_string(refused->reason)) + (refused->detail.empty() ? "" : ": ") +
                       refused->detail + ")";
    if (refused->reason == RefuseReason::duplicate) {
      // Every few seconds for ever where nodes list each other as seeds: the
      // link that is up says all an operator needs.
      ACTORMQ_LOG_DEBUG(line);
    } else if (expected) {
      ACTORMQ_LOG_INFO(line);
    } else {
      ACTORMQ_LOG_WARNING(line);
    }
    // The seed is this very node (or a node with our name or id, a fault of
    // the configuration): dialling it again would never link.
    bool final = refused->reason == RefuseReason::id_conflict;
    flush();
    lost("refused", final);
    return;
  }
  on_established(std::get<Established>(*step.outcome));
}

void NodeLink::on_established(const Established& est) {
  peer_ = est.peer;
  reader_.set_max_frame(node_.config().max_frame);
  Node::UpOutcome outcome = node_.up(self(), est.peer, outgoing_, endpoint_);
  if (outcome == Node::UpOutcome::not_kept) {
    ACTORMQ_LOG_INFO(who() << ": already linked to " << est.peer.name << "; closing this link");
    linger();  // the peer may have taken this link for the one to keep, for now
    return;
  }
  held_ = outcome == Node::UpOutcome::kept_after_handover;
  registered_ = true;
  state_ = State::up;
  backoff_ms_ = 0;
  failed_dials_ = 0;
  send_gossip();  // where we listen, and whom we are linked to
  send_names(node_.names_snapshot());  // the global names our processes hold
  node_.counters().links_up.fetch_add(1, std::memory_order_relaxed);
  counted_up_ = true;
  ACTORMQ_LOG_NOTICE(who() << ": up (node id " << est.peer.id << ", incarnation " << est.peer.incarnation
                           << ", protocol " << est.version << ")");
  last_write_ms_ = now_ms();
  send_after(self(), sched::make_message<Tick>(generation_), node_.config().heartbeat_ms);
}

void NodeLink::linger() {
  // Another link to the peer is kept. The peer may still write here until it
  // too has switched: keep reading and delivering for a while, then close,
  // so that nothing sent on this link before the switch is lost. The
  // handover frame tells the peer that nothing more comes on this link.
  flush_frame();
  write(std::string(handover_frame()));
  state_ = State::closing;
  superseded_ = true;
  const auto& c = node_.config();
  send_after(self(), sched::make_message<Linger>(generation_),
             std::min<std::uint32_t>(c.node_down_after_ms, std::max<std::uint32_t>(c.heartbeat_ms * 10, 500)));
}

void NodeLink::on_tick(std::uint32_t generation) {
  if (generation != generation_ || state_ != State::up) {
    return;
  }
  const std::uint64_t now = now_ms();
  const auto& c = node_.config();
  if (now - last_read_ms_ >= c.node_down_after_ms) {
    lost("silent for " + std::to_string(now - last_read_ms_) + " ms");
    return;
  }
  if (now - last_write_ms_ >= c.heartbeat_ms && out_pos_ == out_.size()) {
    write_now(tick_frame());  // a held link is alive too
    last_write_ms_ = now;
  }
  // Checked at twice the heartbeat's rate, so that neither a tick nor the
  // down verdict comes more than half a period late.
  send_after(self(), sched::make_message<Tick>(generation_), std::max<std::uint32_t>(1, c.heartbeat_ms / 2));
}

void NodeLink::close_socket() {
  if (stream_ != nullptr) {
    stream_->close();  // and the socket under it
    stream_ = nullptr;
    socket_ = nullptr;
  }
  out_.clear();
  out_pos_ = 0;
  reader_ = FrameReader(handshake_max_frame);
  initiator_.reset();
  acceptor_.reset();
}

void NodeLink::fire_noconnection() {
  if (superseded_ && peer_) {
    // The peer is still linked through the link that replaced this one: its
    // links and monitors go on there, they did not lose the connection.
    sched::Pid heir = node_.link_of(*peer_);
    if (heir.valid() && heir != self()) {
      send(heir, sched::make_message<InheritRelations>(InheritRelations{std::move(relations_)}));
      relations_ = LinkRelations{};
      return;
    }
  }
  for (auto& [pid, signal] : relations_.down()) {
    (void)runtime().send(pid, std::move(signal));
  }
}

void NodeLink::release_heir() {
  if (heir_.valid()) {
    send(heir_, sched::make_message<ReleaseHold>());
    heir_ = {};
  }
}

void NodeLink::release_hold() {
  if (!held_) {
    return;
  }
  held_ = false;
  if (!held_out_.empty()) {
    write(std::exchange(held_out_, {}));
  }
}

void NodeLink::lost(const std::string& why, bool final) {
  const bool was_up = state_ == State::up || state_ == State::closing;
  release_heir();  // whatever this link carried is delivered or lost by now
  held_ = false;
  held_out_.clear();
  close_socket();
  fire_noconnection();
  if (registered_) {
    registered_ = false;
    node_.down(self(), *peer_, why);
  }
  if (counted_up_) {
    counted_up_ = false;
    node_.counters().links_down.fetch_add(1, std::memory_order_relaxed);
  }
  if (was_up) {
    ACTORMQ_LOG_NOTICE(who() << ": down (" << why << ")");
  } else {
    ACTORMQ_LOG_DEBUG(who() << ": " << why);
  }
  peer_.reset();
  ++generation_;
  if (!was_up) {
    ++failed_dials_;
  }
  if (!outgoing_ || final || (learnt_ && failed_dials_ >= max_learnt_attempts)) {
    state_ = State::closing;
    exit(sched::ExitReason::normal());
    return;
  }
  // Dial again later: at once after a link that was up (the peer may only
  // have restarted), then with a growing backoff while it stays away.
  const auto& c = node_.config();
  backoff_ms_ = was_up ? c.reconnect_min_ms : std::min(c.reconnect_max_ms, std::max(c.reconnect_min_ms, backoff_ms_ * 2));
  state_ = State::waiting;
  send_after(self(), sched::make_message<Redial>(), backoff_ms_);
}

void NodeLink::on_exit(const sched::ExitReason&) {
  release_heir();
  close_socket();
  fire_noconnection();
  if (registered_) {
    registered_ = false;
    node_.down(self(), *peer_, "the link process ended");
  }
  if (outgoing_) {
    node_.dial_ended(endpoint_);
  }
  node_.detach(self());
}

}  // namespace actormq::dist
