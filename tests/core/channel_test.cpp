// The channel against a fake host: no socket, no runtime. Each test drives
// the state machine with packets, deliveries and timers and checks exactly
// what it made happen.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/core/fake_channel_host.hpp"

using namespace actormq;
using namespace actormq::core;
using mqtt::QoS;
using mqtt::ReasonCode;
using namespace actormq::core::channel_test;

TEST_CASE("channel: CONNECT 3.1.1 gets CONNACK accepted, counted, keep-alive armed") {
  FakeHost host;
  Channel ch(0);
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v3_1_1, "c1");
  c.keep_alive = 10;
  in(ch, host, c);
  CHECK(ch.connected());
  CHECK(ch.client_id() == "c1");
  REQUIRE(host.packets.size() == 1);
  const auto& ack = host.last<mqtt::Connack>();
  CHECK(ack.reason_code == ReasonCode::success);
  CHECK_FALSE(ack.session_present);
  CHECK(host.metrics_.get(Counter::clients_connected) == 1);
  const Timer* ka = host.last_timer(ChannelTimer::keepalive);
  REQUIRE(ka != nullptr);
  CHECK(ka->ms == 15000);  // MQTT 3.1.2.10: one and a half periods
}

TEST_CASE("channel: CONNECT 5.0 with an empty client id is assigned one, told in CONNACK") {
  FakeHost host;
  Channel ch(0);
  in(ch, host, connect(mqtt::ProtocolVersion::v5, ""));
  REQUIRE(ch.connected());
  const auto& ack = host.last<mqtt::Connack>();
  CHECK(ack.reason_code == ReasonCode::success);
  REQUIRE(ack.properties.assigned_client_identifier);
  CHECK(*ack.properties.assigned_client_identifier == ch.client_id());
  CHECK(ch.client_id().view().starts_with("actormq-"));
  CHECK(ack.properties.receive_maximum == host.limits_.receive_maximum);
}

TEST_CASE("channel: an anonymous CONNECT where the rules refuse anonymous clients is refused and closed") {
  FakeHost host(false);
  Channel ch(0);
  in(ch, host, connect(mqtt::ProtocolVersion::v3_1_1, "c1"));
  CHECK_FALSE(ch.connected());
  CHECK(host.last<mqtt::Connack>().reason_code == ReasonCode::not_authorized);
  CHECK(host.closes == 1);
  CHECK(host.ended);
  CHECK(host.metrics_.get(Counter::auth_failures) == 1);
}

TEST_CASE("channel: a second CONNECT is a protocol error (v5 DISCONNECT 0x82, closed)") {
  FakeHost host;
  Channel ch(0);
  connect_ok(ch, host, connect(mqtt::ProtocolVersion::v5, "c1"));
  in(ch, host, connect(mqtt::ProtocolVersion::v5, "c1"));
  CHECK(host.last<mqtt::Disconnect>().reason_code == ReasonCode::protocol_error);
  CHECK(host.closes == 1);
  CHECK(host.metrics_.get(Counter::malformed) == 1);
}

TEST_CASE("channel: SUBSCRIBE answers SUBACK, adds the route and asks for retained messages") {
  FakeHost host;
  Channel ch(0);
  connect_ok(ch, host, connect(mqtt::ProtocolVersion::v3_1_1, "c1"));
  mqtt::Subscribe s;
  s.packet_id = 7;
  s.subscriptions.push_back(mqtt::Subscription{"a/+", {QoS::at_least_once}});
  s.subscriptions.push_back(mqtt::Subscription{"a/#/b", {QoS::at_most_once}});  // invalid filter
  in(ch, host, s);
  const auto& ack = host.last<mqtt::Suback>();
  CHECK(ack.packet_id == 7);
  REQUIRE(ack.reason_codes.size() == 2);
  CHECK(ack.reason_codes[0] == ReasonCode::granted_qos_1);
  CHECK(ack.reason_codes[1] == ReasonCode::topic_filter_invalid);
  REQUIRE(host.route_adds.size() == 1);
  CHECK(host.route_adds[0].filter == "a/+");
  CHECK(host.route_adds[0].info.max_qos == QoS::at_least_once);
  CHECK(host.retained_queries == std::vector<std::string>{"a/+"});
  CHECK(ch.state().subscriptions.contains("a/+"));
}

