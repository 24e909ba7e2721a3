#include "core/session/session.hpp"

#include <utility>

#include "core/auth/security.hpp"
#include "core/logger.hpp"
#include "core/routing/retainer.hpp"
#include "sched/coarse_timers.hpp"
#include "sched/runtime.hpp"
#include "sched/scheduler.hpp"

namespace actormq::core {

// One per connection, idle or not: 296 bytes is a 304-byte malloc chunk
// (memory per idle connection is a target; BENCHMARKS.md).
static_assert(sizeof(Session) <= 280, "an idle session stays within 280 bytes (a 288-byte malloc chunk)");

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
struct ThrottleTimeout {
  std::uint32_t generation;
};

// Reductions charged per routed message (see route()).
constexpr std::uint32_t publish_cost = 2;

// A server reading a client's stream: CONNECT first (MQTT 3.1.0-1).
mqtt::ParserOptions client_stream(const Limits& limits) {
  mqtt::ParserOptions o;
  o.max_packet_size = limits.max_packet_size;
  o.connect_first = true;
  return o;
}
}  // namespace

// The limits in force when it starts stay its limits (LimitsInForce).
Session::Session(BrokerContext& ctx, int fd, ConnectionSlot slot)
    : Session(ctx, fd, std::move(slot), ctx.limits.current()) {}

Session::Session(BrokerContext& ctx, int fd, ConnectionSlot slot, std::uint16_t limits_version)
    : conn_(fd, std::move(slot), client_stream(ctx.limits.at(limits_version))),
      channel_(conn_.slot().listener()->security_index) {
  conn_.set_limits_version(limits_version);
}

Session::Session(BrokerContext& ctx, Restored restored)
    : channel_(std::move(restored), ctx.store != nullptr) {
  conn_.set_limits_version(ctx.limits.current());
}

Session::Session(BrokerContext& ctx, Restored identity, sched::Pid from)
    : channel_(std::move(identity), ctx.store != nullptr, from) {
  conn_.set_limits_version(ctx.limits.current());
}

sched::Pid spawn_adopter(BrokerContext& ctx, AdoptRequest request) {
  // The rules of the listener it was accepted on, as at a restore
  // (Broker::spawn_restored_sessions): the nodes of a cluster share a
  // configuration; a listener this node lacks leaves it anonymous on the first.
  std::uint16_t rules = 0;
  std::unique_ptr<std::string> user;
  if (ctx.security != nullptr && request.listener_index < ctx.security->size()) {
    rules = request.listener_index;
    if (request.username) {
      user = std::make_unique<std::string>(std::move(*request.username));
    }
  }
  sched::SpawnOptions o;
  o.pinned = true;  // its timers
  o.start = true;
  return ctx.runtime.spawn(std::make_unique<Session>(ctx,
                                                     Session::Restored{std::move(request.client_id), request.version,
                                                                       request.session_expiry_s, SessionState{}, rules,
                                                                       std::move(user)},
                                                     request.session),
                           o);
}

// Long enough for a large session's state to cross a busy link.
constexpr std::uint64_t adopt_timeout_ms = 30000;

void Session::on_start() {
  if (channel_.adopting()) {
    channel_.start_adopting(*this);
    connect_timer_ = send_after(self(), sched::make_message<ConnectTimeout>(channel_.generation()), adopt_timeout_ms);
    return;
  }
  if (channel_.offline()) {
    channel_.start_offline(*this);  // restored: take the routes back and wait for the client
    ctx().restored.arrive();         // they are on their way to the routers
    return;
  }
  conn_.open(*this, conn_.slot().transport());
  connect_timer_ = send_after(self(), sched::make_message<ConnectTimeout>(channel_.generation()),
                              limits().connect_timeout_ms);
}

