// The channel's entry points: the client's packets dispatched to their
// handlers, protocol errors, the connection's end and the session's
// lifecycle (keep-alive, will delay, expiry, the process's end).
#include "core/session/channel.hpp"

#include <algorithm>
#include <utility>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "mqtt/encode.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

namespace {
// MQTT 5 3.2.2.3.7 / 3.14.2.2.3: a Reason String is left out when it would
// take the packet past the client's Maximum Packet Size.
template <class P>
void fit_reason_string(P& packet, mqtt::ProtocolVersion version, std::uint32_t max_packet) {
  auto size = mqtt::encoded_size(packet, version);
  if (!size || *size > max_packet) {
    packet.properties.reason_string.reset();
  }
}
}  // namespace

Channel::Channel(Restored restored, bool stored)
    : state_(State::offline), version_(restored.version), stored_(stored), clean_start_(false),
      session_expiry_s_(restored.session_expiry_s), client_id_(restored.client_id),
      username_(std::move(restored.username)),
      session_(std::move(restored.state)), listener_index_(restored.listener_index) {}

Channel::Rare& Channel::rare() {
  if (!rare_) {
    rare_ = std::make_unique<Rare>();
  }
  return *rare_;
}

void Channel::start_offline(ChannelHost& host) {
  for (const auto& [full, sub] : session_.subscriptions) {
    add_route(host, full, sub);
  }
  if (session_expiry_s_ != 0xFFFFFFFFu) {
    host.arm_timer(ChannelTimer::session_expiry, generation_, std::uint64_t{session_expiry_s_} * 1000);
  }
  if (session_.will) {
    // Read back from the store: the broker stopped while the client was
    // connected, so its connection ended without DISCONNECT (3.1.2.5).
    std::uint32_t delay = std::min(session_.will->properties.will_delay_interval.value_or(0), session_expiry_s_);
    host.arm_timer(ChannelTimer::will_delay, generation_, std::uint64_t{delay} * 1000);
  }
}

