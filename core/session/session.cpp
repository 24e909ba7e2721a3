#include "core/session/session.hpp"

#include <algorithm>
#include <utility>

#include "core/clock.hpp"
#include "core/logger.hpp"
#include "mqtt/encode.hpp"
#include "sched/coarse_timers.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::core {

using mqtt::ReasonCode;

namespace {
struct ConnectTimeout {
  std::uint32_t generation;
};
struct KeepaliveCheck {
  std::uint32_t generation;
};
struct SessionExpired {
  std::uint32_t generation;
};
struct WillDelayElapsed {
  std::uint32_t generation;
};
// A throttled publisher reads again after this long even if its subscriber
// never drains (a consumer that stopped reading must not stall its publishers
// for ever; its queue then drops as configured).
constexpr std::uint64_t throttle_timeout_ms = 1000;
struct ThrottleTimeout {
  std::uint32_t generation;
};

// MQTT 5 3.2.2.3.7 / 3.14.2.2.3: a Reason String is left out when it would
// take the packet past the client's Maximum Packet Size.
template <class P>
void fit_reason_string(P& packet, mqtt::ProtocolVersion version, std::uint32_t max_packet) {
  auto size = mqtt::encoded_size(packet, version);
  if (!size || *size > max_packet) {
    packet.properties.reason_string.reset();
  }
}

// A server reading a client's stream: CONNECT first (MQTT 3.1.0-1).
mqtt::ParserOptions client_stream(const Limits& limits) {
  mqtt::ParserOptions o;
  o.max_packet_size = limits.max_packet_size;
  o.connect_first = true;
  return o;
}
}  // namespace

Session::Session(BrokerContext& ctx, int fd, ConnectionSlot slot)
    : ctx_(ctx), conn_(fd, std::move(slot), client_stream(ctx.limits)),
      listener_index_(conn_.slot().listener()->security_index) {}

std::uint64_t Session::now_ms() { return uv_now(scheduler().loop()); }

Session::Session(BrokerContext& ctx, Restored restored)
    : ctx_(ctx), state_(State::offline),
      version_(restored.version), clean_start_(false), listener_index_(restored.listener_index),
      client_id_(std::move(restored.client_id)), username_(std::move(restored.username)),
      session_expiry_s_(restored.session_expiry_s), will_(std::move(restored.will)),
      session_(std::move(restored.state)) {
  stored_ = ctx.store != nullptr;
}


void Session::on_start() {
  if (state_ == State::offline) {
    // Restored after a crash: take the routes back and wait for the client.
    for (const auto& [full, sub] : session_.subscriptions) {
      add_route(full, sub);
    }
    if (session_expiry_s_ != 0xFFFFFFFFu) {
      send_after(self(), sched::make_message<SessionExpired>(generation_),
                 std::uint64_t{session_expiry_s_} * 1000);
    }
    if (will_) {
      // Read back from the store: the broker stopped while the client was
      // connected, so its connection ended without DISCONNECT (3.1.2.5).
      std::uint32_t delay = std::min(will_->properties.will_delay_interval.value_or(0), session_expiry_s_);
      send_after(self(), sched::make_message<WillDelayElapsed>(generation_), std::uint64_t{delay} * 1000);
    }
    return;
  }
  conn_.open(*this, conn_.slot().transport());
  connect_timer_ = send_after(self(), sched::make_message<ConnectTimeout>(generation_),
                              ctx_.limits.connect_timeout_ms);
}