TEST_CASE("channel: PUBLISH QoS 0, 1 and 2 are routed, QoS 1 gets PUBACK, QoS 2 PUBREC, PUBREL PUBCOMP") {
  FakeHost host;
  Channel ch(0);
  connect_ok(ch, host, connect(mqtt::ProtocolVersion::v3_1_1, "c1"));
  in(ch, host, publish("t/0", QoS::at_most_once, 0));
  CHECK(host.packets.empty());
  in(ch, host, publish("t/1", QoS::at_least_once, 5));
  CHECK(host.last<mqtt::Puback>().packet_id == 5);
  in(ch, host, publish("t/2", QoS::exactly_once, 6));
  CHECK(host.last<mqtt::Pubrec>().packet_id == 6);
  REQUIRE(host.routed.size() == 3);
  CHECK(host.routed[0]->topic == "t/0");
  CHECK(host.routed[1]->topic == "t/1");
  CHECK(host.routed[2]->topic == "t/2");
  CHECK(host.routed[2]->qos == QoS::exactly_once);
  CHECK(host.routed[1]->publisher == "c1");
  CHECK(ch.take_routed());
  CHECK_FALSE(ch.take_routed());

  // A resent QoS 2 PUBLISH before PUBREL is acknowledged, not routed again (4.3.3).
  in(ch, host, publish("t/2", QoS::exactly_once, 6));
  CHECK(host.last<mqtt::Pubrec>().packet_id == 6);
  CHECK(host.routed.size() == 3);

  mqtt::Pubrel rel;
  rel.packet_id = 6;
  in(ch, host, rel);
  CHECK(host.last<mqtt::Pubcomp>().packet_id == 6);
  CHECK(ch.state().awaiting_rel.empty());
}

TEST_CASE("channel: durability sync: acknowledgements go in arrival order once each, whatever order their commits end") {
  // A window of 300 publishes with commits ending out of order: each ack is
  // sent once the ones before it are, across the pending list's trimming.
  FakeHost host;
  host.durable = true;
  Channel ch(0);
  connect_ok(ch, host, connect(mqtt::ProtocolVersion::v3_1_1, "c1"));
  constexpr std::uint16_t n = 300;
  for (std::uint16_t id = 1; id <= n; ++id) {
    in(ch, host, publish("t", QoS::at_least_once, id));
  }
  REQUIRE(host.ack_tokens.size() == n);
  CHECK(host.packets.empty());
  // Commits end in runs of 7 taken back to front, then the first of each run.
  std::vector<std::size_t> order;
  for (std::size_t run = 0; run < n; run += 7) {
    for (std::size_t i = std::min<std::size_t>(run + 6, n - 1); i > run; --i) {
      order.push_back(i);
    }
  }
  for (std::size_t run = 0; run < n; run += 7) {
    order.push_back(run);
  }
  REQUIRE(order.size() == n);
  std::size_t sent_before = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    ch.on_ack_ready(host, host.ack_tokens[order[k]], 0);
    ch.on_ack_ready(host, host.ack_tokens[order[k]], 0);  // a second answer sends nothing again
    CHECK(host.packets.size() >= sent_before);
    sent_before = host.packets.size();
  }
  REQUIRE(host.packets.size() == n);
  for (std::uint16_t id = 1; id <= n; ++id) {
    REQUIRE(std::holds_alternative<mqtt::Puback>(host.packets[id - 1]));
    CHECK(std::get<mqtt::Puback>(host.packets[id - 1]).packet_id == id);
  }
  // After all were sent, the next one goes at its own commit.
  in(ch, host, publish("t", QoS::at_least_once, 1));
  ch.on_ack_ready(host, host.ack_tokens.back(), 0);
  REQUIRE(host.packets.size() == n + 1u);
  CHECK(std::get<mqtt::Puback>(host.packets.back()).packet_id == 1);
}

TEST_CASE("channel: topic alias from the client resolves to its topic") {
  FakeHost host;
  Channel ch(0);
  connect_ok(ch, host, connect(mqtt::ProtocolVersion::v5, "c1"));
  mqtt::Publish bind = publish("sensors/1", QoS::at_most_once, 0);
  bind.properties.topic_alias = 3;
  in(ch, host, bind);
  mqtt::Publish use = publish("", QoS::at_most_once, 0);
  use.properties.topic_alias = 3;
  in(ch, host, use);
  REQUIRE(host.routed.size() == 2);
  CHECK(host.routed[1]->topic == "sensors/1");
  CHECK_FALSE(host.routed[1]->properties().topic_alias);

  mqtt::Publish unknown = publish("", QoS::at_most_once, 0);
  unknown.properties.topic_alias = 4;
  in(ch, host, unknown);
  CHECK(host.last<mqtt::Disconnect>().reason_code == ReasonCode::protocol_error);
  CHECK(host.closes == 1);
}

