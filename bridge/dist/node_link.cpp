#include "bridge/dist/node_link.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "core/logger.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::dist {

namespace {

// Reads per wake before the link lets other processes run (as a session does).
constexpr int reads_per_wake = 16;
constexpr std::size_t read_size = 64 * 1024;

HandshakeConfig handshake_config(const Node& node) {
  HandshakeConfig c;
  c.self = node.config().self;
  c.cookie = node.config().cookie;
  return c;
}

/// An address of `host` (numeric IPv4 or IPv6, or a name). Names resolve
/// blocking: seeds are few and dialled rarely.
struct Address {
  sockaddr_storage addr{};
  socklen_t len = 0;
};
std::optional<Address> resolve(const Endpoint& to) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(to.port);
  if (getaddrinfo(to.host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  Address a;
  std::memcpy(&a.addr, found->ai_addr, found->ai_addrlen);
  a.len = found->ai_addrlen;
  freeaddrinfo(found);
  return a;
}

}  // namespace

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
  auto c = handshake_config(node_);
  c.admit = [this](const NodeInfo& peer) { return node_.admit(peer); };
  acceptor_.emplace(std::move(c));
  last_read_ms_ = now_ms();
  send_after(self(), sched::make_message<HandshakeDeadline>(generation_), node_.config().handshake_timeout_ms);
  stream_->want_read(true);
}

void NodeLink::dial() {
  ++generation_;
  superseded_ = false;
  state_ = State::connecting;
  auto addr = resolve(endpoint_);
  int fd = addr ? ::socket(addr->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0) : -1;
  if (fd < 0) {
    lost(addr ? std::string("socket: ") + std::strerror(errno) : "cannot resolve " + endpoint_.host);
    return;
  }
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr->addr), addr->len) != 0 && errno != EINPROGRESS) {
    int err = errno;
    ::close(fd);
    lost(std::string("connect: ") + std::strerror(err));
    return;
  }
  socket_ = net::Socket::adopt(scheduler().loop(), fd, self(), runtime());
  stream_ = socket_;
  socket_->want_write(true);  // writable: the connect is over, one way or the other
  send_after(self(), sched::make_message<HandshakeDeadline>(generation_), node_.config().handshake_timeout_ms);
}