void Session::on_message(sched::Message& msg) {
  if (auto* d = msg.as<Deliver>()) {
    handle_deliver(*d);
  } else if (auto* a = msg.as<AckReady>()) {
    on_ack_ready(a->token, a->store_error);
  } else if (auto* ready = msg.as<net::SocketReady>()) {
    on_socket(*ready);
  } else if (auto* rr = msg.as<RateResume>()) {
    if (rr->generation == generation_ && rate_paused()) {
      resume_after_rate_pause();
    }
  } else if (msg.is<sched::Deferred>()) {
    flush_output();  // what after_run held back
  } else if (msg.is<ReadMore>()) {
    conn_.read(*this);
  } else if (auto* th = msg.as<Throttle>()) {
    on_throttle(th->by, true);
  } else if (auto* un = msg.as<Unthrottle>()) {
    on_throttle(un->by, false);
  } else if (auto* tt = msg.as<ThrottleTimeout>()) {
    if (blocked() && tt->generation == rare_->throttle_generation) {
      ACTORMQ_LOG_DEBUG("client " << client_id_ << ": throttle timed out; reading again");
      rare_->blockers.clear();
      on_throttle(sched::Pid{}, false);
    }
  } else if (msg.is<RouteSynced>()) {
    on_route_synced();
  } else if (auto* t = msg.as<Takeover>()) {
    handle_takeover(*t);
  } else if (auto* h = msg.as<Handover>()) {
    on_handover(*h);
  } else if (msg.is<HandoverDelayElapsed>()) {
    on_handover_delay_elapsed();
  } else if (auto* k = msg.as<KeepaliveCheck>()) {
    if (k->generation == generation_) {
      on_keepalive_check();
    }
  } else if (auto* c = msg.as<ConnectTimeout>()) {
    if (c->generation == generation_ &&
        (state_ == State::awaiting_connect || state_ == State::authenticating ||
         state_ == State::awaiting_handover)) {
      if (conn_.handshaking()) {
        ACTORMQ_LOG_INFO(conn_.kind() << " connection from " << conn_.peer()
                                      << " did not finish its handshake in time; closing");
      } else {
        ACTORMQ_LOG_INFO("client at fd " << conn_.fd() << " sent no CONNECT in time; closing");
      }
      if (state_ == State::awaiting_handover) {
        adopt(SessionState{}, false);  // the old session never answered: start afresh
      } else {
        close_socket();
        end_session(sched::ExitReason::normal());
      }
    }
  } else if (auto* down = msg.as<sched::DownMsg>()) {
    if (state_ == State::awaiting_handover && rare_ && down->pid == rare_->previous && !rare_->delayed_handover) {
      adopt(SessionState{}, false);  // the previous session ended without handing over
    }
  } else if (auto* w = msg.as<WillDelayElapsed>()) {
    if (w->generation == generation_ && state_ == State::offline) {
      publish_will();
    }
  } else if (auto* e = msg.as<SessionExpired>()) {
    if (e->generation == generation_ && state_ == State::offline) {
      end_session(sched::ExitReason::normal());
    }
  }
}

void Session::on_socket(const net::SocketReady& ready) {
  if (!conn_.is_open()) {
    return;
  }
  if (ready.writable) {
    flush_output();
  }
  // A TLS handshake may wait on writability to go on reading: either event
  // lets the read side make progress (a plain socket then reads EAGAIN once).
  conn_.read(*this);
}

Session::Rare& Session::rare() {
  if (!rare_) {
    rare_ = std::make_unique<Rare>();
  }
  return *rare_;
}

void Session::on_throttle(sched::Pid by, bool on) {
  if (on) {
    Rare& r = rare();
    bool known = std::find(r.blockers.begin(), r.blockers.end(), by) != r.blockers.end();
    if (r.blockers.empty() || known) {
      // A renewed throttle (the subscriber is still behind) starts the wait anew.
      send_after(self(), sched::make_message<ThrottleTimeout>(++r.throttle_generation),
                 throttle_timeout_ms);
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
    conn_.read(*this);  // resume: this also re-arms the socket
  }
}

void Session::resume_after_rate_pause() {
  rare_->rate->paused = false;
  if (!conn_.is_open() || state_ != State::connected) {
    return;
  }
  // What was read before the pause goes first; it may pause us again.
  if (conn_.replay_held(*this)) {
    conn_.read(*this);
  }
}

void Session::on_parse_error(const mqtt::Error& error, mqtt::ProtocolVersion version) {
  if (state_ == State::awaiting_connect) {
    version_ = version;
  }
  ACTORMQ_LOG_NOTICE("client " << (client_id_.empty() ? "<unknown>" : client_id_)
                               << ": " << error.reason << "; disconnecting");
  reject(mqtt::to_reason_code(error.code), error.reason);
}

void Session::on_connection_lost(ConnectionLoss loss) {
  if (loss == ConnectionLoss::backlog) {
    ACTORMQ_LOG_NOTICE("client " << client_id_ << " does not read its messages; disconnecting");
  }
  connection_lost(true);
}

void Session::on_packet(mqtt::Packet& packet) {
  if (state_ == State::awaiting_connect && !std::holds_alternative<mqtt::Connect>(packet)) {
    // MQTT 3.1.0-1: the first packet must be CONNECT; anything else closes.
    ctx_.metrics.add(Counter::malformed);
    reject(ReasonCode::protocol_error, "first packet must be CONNECT");
    return;
  }
  if (state_ == State::authenticating && !std::holds_alternative<mqtt::Auth>(packet)) {
    // MQTT 5 4.12: until CONNACK, only AUTH may follow an authenticating CONNECT.
    ctx_.metrics.add(Counter::malformed);
    reject(ReasonCode::protocol_error, "only AUTH may follow CONNECT during authentication");
    return;
  }
  std::visit(
      [this](auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, mqtt::Connect>) {
          if (state_ != State::awaiting_connect) {
            ctx_.metrics.add(Counter::malformed);
            reject(ReasonCode::protocol_error, "second CONNECT");  // MQTT 3.1.0-2
          } else {
            handle_connect(p);
          }
        } else if constexpr (std::is_same_v<P, mqtt::Publish>) {
          handle_publish(p);
        } else if constexpr (std::is_same_v<P, mqtt::Puback>) {
          handle_puback(p);
        } else if constexpr (std::is_same_v<P, mqtt::Pubrec>) {
          handle_pubrec(p);
        } else if constexpr (std::is_same_v<P, mqtt::Pubrel>) {
          handle_pubrel(p);
        } else if constexpr (std::is_same_v<P, mqtt::Pubcomp>) {
          handle_pubcomp(p);
        } else if constexpr (std::is_same_v<P, mqtt::Subscribe>) {
          handle_subscribe(p);
        } else if constexpr (std::is_same_v<P, mqtt::Unsubscribe>) {
          handle_unsubscribe(p);
        } else if constexpr (std::is_same_v<P, mqtt::Pingreq>) {
          send_packet(mqtt::Pingresp{});
        } else if constexpr (std::is_same_v<P, mqtt::Disconnect>) {
          handle_disconnect(p);
        } else if constexpr (std::is_same_v<P, mqtt::Auth>) {
          handle_auth(p);
        } else {
          ctx_.metrics.add(Counter::malformed);
          reject(ReasonCode::protocol_error, "packet type not sent by clients");
        }
      },
      packet);
}