TEST_CASE("channel: topic alias to the client: the first PUBLISH binds, the next sends no topic") {
  FakeHost host;
  Channel ch(0);
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v5, "c1");
  c.properties.topic_alias_maximum = 2;
  connect_ok(ch, host, c);
  Deliver d1 = delivery("a/b", QoS::at_most_once);
  ch.handle_deliver(host, d1);
  Deliver d2 = delivery("a/b", QoS::at_most_once);
  ch.handle_deliver(host, d2);
  REQUIRE(host.publishes.size() == 2);
  CHECK(host.publishes[0].topic == "a/b");
  CHECK(host.publishes[0].topic_alias == std::optional<std::uint16_t>(1));
  CHECK(host.publishes[1].topic.empty());
  CHECK(host.publishes[1].topic_alias == std::optional<std::uint16_t>(1));
}

TEST_CASE("channel: a delivery beyond the in-flight window is queued and sent on PUBACK") {
  FakeHost host;
  host.limits_.max_inflight = 1;
  Channel ch(0);
  connect_ok(ch, host, connect(mqtt::ProtocolVersion::v3_1_1, "c1"));
  Deliver d1 = delivery("t", QoS::at_least_once);
  ch.handle_deliver(host, d1);
  Deliver d2 = delivery("u", QoS::at_least_once);
  ch.handle_deliver(host, d2);
  REQUIRE(host.publishes.size() == 1);
  CHECK(host.publishes[0].topic == "t");
  CHECK(ch.state().queue.size() == 1);
  CHECK(ch.queue_sendable(host) == false);

  mqtt::Puback ack;
  ack.packet_id = host.publishes[0].packet_id;
  in(ch, host, ack);
  REQUIRE(host.publishes.size() == 2);
  CHECK(host.publishes[1].topic == "u");
  CHECK(host.publishes[1].qos == QoS::at_least_once);
  CHECK(host.publishes[1].packet_id != host.publishes[0].packet_id);
  CHECK(ch.state().queue.empty());
  CHECK(ch.state().inflight.size() == 1);
}

TEST_CASE("channel: keep-alive timeout closes the connection and publishes the will") {
  FakeHost host;
  Channel ch(0);
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v5, "c1");
  c.keep_alive = 2;
  c.will = mqtt::Will{"will/c1", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}};
  connect_ok(ch, host, c);
  REQUIRE(host.last_timer(ChannelTimer::keepalive) != nullptr);
  const Timer ka = *host.last_timer(ChannelTimer::keepalive);
  CHECK(ka.ms == 3000);

  // A check of an earlier connection's timer does nothing.
  host.now = host.last_read + 5000;
  ch.on_keepalive_check(host, ka.generation - 1);
  CHECK(host.closes == 0);

  // Not idle long enough: the check is armed again for the rest.
  host.now = host.last_read + 1000;
  ch.on_keepalive_check(host, ka.generation);
  CHECK(host.closes == 0);
  CHECK(host.last_timer(ChannelTimer::keepalive)->ms == 2000);

  host.now = host.last_read + 3000;
  ch.on_keepalive_check(host, ka.generation);
  CHECK(host.last<mqtt::Disconnect>().reason_code == ReasonCode::keep_alive_timeout);
  CHECK(host.closes == 1);
  REQUIRE(host.routed.size() == 1);
  CHECK(host.routed[0]->topic == "will/c1");
  CHECK(host.ended);  // no session expiry: the session ends with its connection
}

TEST_CASE("channel: DISCONNECT discards the will, 5.0 DISCONNECT 0x04 publishes it") {
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v5, "c1");
  c.will = mqtt::Will{"will/c1", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}};
  {
    FakeHost host;
    Channel ch(0);
    connect_ok(ch, host, c);
    in(ch, host, mqtt::Disconnect{});
    CHECK(host.closes == 1);
    CHECK(host.routed.empty());
    CHECK(host.ended);
  }
  {
    FakeHost host;
    Channel ch(0);
    connect_ok(ch, host, c);
    mqtt::Disconnect d;
    d.reason_code = ReasonCode::disconnect_with_will_message;
    in(ch, host, d);
    CHECK(host.closes == 1);
    REQUIRE(host.routed.size() == 1);
    CHECK(host.routed[0]->topic == "will/c1");
  }
}

