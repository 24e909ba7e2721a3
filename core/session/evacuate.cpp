// A node's evacuation, on the session's side (core/evacuation.hpp; EMQX's
// node evacuation): a connected client is sent away (v5: DISCONNECT 0x9C
// with the Server Reference), and a persistent session left offline moves
// to a peer node. The move is the cross-node takeover of handover_remote.cpp,
// asked for by a session the peer spawns without a connection (Adopt
// instead of a CONNECT's Takeover); it settles there offline, stored,
// routed to, waiting for its client.
#include <algorithm>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/session/channel.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

Channel::Channel(Restored restored, bool stored, sched::Pid from) : Channel(std::move(restored), false) {
  // Not stored (nor forgotten from the store) until the state is here: a
  // move that fails leaves this node's store as it was.
  state_ = State::awaiting_handover;
  Rare& r = rare();
  r.adopting = true;
  r.adopt_stored = stored;
  r.previous = from;
}

bool Channel::evacuate(ChannelHost& host, const Evacuate& e) {
  // Connected in the sessions pass too: a CONNECT accepted before the
  // evacuation began (an authentication under way) ends then, and moves on
  // the next pass.
  if (e.connection || state_ == State::connected) {
    if (state_ != State::connected) {
      return false;
    }
    ACTORMQ_LOG_INFO("client " << client_id_ << ": disconnected, the node is evacuated");
    // MQTT 5 4.11: use another server, for now; the reference says which. As
    // at an upgrade's drain, no will: the client is coming back (elsewhere)
    // and sets it again; a persistent session goes offline.
    return shut_down(host, false, ReasonCode::use_another_server,
                     e.server_reference.get());
  }
  if (state_ != State::offline || !e.adopter.valid() || client_id_.empty()) {
    return false;
  }
  AdoptRequest request{host.pid(), client_id_.str(), version_, session_expiry_s_, std::nullopt, listener_index_};
  if (username_) {
    request.username = *username_;
  }
  host.request_adoption(e.adopter, std::move(request));
  return true;
}

void Channel::handle_adopt(ChannelHost& host, sched::Pid by) {
  if (state_ != State::offline) {
    // Its client came back first (or another move is under way): the
    // adopter, which holds nothing yet, gives up when we end or time out.
    ACTORMQ_LOG_INFO("client " << client_id_ << ": not moved to node " << by.node() << ": it is no longer offline");
    return;
  }
  // As a takeover by its own user's CONNECT on that node, but its client is
  // still away: a delayed will pending here goes with the state (the codec
  // carries it) and waits there.
  stored_ = false;  // the adopter's node stores it now
  hand_over_remote(host, by);
  rare().moved_to_adopter = true;
}

void Channel::start_adopting(ChannelHost& host) {
  host.monitor(rare().previous);
  host.send_adopt(rare().previous);
}

void Channel::settle_adopted(ChannelHost& host, sched::Pid previous) {
  Rare& r = rare();
  r.adopting = false;
  if (auto other = host.claim_client_id(client_id_, false); other && *other != host.pid()) {
    ACTORMQ_LOG_WARNING("client " << client_id_ << ": session " << other->to_string()
                                  << " held its client id here while it moved in; this one replaces it");
  }
  for (const auto& [full, sub] : session_.subscriptions) {
    add_route(host, full, sub);
  }
  host.metrics().add(Counter::subscriptions, static_cast<std::int64_t>(session_.subscriptions.size()));
  state_ = State::offline;
  ++generation_;
  if (r.adopt_stored && persistent(host)) {
    store_whole(host);
  }
  arm_offline_timers(host);
  ACTORMQ_LOG_INFO("client " << client_id_ << ": session moved here from node " << previous.node() << " ("
                             << session_.queue.size() << " queued, " << session_.inflight.size() << " in flight)");
  // Its routes there go once every node routes here: nothing is routed to neither.
  host.release_previous(previous);
}

void Channel::arm_offline_timers(ChannelHost& host) {
  if (session_expiry_s_ != 0xFFFFFFFFu) {
    // Its expiry starts again here: the move is its last sign of life.
    host.arm_timer(ChannelTimer::session_expiry, generation_, std::uint64_t{session_expiry_s_} * 1000);
  }
  if (session_.will) {
    // A delayed will that was pending there: its delay starts again here.
    std::uint32_t delay = std::min(session_.will->properties.will_delay_interval.value_or(0), session_expiry_s_);
    host.arm_timer(ChannelTimer::will_delay, generation_, std::uint64_t{delay} * 1000);
  }
}

void Channel::give_up_adopting(ChannelHost& host, std::string_view why) {
  ACTORMQ_LOG_NOTICE("client " << client_id_ << ": its session on node " << rare().previous.node()
                               << " was not moved here: " << why);
  rare().adopting = false;
  host.end();  // nothing claimed, routed or stored here
}

}  // namespace actormq::core