void Session::on_message(sched::Message& msg) {
  if (auto* d = msg.as<Deliver>()) {
    channel_.handle_deliver(*this, *d);
  } else if (auto* a = msg.as<AckReady>()) {
    channel_.on_ack_ready(*this, a->token, a->store_error);
  } else if (auto* ready = msg.as<net::SocketReady>()) {
    on_socket(*ready);
  } else if (auto* rr = msg.as<RateResume>()) {
    channel_.on_rate_resume(*this, rr->generation);
  } else if (msg.is<sched::Deferred>()) {
    flush_output();  // what after_run held back
  } else if (msg.is<ReadMore>()) {
    conn_.read(*this);
  } else if (auto* th = msg.as<Throttle>()) {
    channel_.on_throttle(*this, th->by, true);
  } else if (auto* un = msg.as<Unthrottle>()) {
    channel_.on_throttle(*this, un->by, false);
  } else if (auto* tt = msg.as<ThrottleTimeout>()) {
    channel_.on_throttle_timeout(*this, tt->generation);
  } else if (msg.is<RouteSynced>()) {
    channel_.on_route_synced(*this);
  } else if (auto* t = msg.as<Takeover>()) {
    channel_.handle_takeover(*this, *t);
  } else if (auto* h = msg.as<Handover>()) {
    channel_.on_handover(*this, std::move(h->state));
  } else if (auto* part = msg.as<HandoverPart>()) {
    channel_.on_handover_part(*this, *part);
  } else if (auto* release = msg.as<HandoverRelease>()) {
    channel_.on_handover_release(*this, release->by);
  } else if (msg.is<PeersDrained>()) {
    channel_.on_peers_drained(*this);
  } else if (msg.is<Supersede>()) {
    channel_.supersede(*this);
  } else if (msg.is<HandoverDelayElapsed>()) {
    channel_.on_handover_delay_elapsed(*this);
  } else if (auto* sw = msg.as<SuccessorWait>()) {
    channel_.on_successor_wait(*this, sw->generation);
  } else if (auto* k = msg.as<KeepaliveCheck>()) {
    channel_.on_keepalive_check(*this, k->generation);
  } else if (auto* c = msg.as<ConnectTimeout>()) {
    if (channel_.connect_pending(c->generation)) {
      if (conn_.handshaking()) {
        ACTORMQ_LOG_INFO(conn_.kind() << " connection from " << conn_.peer()
                                      << " did not finish its handshake in time; closing");
      } else {
        ACTORMQ_LOG_INFO("client at fd " << conn_.fd() << " sent no CONNECT in time; closing");
      }
      channel_.on_connect_timeout(*this);
    }
  } else if (auto* down = msg.as<sched::DownMsg>()) {
    channel_.on_down(*this, down->pid, down->reason);
  } else if (auto* w = msg.as<WillDelayElapsed>()) {
    channel_.on_will_delay_elapsed(*this, w->generation);
  } else if (auto* e = msg.as<SessionExpired>()) {
    channel_.on_session_expired(*this, e->generation);
  } else if (auto* q = msg.as<ClientInfoQuery>()) {
    answer_query(*q);
  } else if (msg.is<Kick>()) {
    channel_.kick(*this);
  } else if (msg.is<TlsReloaded>()) {
    end_if_revoked();
  } else if (auto* dr = msg.as<Drain>()) {
    drain(*dr);
  } else if (msg.is<ListenerClosed>()) {
    end_if_listener_closed();
  } else if (auto* ev = msg.as<Evacuate>()) {
    send<EvacuateAnswer>(ev->from, EvacuateAnswer{channel_.evacuate(*this, *ev)});
  } else if (auto* adopt = msg.as<Adopt>()) {
    channel_.handle_adopt(*this, adopt->by);
  }
}

void Session::drain(const Drain& d) {
  ClientId client_id = channel_.client_id();
  if (channel_.drain(*this, d.server_reference.get())) {
    ACTORMQ_LOG_INFO("upgrade: client " << client_id << " disconnected");
    d.tally->disconnected.fetch_add(1);
  }
  d.tally->answered.fetch_add(1);  // after the count Broker::drain reads once all have answered
}

void Session::end_if_listener_closed() {
  if (!conn_.is_open() || !listener_closed()) {
    return;
  }
  ACTORMQ_LOG_INFO("client " << channel_.client_id() << " (" << conn_.peer() << "): listener "
                             << conn_.slot().listener()->name << " closed by a reload; disconnecting");
  if (!channel_.listener_closed(*this)) {
    on_connection_lost(ConnectionLoss::error);  // before CONNECT: the connection ends, and so does the process
    conn_.close(*this);
  }
}

