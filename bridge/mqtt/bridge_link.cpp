// BridgeLink's life: the local side (routes, messages in and out), the
// protocol's actions, the states, their notifications and the backoff. The
// socket side is in bridge_link_io.cpp.
#include "bridge/mqtt/bridge_link.hpp"

#include <algorithm>
#include <random>

#include "core/broker_context.hpp"
#include "core/clock.hpp"
#include "core/logger.hpp"
#include "core/store/ack_gate.hpp"
#include "persist/env.hpp"
#include "mqtt/topic.hpp"
#include "sched/scheduler.hpp"
#include "sched/signals.hpp"

namespace actormq::bridge {

namespace {

// Unsent bytes past which QoS 0 messages for a slow remote are dropped
// (QoS 1/2 ones wait in the outbox, bounded by max_buffered_bytes).
constexpr std::size_t max_unsent_qos0 = 8u << 20;

mqtt::SharedBytes text(std::string_view s) { return mqtt::SharedBytes::copy_of(s); }

ClientOptions client_options(const BridgeSetup& s, bool durable_acks) {
  const core::BridgeConfig& c = s.config;
  ClientOptions o;
  o.hold_acks = durable_acks;
  o.version = c.protocol_version == core::BridgeProtocol::mqttv5 ? mqtt::ProtocolVersion::v5
                                                                 : mqtt::ProtocolVersion::v3_1_1;
  o.client_id = c.remote_client_id();
  o.username = c.username;
  o.password = c.password;
  o.clean_start = c.clean_start;
  o.keepalive_s = static_cast<std::uint16_t>(c.keepalive);
  o.try_private = c.try_private;
  if (c.notifications) {
    // The remote learns of a loss through the will (retained "0"), and of
    // each connection through a retained "1" (mosquitto's notifications).
    o.will = mqtt::Will{c.state_topic(), text("0"), mqtt::QoS::at_least_once, true, {}};
    o.on_connect = OutMessage{c.state_topic(), text("1"), mqtt::QoS::at_least_once, true, nullptr};
  }
  o.subscriptions = s.topics.remote_filters();
  o.max_inflight = static_cast<std::size_t>(c.max_inflight);
  o.max_buffered_bytes = static_cast<std::size_t>(c.max_buffered_bytes);
  return o;
}

// The properties a message keeps across the bridge: not those of one hop
// (topic alias, subscription identifiers). Its expiry counts down from its
// received_ms until it leaves (Client::publish).
mqtt::Properties carried(const mqtt::Properties& in) {
  mqtt::Properties p = in;
  p.topic_alias.reset();
  p.subscription_identifiers.clear();
  return p;
}

}  // namespace

BridgeLink::BridgeLink(core::BrokerContext& ctx, std::shared_ptr<const BridgeSetup> setup, sched::Pid predecessor)
    : ctx_(ctx), setup_(std::move(setup)), client_(client_options(*setup_, ctx.durable_acks)),
      store_(ctx.store, ctx.env, setup_->config.name),
      backoff_(static_cast<std::uint64_t>(setup_->config.restart_timeout_ms.base),
               static_cast<std::uint64_t>(setup_->config.restart_timeout_ms.cap), std::random_device{}()),
      predecessor_(predecessor) {}

std::uint64_t BridgeLink::now_ms() const { return uv_now(scheduler().loop()); }

std::string BridgeLink::who() const {
  const core::SeedAddress& e = setup_->endpoints[endpoint_];
  return "bridge " + setup_->config.name + " (" + e.host + ":" + std::to_string(e.port) + ")";
}

void BridgeLink::on_start() {
  pin();
  if (predecessor_) {
    // It moves its routes here and, once its records are committed, says
    // so (took_over): then the stored messages are read, ahead of those
    // the routes bring meanwhile. Its DOWN: it ended without handing over.
    predecessor_monitor_ = monitor(predecessor_);
    send<BridgeHandOver>(predecessor_, BridgeHandOver{self(), setup_});
  } else {
    restore();  // before any new message: the old ones go first
    set_local_routes(true);
  }
  notify_local(false);
  // Dials once the broker serves (BridgeServe): what the remote sends at
  // once must find the restored sessions' routes.
}

void BridgeLink::on_message(sched::Message& msg) {
  if (auto* d = msg.as<core::Deliver>()) {
    if (predecessor_) {
      taken_.push_back(std::move(*d));  // after the predecessor's messages
    } else {
      on_deliver(*d);
    }
  } else if (auto* ready = msg.as<net::SocketReady>()) {
    on_socket(*ready);
  } else if (msg.is<ReadMore>()) {
    read_more_sent_ = false;
    read();
  } else if (auto* tick = msg.as<Tick>()) {
    on_tick(tick->generation);
  } else if (auto* deadline = msg.as<ConnectDeadline>()) {
    if (deadline->generation == generation_ && (state_ == State::connecting || state_ == State::handshaking)) {
      lost("no CONNACK within " + std::to_string(connect_timeout_ms) + " ms of dialling");
    }
  } else if (msg.is<Redial>()) {
    if (state_ == State::waiting) {
      dial();
    }
  } else if (msg.is<BridgeServe>()) {
    if (state_ == State::waiting && !served_) {
      served_ = true;
      if (!predecessor_) {
        dial();  // else once it has handed over: one connection to the remote at a time
      }
    }
  } else if (auto* e = msg.as<BridgeEnable>()) {
    set_enabled(e->enabled);
  } else if (auto* r = msg.as<core::AckReady>()) {
    if (r->token == hand_over_token) {
      on_hand_over_committed(r->store_error);
    } else {
      on_ack_ready(r->token, r->store_error);
    }
  } else if (auto* h = msg.as<BridgeHandOver>()) {
    hand_over(std::move(*h));
  } else if (msg.is<core::RouteSynced>()) {
    on_route_synced();
  } else if (auto* done = msg.as<BridgeHandedOver>()) {
    took_over(std::move(done->owed));
  } else if (auto* down = msg.as<sched::DownMsg>()) {
    if (down->pid == predecessor_) {
      predecessor_ended();
    }
  }
}

void BridgeLink::after_run() {
  // The remote's acknowledgements are read at the end of every run too, not
  // only when their SocketReady comes up in a mailbox that a flood of local
  // deliveries fills: the window moves at the pace of the remote.
  if (state_ == State::up) {
    read();
  }
  flush();
}

void BridgeLink::on_exit(const sched::ExitReason&) {
  if (state_ == State::handing_over) {
    // Its routes, its counters and its messages are its successor's now
    // (or on their way there).
    store_.flush();
    return;
  }
  drop_taken();
  if (state_ == State::up) {
    write(client_.goodbye());  // the remote's "0", then DISCONNECT
    flush();
    ACTORMQ_LOG_NOTICE(who() << ": stopped");
  }
  store_.flush();  // what the last run gathered: no after_run follows it
  close_socket();
  set_local_routes(false);
  notify_local(false);
  setup_->counters->state.store(BridgeState::down, std::memory_order_relaxed);
}

core::RouteAdd BridgeLink::local_route(const FilterQos& f, sched::Pid link, const core::BridgeConfig& config) {
  core::RouteAdd r;
  r.filter = core::SharedText(f.filter);
  r.session = link;
  r.client_id = config.remote_client_id();
  // No Local: what this bridge brought in does not go back out; the
  // retain flag goes as it was published (mosquitto's bridge does both).
  r.info = core::SubInfo{f.qos, true, true, false, 0};
  return r;
}

void BridgeLink::set_local_routes(bool add) {
  for (const FilterQos& f : setup_->topics.local_filters()) {
    if (add) {
      ctx_.routers.add_route(runtime(), local_route(f, self(), setup_->config));
    } else {
      ctx_.routers.remove_route(runtime(), core::RouteRemove{f.filter, {}, self()});
    }
  }
}

void BridgeLink::on_deliver(const core::Deliver& d) {
  auto mapped = setup_->topics.outward(d.msg->topic);
  if (!mapped || d.msg->publisher_pid == self()) {
    return;
  }
  OutMessage m{std::move(mapped->topic), d.msg->payload, std::min(d.qos, mapped->qos), d.retain, nullptr};
  const bool expired_on_the_way =
      d.msg->received_ms != 0 && core::expired(*d.msg, core::wall_ms());  // MQTT 5 3.3.2.3.3
  if (client_.version() == mqtt::ProtocolVersion::v5) {
    mqtt::Properties props = carried(d.msg->properties());
    if (!props.empty()) {
      m.properties = std::make_shared<const mqtt::Properties>(std::move(props));
    }
  } else if (d.msg->properties().message_expiry_interval) {
    // Not sent to a 3.1.1 remote, but a message that expires while it waits is dropped all the same.
    mqtt::Properties expiry;
    expiry.message_expiry_interval = d.msg->properties().message_expiry_interval;
    m.properties = std::make_shared<const mqtt::Properties>(std::move(expiry));
  }
  m.received_ms = d.msg->received_ms;
  if (expired_on_the_way || (m.qos == mqtt::QoS::at_most_once && unsent() > max_unsent_qos0)) {
    Actions dropped;
    dropped.dropped = 1;
    execute(std::move(dropped));
    return;
  }
  // Durability sync: the publisher's acknowledgement waits for this write.
  store_.put(m, d.hold);
  consume(1);
  execute(client_.send(std::move(m), now_ms()));
}

void BridgeLink::route_in(mqtt::Publish& p, persist::HoldPtr hold) {
  auto mapped = setup_->topics.inward(p.topic);
  if (!mapped || !mqtt::is_valid_topic_name(mapped->topic) ||
      mqtt::exceeds_max_levels(mapped->topic, ctx_.limits.get().max_topic_levels)) {
    ACTORMQ_LOG_DEBUG(who() << ": a message on " << p.topic << " that no in topic carries here; dropped");
    return;
  }
  auto msg = core::new_app_message();
  msg->topic = std::move(mapped->topic);
  msg->payload = std::move(p.payload);
  msg->qos = p.qos;
  msg->retain = p.retain;
  if (client_.version() == mqtt::ProtocolVersion::v5) {
    msg->set_properties(carried(p.properties));
  }
  // As a client's publish (handle_publish): a retained message is stamped
  // too, since the cluster keeps the newer of two by received_ms (0: older
  // than any) and its expiry counts from it.
  msg->received_ms = msg->properties().message_expiry_interval || msg->retain ? core::wall_ms() : 0;
  msg->publisher = setup_->config.remote_client_id();
  msg->publisher_pid = self();  // our own local routes skip it (No Local)
  msg->body.attach(ctx_.store);  // before it is shared: stored once, whoever queues it
  setup_->counters->messages_in.fetch_add(1, std::memory_order_relaxed);
  if (msg->retain) {
    send<core::RetainStore>(ctx_.retainer, core::RetainStore{msg, hold});
  }
  send<core::RoutePublish>(ctx_.routers.local(), core::RoutePublish{std::move(msg), std::move(hold)});
  consume(2);
}

void BridgeLink::execute(Actions a) {
  // Routed before the acknowledgements in `write` go out: the remote
  // forgets a message only once it is in the routers' hands (under
  // durability sync, once stored: the held ones).
  std::vector<persist::HoldPtr> holds = gate_acks(a);
  for (std::size_t i = 0; i < a.route.size(); ++i) {
    route_in(a.route[i], i < holds.size() ? std::move(holds[i]) : nullptr);
  }
  holds.clear();  // ours: what is left of a gate is in the writes it waits for
  for (const std::string& w : a.warnings) {
    ACTORMQ_LOG_WARNING(who() << ": " << w);
  }
  if (a.dropped != 0) {
    // Logged on the first drop and every 1000th after, not per message.
    if (dropped_ / 1000 != (dropped_ + a.dropped) / 1000 || dropped_ == 0) {
      ACTORMQ_LOG_WARNING(who() << ": " << dropped_ + a.dropped << " message(s) for the remote dropped so far ("
                                << (state_ == State::up ? "more than max_buffered_bytes held" : "the remote is away")
                                << ")");
    }
    dropped_ += a.dropped;
  }
  store_.erase(a.forget);
  for (const OutMessage& m : a.released) {
    store_.released(m);
  }
  count(a);
  if (!a.write.empty()) {
    write(std::move(a.write));
  }
  write_ready_acks();  // resent QoS 2 messages, answered behind those before them
  if (a.connected) {
    on_up();
  }
  if (a.close) {
    lost(*a.close);
  }
}

std::vector<persist::HoldPtr> BridgeLink::gate_acks(const Actions& a) {
  std::vector<persist::HoldPtr> holds;
  if (a.held.empty()) {
    return holds;
  }
  holds.resize(a.route.size());
  for (const HeldAck& h : a.held) {
    const std::uint64_t token = next_ack_token_++;
    pending_acks_.push_back(PendingAck{token, h.packet, !h.route.has_value()});
    if (h.route) {
      holds[*h.route] = std::make_shared<core::AckGate>(ctx_.ack_sink, self(), token);
    }
  }
  return holds;
}

void BridgeLink::on_ack_ready(std::uint64_t token, int store_error) {
  auto it = std::find_if(pending_acks_.begin(), pending_acks_.end(),
                         [&](const PendingAck& p) { return p.token == token; });
  if (it == pending_acks_.end()) {
    return;  // its connection is gone: the remote sends the message again
  }
  if (store_error != 0) {
    // As for a client (core/session/session_store.cpp): no acknowledgement
    // for what is not on disk, and none may overtake it (MQTT 4.6), so the
    // connection ends and the remote sends them all again; this QoS 2
    // message is routed again then.
    if (const auto* rec = std::get_if<mqtt::Pubrec>(&it->packet)) {
      client_.unroute(rec->packet_id);
    }
    ACTORMQ_LOG_ERROR(who() << ": a message from the remote was not stored (" << persist::lmdb_error(store_error)
                            << "); closing the connection unacknowledged");
    lost("a message from the remote was not stored");
    return;
  }
  it->ready = true;
  write_ready_acks();
}

void BridgeLink::write_ready_acks() {
  while (!pending_acks_.empty() && pending_acks_.front().ready) {
    Actions a = client_.acknowledge(pending_acks_.front().packet);
    pending_acks_.pop_front();
    if (!a.write.empty()) {
      write(std::move(a.write));
    }
  }
}

void BridgeLink::restore(std::vector<OutMessage> owed) {
  OutStore::Loaded loaded = store_.load();
  if (loaded.error) {
    ACTORMQ_LOG_ERROR(who() << ": cannot read its stored messages: " << *loaded.error);
  }
  if (loaded.malformed != 0) {
    ACTORMQ_LOG_WARNING(who() << ": " << loaded.malformed << " stored message(s) could not be read; erased");
  }
  if (!loaded.messages.empty()) {
    ACTORMQ_LOG_NOTICE(who() << ": " << loaded.messages.size() << " stored message(s) for the remote");
  }
  for (OutMessage& m : owed) {
    store_.number_after(m.seq);  // memory only: their packet ids stay theirs
    loaded.messages.push_back(std::move(m));
  }
  execute(client_.restore(std::move(loaded.messages)));
}

void BridgeLink::count(const Actions& a) {
  BridgeCounters& c = *setup_->counters;
  c.messages_out.fetch_add(a.sent, std::memory_order_relaxed);
  c.dropped.fetch_add(a.dropped, std::memory_order_relaxed);
  c.buffered.store(client_.outbox().size(), std::memory_order_relaxed);
  c.buffered_bytes.store(client_.outbox().bytes(), std::memory_order_relaxed);
}

void BridgeLink::set_enabled(bool enabled) {
  if (state_ == State::handing_over) {
    return;  // the successor has the bridge now
  }
  if (!enabled && state_ != State::disabled) {
    if (state_ == State::up) {
      write(client_.goodbye());  // as when the broker stops: the remote's "0", then DISCONNECT
      flush();
    }
    close_socket();
    client_.lost();
    pending_acks_.clear();
    ++generation_;  // its timers are void; a pending Redial finds us disabled
    ACTORMQ_LOG_NOTICE(who() << ": disabled");
    notify_local(false);
    set_state(State::disabled);
  } else if (enabled && state_ == State::disabled) {
    ACTORMQ_LOG_NOTICE(who() << ": enabled");
    endpoint_ = 0;
    backoff_.reset();
    dial();
  }
}

void BridgeLink::set_state(State s) {
  state_ = s;
  BridgeState shown = s == State::up          ? BridgeState::up
                      : s == State::waiting   ? BridgeState::down
                      : s == State::disabled  ? BridgeState::disabled
                                              : BridgeState::connecting;  // handing over too: one follows
  setup_->counters->state.store(shown, std::memory_order_relaxed);
}

void BridgeLink::on_up() {
  set_state(State::up);
  backoff_.reset();
  ACTORMQ_LOG_NOTICE(who() << ": connected (" << mqtt::to_string(client_.version()) << ", "
                           << client_.outbox().in_flight().size() << " in flight, " << client_.outbox().waiting()
                           << " waiting)");
  notify_local(true);
  // As mosquitto's bridge does on each connection: the local retained
  // messages of the out topics go too, so the remote learns what was
  // retained while it was away (or before the bridge existed).
  for (const FilterQos& f : setup_->topics.local_filters()) {
    send<core::RetainQuery>(ctx_.retainer, core::RetainQuery{f.filter, self(), core::SubInfo{f.qos, true, true, false, 0}});
  }
  if (setup_->config.keepalive != 0) {
    send_after(self(), sched::make_message<Tick>(generation_),
               std::max<std::uint64_t>(250, static_cast<std::uint64_t>(setup_->config.keepalive) * 250));
  }
}

void BridgeLink::on_tick(std::uint32_t generation) {
  if (generation != generation_ || state_ != State::up) {
    return;
  }
  execute(client_.tick(now_ms()));
  if (state_ == State::up) {
    // Four checks per keep alive: neither a PINGREQ nor the verdict on a
    // silent remote comes more than a quarter of it late.
    send_after(self(), sched::make_message<Tick>(generation_),
               std::max<std::uint64_t>(250, static_cast<std::uint64_t>(setup_->config.keepalive) * 250));
  }
}

void BridgeLink::lost(const std::string& why) {
  const bool was_up = state_ == State::up;
  close_socket();
  client_.lost();
  pending_acks_.clear();
  ++generation_;
  if (was_up) {
    ACTORMQ_LOG_NOTICE(who() << ": down (" << why << ")");
    endpoint_ = 0;  // the primary first again
  } else {
    ACTORMQ_LOG_INFO(who() << ": " << why);
    endpoint_ = (endpoint_ + 1) % setup_->endpoints.size();
  }
  notify_local(false);
  set_state(State::waiting);
  send_after(self(), sched::make_message<Redial>(), backoff_.next());
}

void BridgeLink::notify_local(bool up) {
  if (!setup_->config.notifications || published_state_ == up) {
    return;
  }
  published_state_ = up;
  auto msg = core::new_app_message();
  msg->topic = setup_->config.state_topic();
  msg->payload = text(up ? "1" : "0");
  msg->qos = mqtt::QoS::at_least_once;
  msg->retain = true;
  msg->publisher = setup_->config.remote_client_id();
  msg->publisher_pid = self();
  send<core::RetainStore>(ctx_.retainer, core::RetainStore{msg, {}});
  send<core::RoutePublish>(ctx_.routers.local(), core::RoutePublish{std::move(msg), {}});
}

}  // namespace actormq::bridge
