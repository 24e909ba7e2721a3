// A session's move between the nodes of a cluster (DESIGN.md "The cluster
// broker": one client id, one session, cluster-wide). The old session, taken
// over by a session on another node, sends its state at once in parts and
// keeps its routes until the new one releases it (every node routes to the
// new one by then), then sends what it queued meanwhile; the new one reads
// the parts and adopts the state as a local takeover does. And the end of a
// session whose client id a later connection on another node holds (a
// partition healed).
#include "core/logger.hpp"
#include "core/session/channel.hpp"
#include "core/store/persistence.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

namespace {
// What stays behind while a state is on its way to another node. Its queue
// is renumbered when it is written again (store_whole); the holds stay with
// the state that went, whose node answers for them.
SessionState copy_for_keeping(const SessionState& s) {
  SessionState c;
  c.subscriptions = s.subscriptions;
  c.inflight = s.inflight;
  for (auto& [id, f] : c.inflight) {
    f.delivery.hold.reset();
  }
  c.inflight_seq = s.inflight_seq;
  for (const Deliver& d : s.queue) {
    Deliver k = d;
    k.hold.reset();
    k.store_seq = 0;
    c.queue.push_back(std::move(k));
  }
  c.awaiting_rel = s.awaiting_rel;
  if (s.will) {
    c.will = std::make_unique<mqtt::Will>(*s.will);
  }
  c.last_packet_id = s.last_packet_id;
  return c;
}
}  // namespace

void Channel::hand_over_remote(ChannelHost& host, sched::Pid by) {
  // A session on another node took us over. Our routes lead here, not there
  // (its node's routes replace them only once every node has them): the
  // state goes now, in parts, and what the routes bring meanwhile is queued
  // and follows as a tail once the new session releases us. A message may
  // then reach the client twice (QoS 1 allows it), never not at all.
  state_ = State::handing_over;
  Rare& r = rare();
  r.successor = by;
  r.remote_successor = true;
  host.monitor(by);
  if (host.store() != nullptr) {
    store_reset(host);  // the new node stores the session; ours would come back after a restart
  }
  SessionState moving = std::move(session_);
  r.moved = std::make_unique<SessionState>(copy_for_keeping(moving));
  session_ = SessionState{};
  session_.subscriptions = moving.subscriptions;  // ours until the release removes the routes
  session_.last_packet_id = moving.last_packet_id;
  ACTORMQ_LOG_INFO("client " << client_id_ << ": taken over by " << by.to_string() << " on node " << by.node()
                             << "; " << moving.queue.size() << " queued, " << moving.inflight.size()
                             << " in flight go there");
  host.send_handover(by, std::move(moving));
}

void Channel::on_handover_release(ChannelHost& host, sched::Pid by) {
  if (state_ != State::handing_over || !rare_ || !rare_->remote_successor || rare_->successor != by ||
      rare_->successor_released) {
    return;
  }
  rare_->successor_released = true;
  rare_->moved.reset();  // the state is the new session's now
  rare_->passed_on.reset();
  // A peer may have routed a message here just before it routed to the new
  // session: it can still be on its way (on another link than the release,
  // or in our agent's mailbox). Our routes stay until every peer's forwards
  // reached us.
  if (host.drain_peers()) {
    rare_->draining_peers = true;
    return;
  }
  remove_routes_for_tail(host);
}

void Channel::on_peers_drained(ChannelHost& host) {
  if (state_ != State::handing_over || !rare_ || !rare_->draining_peers) {
    return;
  }
  rare_->draining_peers = false;
  remove_routes_for_tail(host);
}

void Channel::remove_routes_for_tail(ChannelHost& host) {
  // What a router sends us before it takes the route out is queued; the
  // tail goes once every router confirmed (on_route_synced).
  remove_all_routes(host);
  rare_->syncs_pending = host.sync_routes();
  if (rare_->syncs_pending == 0) {
    hand_over(host);
  }
}