void Session::end_if_revoked() {
  if (!conn_.is_open()) {
    return;
  }
  if (std::string why = conn_.revoked(); !why.empty()) {
    ACTORMQ_LOG_NOTICE("client " << channel_.client_id() << " (" << conn_.peer() << "): " << why
                                 << " by the reloaded crlfile; disconnecting");
    on_connection_lost(ConnectionLoss::error);
    conn_.close(*this);
  }
}

void Session::answer_query(const ClientInfoQuery& query) {
  ClientInfoReply reply{query.tag, channel_.describe(query.with_subscriptions)};
  if (conn_.is_open()) {
    reply.info.peer = conn_.peer();
    reply.info.transport = conn_.kind();
  }
  if (const ListenerShared* listener = conn_.slot().listener()) {
    reply.info.listener = listener->name;
  }
  consume(static_cast<std::uint32_t>(reply.info.subscriptions.size()));
  send<ClientInfoReply>(query.reply_to, std::move(reply));
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

void Session::on_connection_lost(ConnectionLoss loss) {
  if (loss == ConnectionLoss::backlog) {
    ACTORMQ_LOG_NOTICE("client " << channel_.client_id() << " does not read its messages; disconnecting");
  }
  channel_.on_connection_lost(*this);
}

void Session::after_run() {
  if (channel_.queue_sendable(*this)) {
    channel_.drain_queue(*this);  // what max_queued_bytes held back follows as the client reads
  }
  // Write the acknowledgements after the deliveries this run's publishes
  // caused, as mosquitto does: on loopback each write runs the peer's receive
  // path, and the delivery is what the publisher waits for. A publisher that
  // routes in every run still writes what it held when each Deferred arrives.
  bool hold = channel_.take_routed() && conn_.pending_bytes() != 0;
  if (hold) {
    defer();
  } else {
    flush_output();
    if (conn_.pending_bytes() == 0 && channel_.queue_sendable(*this)) {
      defer();  // the socket took it all and no write readiness will come: send more next run
    }
  }
  channel_.release_if_caught_up(*this);
}

void Session::on_exit(const sched::ExitReason& reason) {
  using Kind = sched::ExitReason::Kind;
  Channel::Exit how = reason.kind == Kind::exception ? Channel::Exit::crashed
                      : reason.kind == Kind::killed  ? Channel::Exit::killed
                      : reason.kind == Kind::shutdown ? Channel::Exit::shutdown
                      : reason.kind == Kind::normal   ? Channel::Exit::normal
                                                      : Channel::Exit::other;
  if (how == Channel::Exit::crashed) {
    ctx().metrics.add(Counter::session_crashes);
    const ClientId& id = channel_.client_id();
    ACTORMQ_LOG_ERROR("session of client " << (id.empty() ? "<unknown>" : id.view()) << " crashed: "
                                           << reason.to_string());
  }
  channel_.on_exit(*this, how);
  if (how == Channel::Exit::crashed && channel_.survives_crash()) {
    // Let it crash, but keep what the client was promised: a persistent
    // session's subscriptions and messages live on in a fresh process.
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(scheduler().id());
    o.pinned = true;
    o.start = true;
    ClientId client_id = channel_.client_id();
    sched::Pid heir = runtime().spawn(std::make_unique<Session>(ctx(), channel_.hand_to_heir(*this)), o);
    ctx().registry.claim(client_id, heir, false);
    ACTORMQ_LOG_NOTICE("session of client " << client_id << " kept after the crash");
    return;
  }
  channel_.forget(*this, how);
  if (!channel_.client_id().empty()) {
    ctx().registry.release(channel_.client_id(), self());
  }
}

// ---- ChannelHost ----

const ListenerSecurity* Session::security(std::uint16_t index) const {
  return ctx().security != nullptr ? &ctx().security->listener(index) : nullptr;
}

std::uint64_t Session::now_ms() { return uv_now(scheduler().loop()); }

void Session::route(AppMessagePtr msg, persist::HoldPtr hold) {
  if (msg->retain) {
    send<RetainStore>(ctx().retainer, RetainStore{msg, hold});
  }
  sched::Pid router = ctx().routers.local();
  send<RoutePublish>(router, RoutePublish{std::move(msg), std::move(hold)});
  // A published message costs about what its delivery does (a message to a
  // session, an encode): charged by bytes read alone, a publisher read a
  // thousand messages per budget while its subscriber wrote one hundred, and
  // under fan-in the subscriber's mailbox grew by millions before it ran.
  consume(publish_cost);
}

void Session::add_route(const RouteAdd& add) { ctx().routers.add_route(runtime(), add); }

void Session::remove_route(const RouteRemove& remove) { ctx().routers.remove_route(runtime(), remove); }

std::size_t Session::sync_routes() { return ctx().routers.sync(runtime(), self()); }

void Session::redeliver_shared(Deliver d) {
  send<RedeliverShared>(ctx().routers.local(), RedeliverShared{std::move(d), self()});
}

void Session::query_retained(const std::string& filter, const SubInfo& info) {
  send<RetainQuery>(ctx().retainer, RetainQuery{filter, self(), info});
}

std::optional<sched::Pid> Session::claim_client_id(const ClientId& client_id, bool connected) {
  return ctx().registry.claim(client_id, self(), connected);
}

void Session::send_adopt(sched::Pid to) { send<Adopt>(to, Adopt{self()}); }

void Session::request_adoption(sched::Pid agent, AdoptRequest request) { send<AdoptRequest>(agent, std::move(request)); }

bool Session::send_takeover(sched::Pid to, Takeover takeover) { return send<Takeover>(to, std::move(takeover)); }

void Session::send_handover(sched::Pid to, SessionState state, bool tail) {
  if (to.node() == self().node()) {
    send<Handover>(to, Handover{std::move(state)});
    return;
  }
  // To another node: as bytes, in parts that interleave with other traffic
  // on the link (session_state_codec.hpp); the link keeps their order.
  std::vector<std::string> parts = encode_session_state(state);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    consume(static_cast<std::uint32_t>(parts[i].size() / 4096));
    send<HandoverPart>(to, HandoverPart{mqtt::SharedBytes::copy_of(std::string_view(parts[i])),
                                        i + 1 == parts.size(), tail});
  }
}