TEST_CASE("channel: a connection lost without DISCONNECT publishes the will") {
  FakeHost host;
  Channel ch(0);
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v3_1_1, "c1");
  c.will = mqtt::Will{"will/c1", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}};
  connect_ok(ch, host, c);
  ch.on_connection_lost(host);
  REQUIRE(host.routed.size() == 1);
  CHECK(host.routed[0]->topic == "will/c1");
  CHECK(host.metrics_.get(Counter::clients_connected) == 0);
}

TEST_CASE("channel: an idle channel costs at most 152 bytes (memory per idle session)") {
  // Session = Process + Connection (128) + Channel + three words; 416 in all.
  CHECK(sizeof(Channel) <= 152);
}

TEST_CASE("channel: a taken-over session's state comes with its subscriptions, and the new connection keeps its own will") {
  FakeHost host;
  host.self_ = sched::Pid(0, 2);
  host.previous = sched::Pid(0, 1);
  Channel ch(0);
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v3_1_1, "c1");
  c.clean_start = false;
  c.will = mqtt::Will{"will/new", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}};
  in(ch, host, c);
  CHECK(host.packets.empty());  // CONNACK waits for the handover

  SessionState old;
  old.subscriptions.emplace("a/#", Subscription::of("a/#", SubInfo{QoS::at_least_once}));
  // A state never carries a will on takeover (the old session sends or drops
  // it first); were one there, it is not this connection's.
  old.will = std::make_unique<mqtt::Will>(
      mqtt::Will{"will/old", mqtt::SharedBytes::copy_of(std::string_view("old")), QoS::at_most_once, false, {}});
  ch.on_handover(host, std::move(old));
  REQUIRE(ch.connected());
  CHECK(host.last<mqtt::Connack>().session_present);
  REQUIRE(host.route_adds.size() == 1);
  CHECK(host.route_adds[0].filter == "a/#");

  ch.on_connection_lost(host);
  REQUIRE(host.routed.size() == 1);
  CHECK(host.routed[0]->topic == "will/new");
}

namespace {
/// A v5 channel with a session expiry, subscribed to "a/#" at QoS 1.
void connected_with_subscription(Channel& ch, FakeHost& host) {
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v5, "mover");
  c.clean_start = false;
  c.properties.session_expiry_interval = 300;
  connect_ok(ch, host, std::move(c));
  mqtt::Subscribe s;
  s.packet_id = 1;
  s.subscriptions.push_back(mqtt::Subscription{"a/#", {QoS::at_least_once}});
  in(ch, host, s);
  host.packets.clear();
}
}  // namespace

TEST_CASE("channel: taken over from another node: 0x8E, the state leaves at once, the routes stay until released, then the tail") {
  FakeHost host;
  host.self_ = sched::Pid(1, 2);
  Channel ch(0);
  connected_with_subscription(ch, host);
  Deliver first = delivery("a/1", QoS::at_least_once);
  ch.handle_deliver(host, first);  // in flight
  const sched::Pid by(2, 9);
  ch.handle_takeover(host, Takeover{by, false, nullptr});
  CHECK(host.last<mqtt::Disconnect>().reason_code == ReasonCode::session_taken_over);
  CHECK_FALSE(host.open);
  CHECK_FALSE(host.ended);
  REQUIRE(host.handovers.size() == 1);
  CHECK(host.handovers[0] == std::pair<sched::Pid, bool>{by, false});
  CHECK(host.handed[0].subscriptions.contains("a/#"));
  CHECK(host.handed[0].inflight.size() == 1);
  CHECK(host.route_removes.empty());  // no route re-keyed to another node's pid, none removed yet
  CHECK(host.route_adds.size() == 1);

  // What the routes bring meanwhile is kept for the new session.
  Deliver second = delivery("a/2", QoS::at_least_once);
  ch.handle_deliver(host, second);
  ch.on_handover_release(host, sched::Pid(2, 10));  // not the session that took us over
  CHECK(host.route_removes.empty());
  ch.on_handover_release(host, by);
  REQUIRE(host.route_removes.size() == 1);
  CHECK(host.route_removes[0].filter == "a/#");
  REQUIRE(host.handovers.size() == 2);  // no router to wait for here
  CHECK(host.handovers[1] == std::pair<sched::Pid, bool>{by, true});
  REQUIRE(host.handed[1].queue.size() == 1);
  CHECK(host.handed[1].queue.front().msg->topic == "a/2");
  CHECK(host.ended);
}