void Channel::keep_after_lost_successor(ChannelHost& host, const sched::ExitReason& why) {
  Rare& r = *rare_;
  ACTORMQ_LOG_WARNING("client " << client_id_ << ": the session that took it over on node " << r.successor.node()
                                << " is gone (" << why.to_string() << ") before the state settled there; the session"
                                << " stays here");
  // Ours again: the state that went, then what the routes brought since.
  LazyList<Deliver> meanwhile = std::move(session_.queue);
  session_ = std::move(*r.moved);
  r.moved.reset();
  session_.queue.append(std::move(meanwhile));
  r.successor = sched::Pid{};
  r.remote_successor = false;
  r.moved_to_adopter = false;
  state_ = State::offline;
  ++generation_;
  if (persistent(host)) {
    store_whole(host);  // the handover erased our copy
  }
  if (std::unique_ptr<Takeover> newer = std::move(r.passed_on)) {
    handle_takeover(host, *newer);  // a later connection asked for it meanwhile: it goes on from here
    return;
  }
  if (session_expiry_s_ == 0) {
    host.end();  // not persistent: it ended with its connection
    return;
  }
  // The successor's claim went with it: the client id is ours again, cluster-wide.
  host.claim_client_id(client_id_, false);
  arm_offline_timers(host);
}

void Channel::on_handover_tail(ChannelHost& host, SessionState tail) {
  for (Deliver& d : tail.queue) {
    handle_deliver(host, d);
  }
  if (rare_ && (rare_->tail_from.valid() || rare_->tail_also.valid())) {
    hand_on_after_tail(host);
  }
}

void Channel::hand_on_after_tail(ChannelHost& host) {
  rare_->tail_from = sched::Pid{};
  rare_->tail_also = sched::Pid{};
  if (std::unique_ptr<Takeover> newer = std::move(rare_->superseded_by)) {
    handle_takeover(host, *newer);
  }
}

void Channel::on_handover_lost(ChannelHost& host) {
  if (adopting()) {
    give_up_adopting(host, "its state could not be read");
  } else if (state_ == State::awaiting_handover) {
    ACTORMQ_LOG_WARNING("client " << client_id_ << ": the previous session's state could not be read; starting afresh");
    adopt(host, SessionState{}, false);
  }
}

void Channel::supersede(ChannelHost& host) {
  if (state_ != State::connected && state_ != State::offline) {
    return;  // moving between processes: the move decides
  }
  ACTORMQ_LOG_NOTICE("client " << client_id_ << ": a later connection on another node keeps the client id");
  if (state_ == State::connected) {
    if (v5()) {
      mqtt::Disconnect d;
      d.reason_code = ReasonCode::session_taken_over;
      send_packet(host, d);
    }
    publish_will(host);  // ended without a DISCONNECT from its client (3.1.2.5)
  }
  close_socket(host);
  if (host.store() != nullptr) {
    store_reset(host);
  }
  host.end();
}

void Channel::on_handover_part(ChannelHost& host, const HandoverPart& part) {
  Rare& r = rare();
  if (!r.incoming) {
    r.incoming = std::make_unique<SessionStateDecoder>();
  }
  host.charge(static_cast<std::uint32_t>(part.bytes.size() / 4096));
  r.incoming->add(part.bytes.view());
  if (!part.last) {
    return;
  }
  Result<SessionState> state = std::move(*r.incoming).finish();
  r.incoming.reset();
  if (!state) {
    ACTORMQ_LOG_ERROR("client " << client_id_ << ": a session state from another node is unreadable ("
                                << state.error().text() << ")");
    if (!part.tail) {
      on_handover_lost(host);
    }
    return;
  }
  // Its messages come from another node's store: ours stores them.
  for (Deliver& d : state->queue) {
    d.msg = attach_to_store(std::move(d.msg), host.store());
  }
  for (auto& [id, f] : state->inflight) {
    f.delivery.msg = attach_to_store(std::move(f.delivery.msg), host.store());
  }
  if (part.tail) {
    on_handover_tail(host, std::move(*state));
  } else {
    on_handover(host, std::move(*state));
  }
}

}  // namespace actormq::core