void Session::send_packet(const mqtt::Packet& packet) {
  if (!conn_.send(packet, version_)) {
    ACTORMQ_LOG_WARNING("client " << client_id_ << ": could not encode an outgoing packet");
  }
}

void Session::after_run() {
  if (queue_sendable()) {
    drain_queue();  // what max_queued_bytes held back follows as the client reads
  }
  // Write the acknowledgements after the deliveries this run's publishes
  // caused, as mosquitto does: on loopback each write runs the peer's receive
  // path, and the delivery is what the publisher waits for. A publisher that
  // routes in every run still writes what it held when each Deferred arrives.
  bool hold = routed_in_run_ && conn_.pending_bytes() != 0;
  routed_in_run_ = false;
  if (hold) {
    defer();
  } else {
    flush_output();
    if (conn_.pending_bytes() == 0 && queue_sendable()) {
      defer();  // the socket took it all and no write readiness will come: send more next run
    }
  }
  release_if_caught_up();
}

void Session::reject(ReasonCode code, std::string_view reason) {
  if (!conn_.is_open()) {
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
      send_packet(ack);
    } else if (code == ReasonCode::unsupported_protocol_version ||
               code == ReasonCode::client_identifier_not_valid ||
               code == ReasonCode::server_unavailable ||
               code == ReasonCode::bad_user_name_or_password ||
               code == ReasonCode::not_authorized) {
      mqtt::Connack ack;
      ack.reason_code = code;
      send_packet(ack);
    }
  } else if (v5() && state_ == State::connected) {
    mqtt::Disconnect d;
    d.reason_code = code;
    if (request_problem_info_) {
      d.properties.reason_string = std::string(reason);
      fit_reason_string(d, version_, client_max_packet_);
    }
    send_packet(d);
  }
  connection_lost(true);
}

void Session::close_socket() {
  if (rare_) {
    rare_->pending_acks.clear();  // unanswered: the client resends them on its next connection
  }
  conn_.close(*this);  // its slot too: an offline session holds nothing of its listener
  if (rare_) {
    rare_->rate.reset();  // a pause belongs to the connection; the next one starts afresh
  }
  if (counted_connected_) {
    counted_connected_ = false;
    ctx_.metrics.add(Counter::clients_connected, -1);
  }
}