TEST_CASE("channel: released in a cluster, the routes stay until every peer's forwards arrived (PeersDrained)") {
  FakeHost host;
  host.self_ = sched::Pid(1, 2);
  host.cluster_drain = true;
  Channel ch(0);
  connected_with_subscription(ch, host);
  const sched::Pid by(2, 9);
  ch.handle_takeover(host, Takeover{by, false, nullptr});
  REQUIRE(host.handovers.size() == 1);
  ch.on_peers_drained(host);  // not released yet: nothing to do
  CHECK(host.route_removes.empty());
  ch.on_handover_release(host, by);
  CHECK(host.drains_asked == 1);
  CHECK(host.route_removes.empty());  // a peer may still be forwarding to us
  CHECK(host.handovers.size() == 1);
  // A message a peer routed here before it routed to the new session,
  // arriving after the release: still ours, it joins the tail.
  Deliver late = delivery("a/late", QoS::at_least_once);
  ch.handle_deliver(host, late);
  ch.on_handover_release(host, by);  // a second release asks nothing more
  CHECK(host.drains_asked == 1);
  ch.on_peers_drained(host);
  REQUIRE(host.route_removes.size() == 1);
  REQUIRE(host.handovers.size() == 2);
  CHECK(host.handovers[1] == std::pair<sched::Pid, bool>{by, true});
  REQUIRE(host.handed[1].queue.size() == 1);
  CHECK(host.handed[1].queue.front().msg->topic == "a/late");
  CHECK(host.ended);
  ch.on_peers_drained(host);  // late and twice: nothing more
  CHECK(host.handovers.size() == 2);
}

TEST_CASE("channel: a successor on another node lost before it released us leaves the session here") {
  for (int how = 0; how < 3; ++how) {
    CAPTURE(how);
    FakeHost host;
    host.self_ = sched::Pid(1, 2);
    Channel ch(0);
    connected_with_subscription(ch, host);
    const sched::Pid by(2, 9);
    Deliver first = delivery("a/1", QoS::at_least_once);
    ch.handle_deliver(host, first);  // in flight when taken over
    ch.handle_takeover(host, Takeover{by, false, nullptr});
    REQUIRE(host.handovers.size() == 1);
    Deliver meanwhile = delivery("a/2", QoS::at_least_once);
    ch.handle_deliver(host, meanwhile);  // our routes still bring it: queued
    const sched::Pid newer(1, 7);
    if (how == 2) {
      // A later connection here asked for the session meanwhile: passed on.
      ch.handle_takeover(host, Takeover{newer, false, nullptr});
    }
    if (how == 0) {
      // Its session ended of itself before the release: it had settled and
      // its client ended it; nothing comes back (as before).
      ch.on_down(host, by, sched::ExitReason::normal());
      CHECK(host.ended);
      continue;
    }
    const std::size_t claims = host.claims.size();
    ch.on_down(host, by, sched::ExitReason::noconnection());
    CHECK(host.ended == (how == 2));    // offline here, or handed on at once
    CHECK(host.route_removes.empty());  // the routes never left
    if (how == 2) {
      // The passed-on takeover is served from here: the whole state goes to it.
      REQUIRE(host.handovers.size() == 2);
      CHECK(host.handovers[1].first == newer);
    } else {
      CHECK(host.claims.size() == claims + 1);  // the client id is ours again cluster-wide
      CHECK_FALSE(host.claims.back());          // as an offline session
      // Offline: the next connection (here, on this node) gets all of it.
      ch.handle_takeover(host, Takeover{newer, false, nullptr});
      REQUIRE(host.handovers.size() == 2);
    }
    const SessionState& back = host.handed.back();
    CHECK(back.subscriptions.size() == 1);
    REQUIRE(back.inflight.size() == 1);
    CHECK(back.inflight.begin()->second.delivery.msg->topic == "a/1");
    REQUIRE(back.queue.size() == 1);
    CHECK(back.queue.front().msg->topic == "a/2");
    CHECK(host.ended);
  }
}