void NodeLink::on_message(sched::Message& msg) {
  if (auto* out = msg.as<Outgoing>()) {
    on_outgoing(*out);
  } else if (auto* ready = msg.as<net::SocketReady>()) {
    on_socket(*ready);
  } else if (msg.is<ReadMore>()) {
    read();
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
  } else if (msg.is<LinkSuperseded>()) {
    if (state_ == State::up) {
      ACTORMQ_LOG_INFO(who() << ": another link to the node is kept; closing this one");
      registered_ = false;  // the node forgot us when it chose the other
      linger();
    }
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

void NodeLink::on_connected() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(socket_->fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    err = errno;
  }
  if (err != 0) {
    lost(std::string("connect: ") + std::strerror(err));
    return;
  }
  state_ = State::handshaking;
  last_read_ms_ = now_ms();
  if (const auto& tls = node_.config().tls_client) {
    // The certificate must name the address or host dialled (an IP address
    // against its IP entries: net/tls_names).
    stream_ = tls->connect(socket_, endpoint_.host);
  }
  initiator_.emplace(handshake_config(node_));
  on_handshake_step(initiator_->start());  // written once TLS is up
  if (stream_ != nullptr) {
    read();  // a TLS handshake starts with the first read
  }
}

void NodeLink::read() {
  static thread_local std::array<std::uint8_t, read_size> buffer;
  for (int i = 0; i < reads_per_wake && stream_ != nullptr; ++i) {
    net::IoResult r = stream_->read(buffer);
    if (r.status == net::IoResult::Status::would_block) {
      stream_->want_read(true);
      if (out_pos_ < out_.size()) {
        flush();  // what waited for a TLS handshake to end
      }
      return;
    }
    if (r.status == net::IoResult::Status::again) {
      consume(50);  // a TLS handshake step: costly crypto
      continue;
    }
    if (r.status != net::IoResult::Status::ok) {
      if (r.status == net::IoResult::Status::error && state_ == State::handshaking) {
        // E.g. a TLS certificate refused: the operator must see why no link comes up.
        node_.counters().refused_handshakes.fetch_add(1, std::memory_order_relaxed);
        ACTORMQ_LOG_WARNING(who() << ": " << stream_->describe(r.error));
      }
      lost(r.status == net::IoResult::Status::closed ? "closed by the peer"
                                                     : "read: " + stream_->describe(r.error));
      return;
    }
    last_read_ms_ = now_ms();
    node_.counters().bytes_in.fetch_add(r.bytes, std::memory_order_relaxed);
    consume(static_cast<std::uint32_t>(r.bytes / 256));
    reader_.feed(std::string_view(reinterpret_cast<const char*>(buffer.data()), r.bytes));
    for (;;) {
      auto body = reader_.next();
      if (!body) {
        lost(std::string("a frame over the maximum size (") + std::string(to_string(body.error())) + ")", true);
        return;
      }
      if (!body->has_value()) {
        break;
      }
      if (!on_frame(**body) || stream_ == nullptr) {
        return;
      }
    }
    if (should_yield()) {
      break;
    }
    if (r.bytes < buffer.size()) {
      stream_->want_read(true);  // a short read emptied the kernel's buffer
      return;
    }
  }
  if (stream_ != nullptr) {
    send(self(), sched::make_message<ReadMore>());  // more may wait: after the others' turn
  }
}

bool NodeLink::on_frame(std::string_view body) {
  if (state_ == State::handshaking) {
    if (body.empty()) {
      lost("a tick before the handshake ended", true);
      return false;
    }
    on_handshake_step(initiator_ ? initiator_->on_frame(body) : acceptor_->on_frame(body));
    return stream_ != nullptr;
  }
  if (body.empty()) {
    return true;  // a tick: the link is alive
  }
  auto kind = frame_kind(body);
  if (kind && *kind == FrameKind::gossip) {
    return on_gossip(body);
  }
  if (!kind || *kind != FrameKind::data) {
    lost("a frame that is not data on an established link", true);
    return false;
  }
  node_.counters().frames_in.fetch_add(1, std::memory_order_relaxed);
  auto decoded = decode_frame(body, node_.registry());
  if (!decoded) {
    // The stream cannot be trusted past a malformed frame.
    lost(std::string("a malformed frame (") + std::string(to_string(decoded.error())) + ")", true);
    return false;
  }
  for (const Refusal& r : decoded->refused) {
    node_.counters().undecodable.fetch_add(1, std::memory_order_relaxed);
    ACTORMQ_LOG_WARNING(who() << ": refused " << describe(r, node_.registry()));
  }
  const std::uint16_t here = node_.config().self.id;
  for (Delivery& d : decoded->deliveries) {
    if (d.to.node() != here) {
      node_.counters().undecodable.fetch_add(1, std::memory_order_relaxed);
      ACTORMQ_LOG_WARNING(who() << ": a message for " << d.to.to_string() << ", not a pid of this node; dropped");
      continue;
    }
    node_.counters().messages_in.fetch_add(1, std::memory_order_relaxed);
    relations_.incoming(d.to, *d.message);
    // A pid that is gone is as in Erlang: the message is dropped.
    (void)runtime().send(d.to, std::move(d.message));
  }
  consume(static_cast<std::uint32_t>(decoded->deliveries.size()));
  return true;
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
    if (expected) {
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
  if (!node_.up(self(), est.peer, outgoing_, endpoint_)) {
    ACTORMQ_LOG_INFO(who() << ": already linked to " << est.peer.name << "; closing this link");
    linger();  // the peer may have taken this link for the one to keep, for now
    return;
  }
  registered_ = true;
  state_ = State::up;
  backoff_ms_ = 0;
  failed_dials_ = 0;
  send_gossip();  // where we listen, and whom we are linked to
  node_.counters().links_up.fetch_add(1, std::memory_order_relaxed);
  counted_up_ = true;
  ACTORMQ_LOG_NOTICE(who() << ": up (node id " << est.peer.id << ", incarnation " << est.peer.incarnation
                           << ", protocol " << est.version << ")");
  last_write_ms_ = now_ms();
  send_after(self(), sched::make_message<Tick>(generation_), node_.config().heartbeat_ms);
}

void NodeLink::on_outgoing(Outgoing& out) {
  ++taken_;
  if (state_ != State::up && state_ != State::closing) {
    // Routed before this link went down: dropped, and a link or monitor it
    // would have set up fires at once, as for a node that cannot be reached.
    node_.counters().dropped.fetch_add(1, std::memory_order_relaxed);
    for (auto& [pid, signal] : LinkRelations::unreachable(out.to, *out.msg)) {
      (void)runtime().send(pid, std::move(signal));
    }
    return;
  }
  Status added = builder_.add(out.to, *out.msg);
  if (!added && added.error() == WireError::frame_too_large && !builder_.empty()) {
    flush_frame();
    added = builder_.add(out.to, *out.msg);
  }
  if (!added) {
    node_.counters().unencodable.fetch_add(1, std::memory_order_relaxed);
    ACTORMQ_LOG_WARNING(who() << ": a message for " << out.to.to_string() << " cannot cross a node link ("
                              << to_string(added.error()) << "); dropped");
    return;
  }
  relations_.outgoing(out.to, *out.msg);
  node_.counters().messages_out.fetch_add(1, std::memory_order_relaxed);
}

void NodeLink::after_run() {
  flush_frame();
  if (taken_ != 0 && peer_) {
    node_.taken(self(), peer_->id, taken_);
  }
  taken_ = 0;
}

void NodeLink::flush_frame() {
  if (builder_.empty()) {
    return;
  }
  EncodedFrame frame = builder_.finish();
  node_.counters().frames_out.fetch_add(1, std::memory_order_relaxed);
  write(frame.flatten());
}

void NodeLink::write(std::string bytes) {
  if (out_pos_ == out_.size()) {
    out_ = std::move(bytes);
    out_pos_ = 0;
  } else {
    out_ += bytes;
  }
  flush();
}

void NodeLink::flush() {
  while (stream_ != nullptr && out_pos_ < out_.size()) {
    iovec v{out_.data() + out_pos_, out_.size() - out_pos_};
    net::IoResult r = stream_->writev(&v, 1);
    if (r.status == net::IoResult::Status::would_block) {
      stream_->want_write(true);
      update_busy();
      return;
    }
    if (r.status != net::IoResult::Status::ok) {
      lost(r.status == net::IoResult::Status::closed ? "closed by the peer" : "write: " + stream_->describe(r.error));
      return;
    }
    out_pos_ += r.bytes;
    last_write_ms_ = now_ms();
    node_.counters().bytes_out.fetch_add(r.bytes, std::memory_order_relaxed);
  }
  if (out_pos_ == out_.size() && stream_ != nullptr) {
    net::IoResult held = stream_->flush();  // TLS records not yet on the socket
    if (held.status == net::IoResult::Status::would_block) {
      update_busy();
      return;
    }
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  update_busy();
}

void NodeLink::update_busy() {
  if (!registered_) {
    return;
  }
  const std::size_t unsent = out_.size() - out_pos_;
  auto& peak = node_.counters().max_unsent_bytes;
  std::uint64_t seen = peak.load(std::memory_order_relaxed);
  while (unsent > seen && !peak.compare_exchange_weak(seen, unsent, std::memory_order_relaxed)) {
  }
  const std::size_t limit = node_.config().busy_bytes;
  if (!busy_ && unsent > limit) {
    busy_ = true;
    node_.set_busy(self(), peer_->id, true);
  } else if (busy_ && unsent <= limit / 2) {
    busy_ = false;
    node_.set_busy(self(), peer_->id, false);
  }
}

void NodeLink::linger() {
  // Another link to the peer is kept. The peer may still write here until it
  // too has switched: keep reading and delivering for a while, then close,
  // so that nothing sent on this link before the switch is lost.
  flush_frame();
  state_ = State::closing;
  superseded_ = true;
  const auto& c = node_.config();
  send_after(self(), sched::make_message<Linger>(generation_),
             std::min<std::uint32_t>(c.node_down_after_ms, std::max<std::uint32_t>(c.heartbeat_ms * 10, 500)));
}

void NodeLink::send_gossip() {
  flush_frame();  // data routed before keeps its place ahead of it
  write(make_frame(encode_gossip(node_.gossip())));
}

bool NodeLink::on_gossip(std::string_view body) {
  auto gossip = decode_gossip(body);
  if (!gossip) {
    lost(std::string("a malformed gossip frame (") + std::string(to_string(gossip.error())) + ")", true);
    return false;
  }
  // The peer's link port is on the address this connection comes from.
  std::string host;
  if (stream_ != nullptr) {
    std::string peer = stream_->peer();
    host = peer.substr(0, peer.rfind(':'));
  }
  node_.learn(*peer_, host, *gossip);
  return true;
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
    write(tick_frame());
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

void NodeLink::lost(const std::string& why, bool final) {
  const bool was_up = state_ == State::up || state_ == State::closing;
  close_socket();
  fire_noconnection();
  if (registered_) {
    registered_ = false;
    node_.down(self(), *peer_);
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
  close_socket();
  fire_noconnection();
  if (registered_) {
    registered_ = false;
    node_.down(self(), *peer_);
  }
  if (outgoing_) {
    node_.dial_ended(endpoint_);
  }
  node_.detach(self());
}

}  // namespace actormq::dist