void Session::connection_lost(bool with_will) {
  State was = state_;
  close_socket();
  ++generation_;  // keepalive and connect timers of this connection are void
  if (was != State::connected) {
    if (was == State::awaiting_handover) {
      return;  // the handover will still arrive; the session then goes offline
    }
    if (was != State::offline) {
      end_session(sched::ExitReason::normal());
    }
    return;
  }
  std::uint32_t will_delay = will_ ? will_->properties.will_delay_interval.value_or(0) : 0;
  if (with_will && will_delay > 0 && session_expiry_s_ > 0) {
    // MQTT 5 3.1.3.2.2: the will waits for its delay or the session's end,
    // whichever is first, and is dropped if the client comes back before.
    std::uint64_t wait_s = std::min(will_delay, session_expiry_s_);
    send_after(self(), sched::make_message<WillDelayElapsed>(generation_), wait_s * 1000);
  } else {
    if (with_will) {
      publish_will();
    }
    will_.reset();
  }
  release_publishers();  // an offline queue is expected to fill; it must not hold anyone
  redispatch_shared();
  if (session_expiry_s_ == 0) {
    end_session(sched::ExitReason::normal());
    return;
  }
  state_ = State::offline;
  if (stored_) {
    store_record(wall_ms());  // expiry is wall time: it keeps running across restarts
  }
  if (rare_) {
    rare_->out_aliases = {};
    rare_->in_aliases = {};
  }
  if (session_expiry_s_ != 0xFFFFFFFFu) {
    send_after(self(), sched::make_message<SessionExpired>(generation_),
               std::uint64_t{session_expiry_s_} * 1000);
  }
}

void Session::end_session(sched::ExitReason reason) { exit(std::move(reason)); }

void Session::on_exit(const sched::ExitReason& reason) {
  bool crashed = reason.kind == sched::ExitReason::Kind::exception;
  if (crashed) {
    ctx_.metrics.add(Counter::session_crashes);
    ACTORMQ_LOG_ERROR("session of client " << (client_id_.empty() ? "<unknown>" : client_id_)
                                           << " crashed: " << reason.to_string());
  }
  if (state_ == State::connected && (crashed || reason.kind == sched::ExitReason::Kind::killed)) {
    publish_will();  // the connection ends without a DISCONNECT
  }
  if (state_ == State::offline && will_) {
    publish_will();  // a delayed will goes out at the latest when the session ends
  }
  if (reason.kind == sched::ExitReason::Kind::shutdown && v5() && state_ == State::connected) {
    mqtt::Disconnect d;
    d.reason_code = ReasonCode::server_shutting_down;
    send_packet(d);
  }
  close_socket();
  release_publishers();
  redispatch_shared();
  if (crashed && session_expiry_s_ != 0 && !client_id_.empty() &&
      (state_ == State::connected || state_ == State::offline)) {
    // Let it crash, but keep what the client was promised: a persistent
    // session's subscriptions and messages live on in a fresh process.
    for (const auto& [full, sub] : session_.subscriptions) {
      remove_route(full, sub);
    }
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(scheduler().id());
    o.pinned = true;
    o.start = true;
    sched::Pid heir = runtime().spawn(
        std::make_unique<Session>(ctx_, Restored{client_id_, version_, session_expiry_s_, std::move(session_),
                                                 listener_index_, std::move(username_), {}}),
        o);
    session_ = SessionState{};
    ctx_.registry.claim(client_id_, heir);
    ACTORMQ_LOG_NOTICE("session of client " << client_id_ << " kept after the crash");
    return;
  }
  remove_all_routes();
  if (stored_ && reason.kind == sched::ExitReason::Kind::normal) {
    store_reset();  // expired or ended with its connection; a shutdown keeps it
  }
  if (!client_id_.empty()) {
    ctx_.registry.release(client_id_, self());
  }
}

void Session::arm_keepalive() {
  if (keepalive_s_ == 0) {
    return;
  }
  // MQTT 3.1.2.10: one and a half keep-alive periods without a packet.
  sched::CoarseTimers<KeepaliveCheck>::of(scheduler()).add(self(), generation_,
                                                           std::uint64_t{keepalive_s_} * 1500);
}

void Session::on_keepalive_check() {
  if (state_ != State::connected) {
    return;
  }
  std::uint64_t limit = std::uint64_t{keepalive_s_} * 1500;
  std::uint64_t idle = now_ms() - conn_.last_read_ms();
  if (idle >= limit) {
    ACTORMQ_LOG_INFO("client " << client_id_ << " keep-alive timeout; disconnecting");
    reject(ReasonCode::keep_alive_timeout, "keep alive timeout");
    return;
  }
  sched::CoarseTimers<KeepaliveCheck>::of(scheduler()).add(self(), generation_, limit - idle);
}

}  // namespace actormq::core