std::optional<sched::Pid> Session::find_remote_session(const std::string& client_id, sched::Pid except) {
  ClientDirectory* d = ctx().registry.directory();
  return d != nullptr ? d->find_remote(client_id, except) : std::nullopt;
}

void Session::release_previous(sched::Pid previous) {
  if (ClientDirectory* d = ctx().registry.directory()) {
    send<HandoverRelease>(d->releaser(), HandoverRelease{previous, self()});
  }
}

bool Session::drain_peers() {
  ClientDirectory* d = ctx().registry.directory();
  if (d == nullptr) {
    return false;
  }
  send<PeersDrain>(d->releaser(), PeersDrain{self()});
  return true;
}

void Session::send_throttle(sched::Pid to, bool on) {
  if (on) {
    send<Throttle>(to, Throttle{self()});
  } else {
    send<Unthrottle>(to, Unthrottle{self()});
  }
}

persist::HoldPtr Session::ack_gate(std::uint64_t token) {
  return std::make_shared<AckGate>(ctx().ack_sink, self(), token);
}

void Session::arm_timer(ChannelTimer timer, std::uint32_t generation, std::uint64_t ms) {
  switch (timer) {
    case ChannelTimer::keepalive:
      sched::CoarseTimers<KeepaliveCheck>::of(scheduler()).add(self(), generation, ms);
      return;
    case ChannelTimer::rate_resume:
      send_after(self(), sched::make_message<RateResume>(generation), ms);
      return;
    case ChannelTimer::will_delay:
      send_after(self(), sched::make_message<WillDelayElapsed>(generation), ms);
      return;
    case ChannelTimer::session_expiry:
      send_after(self(), sched::make_message<SessionExpired>(generation), ms);
      return;
    case ChannelTimer::throttle:
      send_after(self(), sched::make_message<ThrottleTimeout>(generation), ms);
      return;
    case ChannelTimer::handover_delay:
      send_after(self(), sched::make_message<HandoverDelayElapsed>(), ms);
      return;
    case ChannelTimer::successor_wait:
      send_after(self(), sched::make_message<SuccessorWait>(generation), ms);
      return;
  }
}

void Session::cancel_connect_timer() {
  // Held for every connection until it fires: gone at CONNACK, an idle
  // connection keeps no timer entry beyond its keep-alive.
  cancel_timer(connect_timer_);
  connect_timer_ = {};
}

}  // namespace actormq::core
