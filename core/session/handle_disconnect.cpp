// DISCONNECT from the client (section 3.14), takeover by a newer connection
// of the same client id (3.1.4), and the will message (3.1.2.5).
#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/session/channel.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

void Channel::handle_disconnect(ChannelHost& host, const mqtt::Disconnect& d) {
  if (v5()) {
    if (d.properties.session_expiry_interval) {
      // MQTT 5 3.14.2.2.2: a session that was to end with the connection may
      // not be given an expiry at DISCONNECT.
      if (session_expiry_s_ == 0 && *d.properties.session_expiry_interval != 0) {
        reject(host, ReasonCode::protocol_error, "session expiry set on DISCONNECT after 0 at CONNECT");
        return;
      }
      session_expiry_s_ = std::min(*d.properties.session_expiry_interval, host.limits().session_expiry_max);
    }
  }
  // MQTT 3.14.4: a DISCONNECT discards the will, except 0x04 in 5.0.
  bool with_will = v5() && d.reason_code == ReasonCode::disconnect_with_will_message;
  connection_lost(host, with_will);
}

bool Channel::taken_by_stranger(const Takeover& t) const {
  if (!username_ || !t.username) {
    return username_ != nullptr || t.username != nullptr;
  }
  return *username_ != *t.username;
}

void Channel::handle_takeover(ChannelHost& host, const Takeover& t) {
  if (state_ == State::handing_over) {
    // Our state is on its way to the session that took us over: a newer
    // connection takes the session over from there.
    host.send_takeover(rare().successor, t);
    if (rare().remote_successor && !rare().successor_released) {
      rare().passed_on = std::make_unique<Takeover>(t);
    }
    return;
  }
  if (state_ == State::awaiting_handover) {
    // Our CONNECT is superseded before its CONNACK: the connection closes
    // (its will never applied), but the state on its way to us still comes
    // here, through the routes our predecessor moves to us. It goes on to
    // the newer session once it is here (adopt), so that a chain of quick
    // reconnects ends with the newest holding all of it.
    session_.will.reset();
    close_socket(host);
    rare().superseded_by = std::make_unique<Takeover>(t);
    return;
  }
  stored_ = false;  // the stored session is the new connection's now (it resets it if clean)
  // Another user's connection with our client id takes the id, not the
  // session: it must not receive what was sent to our user. We end as for a
  // clean start; it starts afresh (session present 0) when we are gone, and
  // discards our stored copy.
  const bool discard = t.clean || taken_by_stranger(t);
  if (discard && !t.clean) {
    ACTORMQ_LOG_NOTICE("client " << client_id_ << ": taken over by another user; its session is discarded");
  }
  if (state_ == State::connected || state_ == State::awaiting_connect || state_ == State::authenticating) {
    if (v5() && state_ == State::connected) {
      mqtt::Disconnect d;
      d.reason_code = ReasonCode::session_taken_over;
      send_packet(host, d);
    }
    // The old connection ends without a DISCONNECT from its client: its will
    // goes out (3.1.2.5), unless the session continues with a delayed will.
    std::uint32_t delay = session_.will ? session_.will->properties.will_delay_interval.value_or(0) : 0;
    if (state_ == State::connected && (discard || delay == 0)) {
      publish_will(host);
    }
    session_.will.reset();
    close_socket(host);
  }
  const bool remote = t.by.node() != host.pid().node();
  if (discard) {
    if (remote && host.store() != nullptr) {
      store_reset(host);  // the new session's node keeps its own store
    }
    host.end();
    return;
  }
  session_.will.reset();  // the client is back before its delayed will was due (MQTT 5 3.1.3.2.2)
  if (remote) {
    hand_over_remote(host, t.by);
    return;
  }
  // Our routes become the new session's in one step at each router. What a
  // router sent us before that step joins our queue, and the state goes over
  // only once every router has confirmed the step: were it forwarded after
  // the handover instead, it could reach the new session behind messages
  // the routers sent it directly, out of order (MQTT 4.6).
  for (const auto& [full, sub] : session_.subscriptions) {
    // Only our own user gets here (taken_by_stranger); adopt(host) adds the
    // routes again with the rules of the listener it connected on.
    host.add_route(RouteAdd{sub.route_filter(full), std::string(sub.group(full)), t.by, client_id_.str(),
                            sub.info, host.pid(), reader(host, full)});
  }
  state_ = State::handing_over;
  Rare& r = rare();
  r.successor = t.by;
  r.syncs_pending = host.sync_routes();
  if (r.syncs_pending == 0) {
    hand_over(host);
  }
}