TEST_CASE("channel: an adopter that gives up before it released us leaves the session here") {
  FakeHost host;
  host.self_ = sched::Pid(1, 2);
  Channel ch(0);
  connected_with_subscription(ch, host);
  ch.on_connection_lost(host);  // offline, persistent
  REQUIRE_FALSE(host.ended);
  const sched::Pid adopter(2, 9);
  ch.handle_adopt(host, adopter);
  REQUIRE(host.handovers.size() == 1);
  ch.on_down(host, adopter, sched::ExitReason::normal());  // it gave up: nothing settled there
  CHECK_FALSE(host.ended);
  // The next pass can offer it again: it is offline, with its subscription.
  ch.handle_adopt(host, adopter);
  REQUIRE(host.handovers.size() == 2);
  CHECK(host.handed[1].subscriptions.size() == 1);
}

// We are <1.2>; the directory finds client "mover" held by <2.9> on another
// node, and a v5 CONNECT without clean start comes for it.
void connect_held_elsewhere(Channel& ch, FakeHost& host, std::optional<std::uint32_t> expiry = std::nullopt) {
  host.self_ = sched::Pid(1, 2);
  host.remote = sched::Pid(2, 9);
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v5, "mover");
  c.clean_start = false;
  c.properties.session_expiry_interval = expiry;
  in(ch, host, c);
}

// `state` from another node, in one part.
void hand_over_whole(Channel& ch, FakeHost& host, const SessionState& state) {
  std::vector<std::string> parts = encode_session_state(state, 1 << 16);
  REQUIRE(parts.size() == 1);
  ch.on_handover_part(host, HandoverPart{mqtt::SharedBytes::copy_of(std::string_view(parts[0])), true, false});
}

TEST_CASE("channel: a CONNECT for a client id held on another node adopts its state, then releases it") {
  FakeHost host;
  Channel ch(0);
  connect_held_elsewhere(ch, host, 300);
  CHECK(host.packets.empty());  // CONNACK waits for the state
  SessionState old;
  old.subscriptions.emplace("a/#", Subscription::of("a/#", SubInfo{QoS::at_least_once}));
  old.queue.push_back(delivery("a/q", QoS::at_least_once));
  std::vector<std::string> parts = encode_session_state(old, 16);  // as it crosses: in parts
  REQUIRE(parts.size() > 1);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    CHECK_FALSE(ch.connected());
    ch.on_handover_part(host, HandoverPart{mqtt::SharedBytes::copy_of(std::string_view(parts[i])),
                                           i + 1 == parts.size(), false});
  }
  REQUIRE(ch.connected());
  CHECK(host.last<mqtt::Connack>().session_present);
  REQUIRE(host.publishes.size() == 1);
  CHECK(host.publishes[0].topic == "a/q");
  CHECK(host.route_adds.size() == 1);
  CHECK(host.released == std::vector<sched::Pid>{sched::Pid(2, 9)});
  // Its tail joins what we send.
  SessionState tail;
  tail.queue.push_back(delivery("a/t", QoS::at_least_once));
  ch.on_handover_tail(host, std::move(tail));
  REQUIRE(host.publishes.size() == 2);
  CHECK(host.publishes[1].topic == "a/t");
}

TEST_CASE("channel: a session on another node that moved on before our takeover came: its successor is asked") {
  FakeHost host;
  Channel ch(0);
  connect_held_elsewhere(ch, host, 300);
  REQUIRE(host.takeovers == std::vector<sched::Pid>{sched::Pid(2, 9)});
  // It was taken over on node 3 and released before our Takeover reached it;
  // the directory here has node 3's claim by now.
  host.remote = sched::Pid(3, 7);
  ch.on_down(host, sched::Pid(2, 9), sched::ExitReason::noproc());
  CHECK_FALSE(ch.connected());
  CHECK(host.takeovers == std::vector<sched::Pid>{sched::Pid(2, 9), sched::Pid(3, 7)});
  // A DOWN of the first one again changes nothing: we wait on the successor.
  ch.on_down(host, sched::Pid(2, 9), sched::ExitReason::noproc());
  CHECK_FALSE(ch.connected());
  SessionState old;
  old.subscriptions.emplace("a/#", Subscription::of("a/#", SubInfo{QoS::at_least_once}));
  old.queue.push_back(delivery("a/q", QoS::at_least_once));
  hand_over_whole(ch, host, old);
  REQUIRE(ch.connected());
  CHECK(host.last<mqtt::Connack>().session_present);
  REQUIRE(host.publishes.size() == 1);
  CHECK(host.publishes[0].topic == "a/q");
  CHECK(host.released == std::vector<sched::Pid>{sched::Pid(3, 7)});
}