void Channel::handle_in(ChannelHost& host, mqtt::Packet& packet) {
  if (state_ == State::awaiting_connect && !std::holds_alternative<mqtt::Connect>(packet)) {
    // MQTT 3.1.0-1: the first packet must be CONNECT; anything else closes.
    host.metrics().add(Counter::malformed);
    reject(host, ReasonCode::protocol_error, "first packet must be CONNECT");
    return;
  }
  if (state_ == State::authenticating && !std::holds_alternative<mqtt::Auth>(packet)) {
    // MQTT 5 4.12: until CONNACK, only AUTH may follow an authenticating CONNECT.
    host.metrics().add(Counter::malformed);
    reject(host, ReasonCode::protocol_error, "only AUTH may follow CONNECT during authentication");
    return;
  }
  const bool awaiting_connect = state_ == State::awaiting_connect;  // (a bit-field: not named in the lambda)
  std::visit(
      [this, &host, awaiting_connect](auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, mqtt::Connect>) {
          if (!awaiting_connect) {
            host.metrics().add(Counter::malformed);
            reject(host, ReasonCode::protocol_error, "second CONNECT");  // MQTT 3.1.0-2
          } else {
            handle_connect(host, p);
          }
        } else if constexpr (std::is_same_v<P, mqtt::Publish>) {
          handle_publish(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Puback>) {
          handle_puback(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Pubrec>) {
          handle_pubrec(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Pubrel>) {
          handle_pubrel(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Pubcomp>) {
          handle_pubcomp(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Subscribe>) {
          handle_subscribe(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Unsubscribe>) {
          handle_unsubscribe(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Pingreq>) {
          send_packet(host, mqtt::Pingresp{});
        } else if constexpr (std::is_same_v<P, mqtt::Disconnect>) {
          handle_disconnect(host, p);
        } else if constexpr (std::is_same_v<P, mqtt::Auth>) {
          handle_auth(host, p);
        } else {
          host.metrics().add(Counter::malformed);
          reject(host, ReasonCode::protocol_error, "packet type not sent by clients");
        }
      },
      packet);
}

void Channel::on_parse_error(ChannelHost& host, const mqtt::Error& error, mqtt::ProtocolVersion version) {
  if (state_ == State::awaiting_connect) {
    version_ = version;
  }
  ACTORMQ_LOG_NOTICE("client " << (client_id_.empty() ? "<unknown>" : client_id_.view())
                               << ": " << error.reason << "; disconnecting");
  reject(host, mqtt::to_reason_code(error.code), error.reason);
}

void Channel::send_packet(ChannelHost& host, const mqtt::Packet& packet) {
  if (!host.write(packet, version_)) {
    ACTORMQ_LOG_WARNING("client " << client_id_ << ": could not encode an outgoing packet");
  }
}

void Channel::reject(ChannelHost& host, ReasonCode code, std::string_view reason) {
  if (!host.connection_open()) {
    return;
  }
  if (state_ == State::awaiting_connect || state_ == State::authenticating) {
    // Before CONNACK, errors are answered with a CONNACK (3.1.1: only for the
    // codes it has; otherwise the connection is just closed).
    if (v5()) {
      mqtt::Connack ack;
      ack.reason_code = code;
      if (request_problem_info_) {
        ack.properties.reason_string = std::string(reason);
        fit_reason_string(ack, version_, client_max_packet_);
      }
      send_packet(host, ack);
    } else if (code == ReasonCode::unsupported_protocol_version ||
               code == ReasonCode::client_identifier_not_valid ||
               code == ReasonCode::server_unavailable ||
               code == ReasonCode::bad_user_name_or_password ||
               code == ReasonCode::not_authorized) {
      mqtt::Connack ack;
      ack.reason_code = code;
      send_packet(host, ack);
    }
  } else if (v5() && state_ == State::connected) {
    mqtt::Disconnect d;
    d.reason_code = code;
    if (request_problem_info_) {
      d.properties.reason_string = std::string(reason);
      fit_reason_string(d, version_, client_max_packet_);
    }
    send_packet(host, d);
  }
  connection_lost(host, true);
}

void Channel::close_socket(ChannelHost& host) {
  if (rare_) {
    rare_->pending_acks.clear();  // unanswered: the client resends them on its next connection
    rare_->pending_head = 0;
  }
  host.close_connection();  // its slot too: an offline session holds nothing of its listener
  if (rare_) {
    rare_->rate.reset();  // a pause belongs to the connection; the next one starts afresh
  }
  if (counted_connected_) {
    counted_connected_ = false;
    host.metrics().add(Counter::clients_connected, -1);
  }
}

void Channel::connection_lost(ChannelHost& host, bool with_will) {
  State was = state_;
  close_socket(host);
  ++generation_;  // keepalive and connect timers of this connection are void
  if (was != State::connected) {
    if (was == State::awaiting_handover) {
      return;  // the handover will still arrive; the session then goes offline
    }
    if (was != State::offline) {
      host.end();
    }
    return;
  }
  std::uint32_t will_delay = session_.will ? session_.will->properties.will_delay_interval.value_or(0) : 0;
  if (with_will && will_delay > 0 && session_expiry_s_ > 0) {
    // MQTT 5 3.1.3.2.2: the will waits for its delay or the session's end,
    // whichever is first, and is dropped if the client comes back before.
    std::uint64_t wait_s = std::min(will_delay, session_expiry_s_);
    host.arm_timer(ChannelTimer::will_delay, generation_, wait_s * 1000);
  } else {
    if (with_will) {
      publish_will(host);
    }
    session_.will.reset();
  }
  release_publishers(host);  // an offline queue is expected to fill; it must not hold anyone
  redispatch_shared(host);
  if (session_expiry_s_ == 0) {
    host.end();
    return;
  }
  state_ = State::offline;
  if (stored_) {
    store_record(host, wall_ms());  // expiry is wall time: it keeps running across restarts
  }
  if (rare_) {
    rare_->out_aliases = {};
    rare_->in_aliases = {};
  }
  if (session_expiry_s_ != 0xFFFFFFFFu) {
    host.arm_timer(ChannelTimer::session_expiry, generation_, std::uint64_t{session_expiry_s_} * 1000);
  }
}

void Channel::on_throttle(ChannelHost& host, sched::Pid by, bool on) {
  if (on) {
    Rare& r = rare();
    bool known = std::find(r.blockers.begin(), r.blockers.end(), by) != r.blockers.end();
    if (r.blockers.empty() || known) {
      // A renewed throttle (the subscriber is still behind) starts the wait anew.
      host.arm_timer(ChannelTimer::throttle, ++r.throttle_generation, throttle_timeout_ms);
    }
    if (!known) {
      r.blockers.push_back(by);
    }
    return;
  }
  if (rare_) {
    std::erase(rare_->blockers, by);
  }
  if (!blocked() && state_ == State::connected) {
    host.read_input();  // resume: this also re-arms the socket
  }
}

void Channel::on_throttle_timeout(ChannelHost& host, std::uint32_t generation) {
  if (blocked() && generation == rare_->throttle_generation) {
    ACTORMQ_LOG_DEBUG("client " << client_id_ << ": throttle timed out; reading again");
    rare_->blockers.clear();
    on_throttle(host, sched::Pid{}, false);
  }
}

void Channel::on_rate_resume(ChannelHost& host, std::uint32_t generation) {
  if (generation == generation_ && rate_paused()) {
    resume_after_rate_pause(host);
  }
}

void Channel::resume_after_rate_pause(ChannelHost& host) {
  rare_->rate->paused = false;
  if (!host.connection_open() || state_ != State::connected) {
    return;
  }
  // What was read before the pause goes first; it may pause us again.
  if (host.replay_input()) {
    host.read_input();
  }
}

bool Channel::connect_pending(std::uint32_t generation) const {
  return generation == generation_ && (state_ == State::awaiting_connect || state_ == State::authenticating ||
                                       state_ == State::awaiting_handover);
}

void Channel::on_connect_timeout(ChannelHost& host) {
  if (adopting()) {
    give_up_adopting(host, "it did not hand over in time");
  } else if (state_ == State::awaiting_handover) {
    ACTORMQ_LOG_NOTICE("client " << client_id_ << ": its previous session " << rare().previous.to_string()
                                 << " did not hand over in time; starting afresh");
    adopt(host, SessionState{}, false);  // the old session never answered: start afresh
  } else {
    close_socket(host);
    host.end();
  }
}

void Channel::on_down(ChannelHost& host, sched::Pid pid, const sched::ExitReason& why) {
  if (state_ == State::handing_over && rare_ && rare_->remote_successor && pid == rare_->successor) {
    // Not released yet: unless a connection's session ended of itself (it
    // settled, and its client ended the session), the state may have gone
    // with it. An adopter that ends gave up; it never settles unreleased.
    if (rare_->moved && !rare_->successor_released && (!why.is_normal() || rare_->moved_to_adopter)) {
      keep_after_lost_successor(host, why);
      return;
    }
    // The session that took us over (or its node) is gone before it released
    // us: nothing routes to it any more, so our routes go as they would have.
    ACTORMQ_LOG_WARNING("client " << client_id_ << ": the session that took it over on node " << pid.node()
                                  << " is gone; what was queued for it meanwhile is dropped");
    on_handover_release(host, pid);
    return;
  }
  if (state_ == State::offline && rare_ && pid.valid() && (pid == rare_->tail_from || pid == rare_->tail_also)) {
    // Ended (or its node is gone) without a tail reaching us: once neither
    // may send it, go on without it.
    (pid == rare_->tail_from ? rare_->tail_from : rare_->tail_also) = sched::Pid{};
    if (!rare_->tail_from.valid() && !rare_->tail_also.valid()) {
      hand_on_after_tail(host);
    }
    return;
  }
  if (state_ == State::awaiting_handover && rare_ && pid == rare_->previous && !rare_->delayed_handover) {
    if (rare_->adopting) {
      give_up_adopting(host, "it ended first");
      return;
    }
    if (pid.node() != host.pid().node()) {
      // noproc: it was gone before our Takeover came, which must go to its
      // successor; normal: it was handing over to its successor and passed
      // our Takeover on (handle_takeover), so the state comes from there.
      const bool gone_first = why.kind == sched::ExitReason::Kind::noproc;
      if ((gone_first || why.is_normal()) && retarget_takeover(host, pid, gone_first)) {
        return;
      }
      // Its successor's claim may still be on its way here: the old session
      // and the successor reach this node over different node links, and
      // a successor it passed our Takeover to sends its state to us. Starting
      // afresh now would lose that state (the session and its queue).
      if ((gone_first || why.is_normal()) && wait_for_successor(host, gone_first)) {
        return;
      }
      ACTORMQ_LOG_NOTICE("client " << client_id_ << ": its session on node " << pid.node()
                                   << " ended or is unreachable before handing over; starting afresh");
    }
    adopt(host, SessionState{}, false);  // the previous session ended without handing over
  }
}

// The session our Takeover went to had moved on: taken over on a third node
// (an evacuation's move, another client's CONNECT) and released since. Its
// successor's claim reached this node before that release could happen (the
// release waits for every peer to answer after the claim), so the directory
// names the successor now. If our Takeover reached the old session while it
// was handing over, it passed it on and the successor's state comes to us:
// we wait on the successor instead (`ask` false). If it came after the old
// one had ended (it and the release crossed different node links), the
// successor is asked (`ask`). A few times at most.
bool Channel::retarget_takeover(ChannelHost& host, sched::Pid gone, bool ask) {
  constexpr std::uint8_t max_retargets = 3;
  Rare& r = rare();
  if (r.takeover_retargets >= max_retargets) {
    return false;
  }
  std::optional<sched::Pid> next = host.find_remote_session(client_id_.str());
  if (!next || *next == gone || *next == host.pid()) {
    return false;
  }
  if (ask) {
    auto user = username_ ? std::make_shared<const std::string>(*username_) : nullptr;
    if (!host.send_takeover(*next, Takeover{host.pid(), clean_start_, std::move(user)})) {
      return false;
    }
  }
  ++r.takeover_retargets;
  ACTORMQ_LOG_INFO("client " << client_id_ << ": its session on node " << gone.node() << " had moved on; "
                             << (ask ? "asking" : "awaiting the state from") << " its successor on node "
                             << next->node());
  r.previous = *next;
  host.monitor(*next);
  return true;
}

// The directory did not name the successor of the session our Takeover went
// to when that one ended: ask it again a little later, a few times, before
// starting afresh. Meanwhile a state that the successor sends is taken in as
// any other (on_handover), which ends the wait.
bool Channel::wait_for_successor(ChannelHost& host, bool ask) {
  constexpr std::uint8_t max_waits = 10;
  constexpr std::uint64_t wait_ms = 100;
  Rare& r = rare();
  if (r.successor_waits >= max_waits) {
    return false;
  }
  if (r.successor_waits == 0) {
    ACTORMQ_LOG_INFO("client " << client_id_ << ": its session on node " << r.previous.node()
                               << " ended while we waited for it; waiting for its successor");
  }
  ++r.successor_waits;
  r.successor_wait_asks = ask;
  host.arm_timer(ChannelTimer::successor_wait, generation_, wait_ms);
  return true;
}

void Channel::on_successor_wait(ChannelHost& host, std::uint32_t generation) {
  if (generation != generation_ || state_ != State::awaiting_handover || !rare_ || rare_->successor_waits == 0) {
    return;  // its state came meanwhile, or the connection ended
  }
  Rare& r = *rare_;
  const sched::Pid gone = r.previous;
  if (retarget_takeover(host, gone, r.successor_wait_asks) || wait_for_successor(host, r.successor_wait_asks)) {
    return;
  }
  ACTORMQ_LOG_NOTICE("client " << client_id_ << ": its session on node " << gone.node()
                               << " ended or is unreachable before handing over, and no successor came; starting afresh");
  adopt(host, SessionState{}, false);
}

// The state may have come from another session than the one we asked:
// ours passed our Takeover on to its successor (retarget_takeover), whose
// state can reach us before the first one's DOWN does. That successor waits
// for our release, handing over with its routes kept, and only the
// directory names it: it gets the release too. A release reaches only the
// session that handed over to us (on_handover_release checks), so one to a
// session that did not is ignored.
std::optional<sched::Pid> Channel::release_remote_previous(ChannelHost& host, sched::Pid previous,
                                                           sched::Pid except) {
  host.release_previous(previous);
  std::optional<sched::Pid> holder = host.find_remote_session(client_id_.str(), except);
  if (!holder || *holder == previous || *holder == host.pid()) {
    return std::nullopt;
  }
  host.release_previous(*holder);
  return holder;
}

void Channel::on_will_delay_elapsed(ChannelHost& host, std::uint32_t generation) {
  if (generation == generation_ && state_ == State::offline) {
    publish_will(host);
  }
}

void Channel::on_session_expired(ChannelHost& host, std::uint32_t generation) {
  if (generation == generation_ && state_ == State::offline) {
    host.end();
  }
}

void Channel::arm_keepalive(ChannelHost& host) {
  if (keepalive_s_ == 0) {
    return;
  }
  // MQTT 3.1.2.10: one and a half keep-alive periods without a packet.
  host.arm_timer(ChannelTimer::keepalive, generation_, std::uint64_t{keepalive_s_} * 1500);
}

void Channel::on_keepalive_check(ChannelHost& host, std::uint32_t generation) {
  if (generation != generation_ || state_ != State::connected) {
    return;
  }
  std::uint64_t limit = std::uint64_t{keepalive_s_} * 1500;
  std::uint64_t idle = host.now_ms() - host.last_read_ms();
  if (idle >= limit) {
    ACTORMQ_LOG_INFO("client " << client_id_ << " keep-alive timeout; disconnecting");
    reject(host, ReasonCode::keep_alive_timeout, "keep alive timeout");
    return;
  }
  host.arm_timer(ChannelTimer::keepalive, generation_, limit - idle);
}

void Channel::on_exit(ChannelHost& host, Exit how) {
  if (state_ == State::connected && (how == Exit::crashed || how == Exit::killed)) {
    publish_will(host);  // the connection ends without a DISCONNECT
  }
  if (state_ == State::offline && session_.will) {
    publish_will(host);  // a delayed will goes out at the latest when the session ends
  }
  if (how == Exit::shutdown && v5() && state_ == State::connected) {
    mqtt::Disconnect d;
    d.reason_code = ReasonCode::server_shutting_down;
    send_packet(host, d);
  }
  close_socket(host);
  release_publishers(host);
  redispatch_shared(host);
}

bool Channel::survives_crash() const {
  return session_expiry_s_ != 0 && !client_id_.empty() &&
         (state_ == State::connected || state_ == State::offline);
}

Channel::Restored Channel::hand_to_heir(ChannelHost& host) {
  for (const auto& [full, sub] : session_.subscriptions) {
    remove_route(host, full, sub);
  }
  // Its will, if any, went out in on_exit: the heir's state has none.
  Restored heir{client_id_.str(), version_, session_expiry_s_, std::move(session_), listener_index_, std::move(username_)};
  session_ = SessionState{};
  return heir;
}

void Channel::forget(ChannelHost& host, Exit how) {
  remove_all_routes(host);
  if (stored_ && how == Exit::normal) {
    store_reset(host);  // expired or ended with its connection; a shutdown keeps it
  }
}

}  // namespace actormq::core