void Channel::kick(ChannelHost& host) {
  if (state_ == State::handing_over || state_ == State::awaiting_handover) {
    // The session is moving between processes; the registry names its new
    // one, which a repeated kick reaches.
    return;
  }
  ACTORMQ_LOG_NOTICE("client " << client_id_ << ": kicked by an operator");
  if (state_ == State::connected) {
    if (v5()) {
      mqtt::Disconnect d;
      d.reason_code = ReasonCode::administrative_action;
      send_packet(host, d);
    }
    // MQTT 3.1.2.5: the server closes the connection without a DISCONNECT
    // from the client, so the will goes out; the session ends with it, so a
    // will delay does not apply.
    publish_will(host);
  }
  close_socket(host);
  host.end();  // an offline session's delayed will goes out as it ends (on_exit)
}

bool Channel::drain(ChannelHost& host, const std::string* server_reference) {
  // MQTT 5 4.11: with a reference, elsewhere for now (an upgrade's standby),
  // not shutting down for good.
  const bool elsewhere = server_reference != nullptr && !server_reference->empty();
  return shut_down(host, false, elsewhere ? ReasonCode::use_another_server : ReasonCode::server_shutting_down,
                   server_reference);
}

bool Channel::listener_closed(ChannelHost& host) {
  return shut_down(host, true, ReasonCode::server_shutting_down, nullptr);
}

bool Channel::shut_down(ChannelHost& host, bool will, ReasonCode reason, const std::string* server_reference) {
  if (state_ != State::connected) {
    return false;
  }
  if (v5()) {
    mqtt::Disconnect d;
    d.reason_code = reason;
    if (server_reference != nullptr && !server_reference->empty()) {
      d.properties.server_reference = *server_reference;
    }
    send_packet(host, d);
  }
  connection_lost(host, will);
  return true;
}

void Channel::hand_over(ChannelHost& host) {
  // Sent before we end, so it reaches the new session ahead of our DOWN.
  host.send_handover(rare().successor, std::move(session_), rare().remote_successor);
  session_ = SessionState{};
  host.end();
}

void Channel::on_handover(ChannelHost& host, SessionState state) {
  if (state_ != State::awaiting_handover) {
    return;
  }
  if (host.handover_delay_ms() != 0 && !rare().delayed_handover) {
    // Test only: the routes already lead here; holding the state widens the
    // window in which deliveries reach us before the handover completes.
    rare_->delayed_handover = std::make_unique<SessionState>(std::move(state));
    host.arm_timer(ChannelTimer::handover_delay, 0, host.handover_delay_ms());
    return;
  }
  adopt(host, std::move(state), true);
}

void Channel::on_handover_delay_elapsed(ChannelHost& host) {
  if (state_ != State::awaiting_handover || !rare_ || !rare_->delayed_handover) {
    return;
  }
  SessionState state = std::move(*rare_->delayed_handover);
  rare_->delayed_handover.reset();
  adopt(host, std::move(state), true);
}

void Channel::on_route_synced(ChannelHost& host) {
  if (state_ == State::handing_over && rare().syncs_pending != 0 && --rare().syncs_pending == 0) {
    hand_over(host);
  }
}

void Channel::publish_will(ChannelHost& host) {
  if (!session_.will) {
    return;
  }
  mqtt::Will will = std::move(*session_.will);
  session_.will.reset();
  if (stored_ && state_ == State::offline) {
    store_record(host, wall_ms());  // published: a restart must not publish it again
  }
  if (!acl_allows(host, will.topic, AclAccess::write)) {
    // Checked when it is sent: the rules in force then decide (they may have been reloaded).
    host.metrics().add(Counter::acl_denied);
    ACTORMQ_LOG_INFO("client " << client_id_ << ": will on " << will.topic << " denied by the ACL");
    return;
  }
  auto msg = new_app_message();
  msg->topic = std::move(will.topic);
  msg->payload = std::move(will.payload);
  msg->qos = will.qos;
  msg->retain = will.retain && host.limits().retain_available;
  will.properties.will_delay_interval.reset();  // not a PUBLISH property
  msg->received_ms = will.properties.message_expiry_interval || msg->retain ? wall_ms() : 0;
  msg->set_properties(std::move(will.properties));
  msg->publisher = client_id_;
  msg->publisher_pid = host.pid();
  msg->body.attach(host.store());
  ACTORMQ_LOG_DEBUG("client " << client_id_ << ": publishing will on " << msg->topic);
  route(host, std::move(msg));
}

}  // namespace actormq::core