TEST_CASE("channel: a session on another node that passed our takeover on to its successor: its state is awaited") {
  FakeHost host;
  Channel ch(0);
  connect_held_elsewhere(ch, host, 300);
  // It was handing over to node 3, passed our Takeover on, was released and
  // ended (normal) before node 3's state reached us.
  host.remote = sched::Pid(3, 7);
  ch.on_down(host, sched::Pid(2, 9), sched::ExitReason::normal());
  CHECK_FALSE(ch.connected());
  CHECK(host.takeovers == std::vector<sched::Pid>{sched::Pid(2, 9)});  // node 3 has it already
  SessionState old;
  old.queue.push_back(delivery("a/q", QoS::at_least_once));
  hand_over_whole(ch, host, old);
  REQUIRE(ch.connected());
  CHECK(host.last<mqtt::Connack>().session_present);
  REQUIRE(host.publishes.size() == 1);
  CHECK(host.released == std::vector<sched::Pid>{sched::Pid(3, 7)});
}

TEST_CASE("channel: the session we asked ended before the directory named its successor: the successor's state is awaited") {
  for (bool claim_first : {false, true}) {
    CAPTURE(claim_first);
    FakeHost host;
    Channel ch(0);
    connect_held_elsewhere(ch, host, 300);
    // <2.9> was moving to <3.7> (an evacuation) and passed our Takeover on;
    // its DOWN comes before <3.7>'s claim reaches this node (two node links).
    ch.on_down(host, sched::Pid(2, 9), sched::ExitReason::normal());
    REQUIRE_FALSE(ch.connected());  // not a fresh session: its state is on its way
    const Timer* t = host.last_timer(ChannelTimer::successor_wait);
    REQUIRE(t != nullptr);
    const std::uint32_t generation = t->generation;
    host.remote = sched::Pid(3, 7);  // the claim arrives
    if (claim_first) {
      ch.on_successor_wait(host, generation);  // the directory names it now: it is awaited
      CHECK_FALSE(ch.connected());
    }
    SessionState old;
    old.queue.push_back(delivery("a/q", QoS::at_least_once));
    hand_over_whole(ch, host, old);
    REQUIRE(ch.connected());
    CHECK(host.last<mqtt::Connack>().session_present);
    REQUIRE(host.publishes.size() == 1);
    CHECK(std::find(host.released.begin(), host.released.end(), sched::Pid(3, 7)) != host.released.end());
    CHECK(host.takeovers == std::vector<sched::Pid>{sched::Pid(2, 9)});  // it passed ours on: not asked again
    ch.on_successor_wait(host, generation);  // late: nothing changes
    CHECK(ch.connected());
    CHECK(host.publishes.size() == 1);
  }
}

TEST_CASE("channel: a state from the successor of the session we asked, ahead of that one's DOWN: both released") {
  FakeHost host;
  Channel ch(0);
  connect_held_elsewhere(ch, host, 300);
  // <2.9> was handing over to <3.7> and passed our Takeover on; <3.7>'s
  // state reaches us before <2.9>'s DOWN (two node links). <3.7> keeps its
  // routes until released, and only the directory names it.
  host.remote = sched::Pid(3, 7);
  SessionState old;
  old.queue.push_back(delivery("a/q", QoS::at_least_once));
  hand_over_whole(ch, host, old);
  REQUIRE(ch.connected());
  CHECK(host.last<mqtt::Connack>().session_present);
  CHECK(host.released == std::vector<sched::Pid>{sched::Pid(2, 9), sched::Pid(3, 7)});
  ch.on_down(host, sched::Pid(2, 9), sched::ExitReason::normal());  // late: nothing changes
  CHECK(ch.connected());
  CHECK(host.takeovers == std::vector<sched::Pid>{sched::Pid(2, 9)});
  CHECK(host.released.size() == 2);
}

