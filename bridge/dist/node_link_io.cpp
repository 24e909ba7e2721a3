// NodeLink's bytes: reading and splitting frames, delivering what they
// carry, encoding what local processes send into one frame per run, writing
// it out, and the busy state that suspends senders.
#include <algorithm>
#include <array>

#include "bridge/dist/node_link.hpp"
#include "core/logger.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::dist {

namespace {

// Reads per wake before the link lets other processes run (as a session does).
constexpr int reads_per_wake = 16;
constexpr std::size_t read_size = 64 * 1024;

}  // namespace

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
  if (kind && *kind == FrameKind::names) {
    return on_names(body);
  }
  if (kind && *kind == FrameKind::handover) {
    // Everything the peer sent on this link before it is delivered (on_frame
    // delivers as it reads): say so, ahead of anything held.
    write_now(std::string(handover_ack_frame()));
    return true;
  }
  if (kind && *kind == FrameKind::handover_ack) {
    release_heir();
    return true;
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
    // A pid that is gone is as in Erlang: a message is dropped, and a link
    // or a monitor fires at once with noproc. Dropped too, a monitor left
    // its watcher waiting for a DOWN that never came (a session that asked
    // another node's session to hand over as it ended waited for ever).
    auto answers = LinkRelations::gone(d.to, *d.message);
    if (!runtime().send(d.to, std::move(d.message))) {
      for (auto& [pid, signal] : answers) {
        (void)runtime().send(pid, std::move(signal));  // back through this link: its relations forget them
      }
    }
  }
  consume(static_cast<std::uint32_t>(decoded->deliveries.size()));
  return true;
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
  if (held_) {
    held_out_ += bytes;
    update_busy();
    return;
  }
  write_now(std::move(bytes));
}

void NodeLink::write_now(std::string bytes) {
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
  const std::size_t unsent = out_.size() - out_pos_ + held_out_.size();
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

void NodeLink::send_names(const std::string& body) {
  flush_frame();  // a name registered after a send is known after that send
  write(make_frame(body));
}

bool NodeLink::on_names(std::string_view body) {
  auto frame = decode_names(body);
  if (!frame) {
    lost(std::string("a malformed names frame (") + std::string(to_string(frame.error())) + ")", true);
    return false;
  }
  if (!node_.names_from(*peer_, *frame)) {
    lost("a names frame that claims another node's process", true);
    return false;
  }
  return true;
}

}  // namespace actormq::dist