TEST_CASE("channel: superseded while awaiting, the state from the successor of the session we asked: its tail is awaited") {
  for (bool successor_dies : {false, true}) {
    CAPTURE(successor_dies);
    FakeHost host;
    Channel ch(0);
    connect_held_elsewhere(ch, host, 300);
    // A later CONNECT on node 4 takes us over before our state is here; the
    // directory names it now, and before it <3.7>, to which <2.9> was
    // handing over when it passed our Takeover on.
    const sched::Pid newer(4, 5);
    ch.handle_takeover(host, Takeover{newer, false, nullptr});
    host.remote = newer;
    host.remote_before = sched::Pid(3, 7);
    SessionState old;
    old.subscriptions.emplace("a/#", Subscription::of("a/#", SubInfo{QoS::at_least_once}));
    old.queue.push_back(delivery("a/q", QoS::at_least_once));
    hand_over_whole(ch, host, old);  // from <3.7>, ahead of <2.9>'s DOWN
    CHECK(host.released == std::vector<sched::Pid>{sched::Pid(2, 9), sched::Pid(3, 7)});
    ch.on_down(host, sched::Pid(2, 9), sched::ExitReason::normal());
    CHECK(host.handovers.empty());  // <3.7>'s tail is not here yet
    if (successor_dies) {
      ch.on_down(host, sched::Pid(3, 7), sched::ExitReason::noconnection());
    } else {
      SessionState tail;
      tail.queue.push_back(delivery("a/t", QoS::at_least_once));
      std::vector<std::string> parts = encode_session_state(tail, 1 << 16);
      REQUIRE(parts.size() == 1);
      ch.on_handover_part(host, HandoverPart{mqtt::SharedBytes::copy_of(std::string_view(parts[0])), true, true});
    }
    REQUIRE(host.handovers.size() == 1);
    CHECK(host.handovers[0].first == newer);
    const LazyList<Deliver>& queue = host.handed[0].queue;
    REQUIRE(queue.size() == (successor_dies ? 1u : 2u));
    CHECK(queue.front().msg->topic == "a/q");
    if (!successor_dies) {
      CHECK(queue.back().msg->topic == "a/t");
    }
  }
}

TEST_CASE("channel: a session on another node gone with no successor known, or unreachable: a fresh session") {
  for (bool unreachable : {false, true}) {
    CAPTURE(unreachable);
    FakeHost host;
    Channel ch(0);
    connect_held_elsewhere(ch, host);
    if (unreachable) {
      host.remote = sched::Pid(3, 7);  // a successor named, but the node of the one we asked is down
    }
    ch.on_down(host, sched::Pid(2, 9),
               unreachable ? sched::ExitReason::noconnection() : sched::ExitReason::noproc());
    if (!unreachable) {
      // The directory is asked again a few times for a successor first.
      for (int i = 0; i < 10; ++i) {
        REQUIRE_FALSE(ch.connected());
        const Timer* t = host.last_timer(ChannelTimer::successor_wait);
        REQUIRE(t != nullptr);
        ch.on_successor_wait(host, t->generation);
      }
    }
    REQUIRE(ch.connected());
    CHECK_FALSE(host.last<mqtt::Connack>().session_present);
    CHECK(host.takeovers == std::vector<sched::Pid>{sched::Pid(2, 9)});
  }
}

TEST_CASE("channel: a state from another node that cannot be read leaves a fresh session, nothing released") {
  FakeHost host;
  Channel ch(0);
  connect_held_elsewhere(ch, host);
  ch.on_handover_part(host, HandoverPart{mqtt::SharedBytes::copy_of(std::string_view("not a state")), true, false});
  REQUIRE(ch.connected());
  CHECK_FALSE(host.last<mqtt::Connack>().session_present);
  CHECK(host.released.empty());
}

TEST_CASE("channel: superseded by a later connection on another node: 0x8E, the will, the end") {
  FakeHost host;
  Channel ch(0);
  mqtt::Connect c = connect(mqtt::ProtocolVersion::v5, "twice");
  c.will = mqtt::Will{"will/t", mqtt::SharedBytes::copy_of(std::string_view("gone")), QoS::at_most_once, false, {}};
  connect_ok(ch, host, std::move(c));
  ch.supersede(host);
  CHECK(host.last<mqtt::Disconnect>().reason_code == ReasonCode::session_taken_over);
  REQUIRE(host.routed.size() == 1);
  CHECK(host.routed[0]->topic == "will/t");
  CHECK(host.ended);
}
