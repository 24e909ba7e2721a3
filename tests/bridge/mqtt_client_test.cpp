// bridge/mqtt/client.cpp and outbox.cpp: the client side of MQTT as a
// bridge speaks it, against a scripted remote (no socket).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "bridge/mqtt/client.hpp"
#include "mqtt/encode.hpp"
#include "mqtt/parser.hpp"

using namespace actormq::bridge;
namespace mqtt = actormq::mqtt;
using mqtt::QoS;
using mqtt::ReasonCode;

namespace {

ClientOptions options(mqtt::ProtocolVersion v = mqtt::ProtocolVersion::v3_1_1) {
  ClientOptions o;
  o.version = v;
  o.client_id = "b1";
  o.username = "user";
  o.keepalive_s = 10;
  o.will = mqtt::Will{"$SYS/broker/connection/b1/state", mqtt::SharedBytes::copy_of("0"), QoS::at_least_once, true, {}};
  o.on_connect = OutMessage{"$SYS/broker/connection/b1/state", mqtt::SharedBytes::copy_of("1"), QoS::at_least_once,
                            true, nullptr};
  o.subscriptions = {{"r/#", QoS::exactly_once}};
  o.max_inflight = 2;
  o.max_buffered_bytes = 1 << 20;
  return o;
}

// The remote's view: what the client wrote, as packets.
struct Remote {
  mqtt::Parser parser;
  explicit Remote(mqtt::ProtocolVersion v) : parser([v] {
    mqtt::ParserOptions o;
    o.version = v;
    o.connect_first = true;
    return o;
  }()) {}
  std::vector<mqtt::Packet> read(const Actions& a) {
    std::vector<mqtt::Packet> out;
    std::span<const std::uint8_t> in(a.write);
    while (!in.empty()) {
      mqtt::Parsed r = parser.parse(in);
      in = in.subspan(r.consumed);
      REQUIRE(r.status == mqtt::ParseStatus::packet);
      out.push_back(std::move(r.packet));
    }
    return out;
  }
};

std::vector<std::uint8_t> bytes(const mqtt::Packet& p, mqtt::ProtocolVersion v = mqtt::ProtocolVersion::v3_1_1) {
  auto e = mqtt::encode(p, v);
  REQUIRE(e.ok());
  return *e;
}

mqtt::Connack connack(ReasonCode code = ReasonCode::success, bool present = false) {
  mqtt::Connack c;
  c.reason_code = code;
  c.session_present = present;
  return c;
}

template <class Ack>
Ack ack(std::uint16_t id) {
  Ack a;
  a.packet_id = id;
  return a;
}

OutMessage message(std::string topic, QoS qos, const std::string& payload = "p") {
  return OutMessage{std::move(topic), mqtt::SharedBytes::copy_of(payload), qos, false, nullptr};
}

// A client connected to `remote`; the SUBSCRIBE and the "1" read off.
Client connected(Remote& remote, ClientOptions o = options()) {
  Client c(std::move(o));
  (void)remote.read(c.start(0));
  Actions a = c.on_bytes(bytes(connack()), 0);
  REQUIRE(a.connected);
  auto packets = remote.read(a);
  REQUIRE(packets.size() == 2);  // SUBSCRIBE, the "1"
  auto& one = std::get<mqtt::Publish>(packets[1]);
  (void)c.on_bytes(bytes(ack<mqtt::Puback>(one.packet_id)), 0);
  return c;
}

}  // namespace

TEST_CASE("bridge client: CONNECT of a 3.1.1 bridge carries the bridge flag, will and session") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  Client c(options());
  auto packets = remote.read(c.start(0));
  REQUIRE(packets.size() == 1);
  const auto& connect = std::get<mqtt::Connect>(packets[0]);
  CHECK(connect.bridge);
  CHECK_FALSE(connect.clean_start);
  CHECK(connect.keep_alive == 10);
  CHECK(connect.client_id == "b1");
  CHECK(connect.username == "user");
  CHECK_FALSE(connect.password);
  REQUIRE(connect.will);
  CHECK(connect.will->payload.view() == "0");
  CHECK(connect.will->retain);
  CHECK_FALSE(c.connected());
}

TEST_CASE("bridge client: a v5 bridge asks for No Local and a kept session instead") {
  Remote remote(mqtt::ProtocolVersion::v5);
  Client c(options(mqtt::ProtocolVersion::v5));
  auto packets = remote.read(c.start(0));
  const auto& connect = std::get<mqtt::Connect>(packets[0]);
  CHECK_FALSE(connect.bridge);
  CHECK(connect.properties.session_expiry_interval == 0xFFFFFFFFu);
  mqtt::Connack ok;
  ok.properties.receive_maximum = 1;
  Actions a = c.on_bytes(bytes(ok, mqtt::ProtocolVersion::v5), 0);
  REQUIRE(a.connected);
  packets = remote.read(a);
  REQUIRE(packets.size() == 2);
  const auto& sub = std::get<mqtt::Subscribe>(packets[0]);
  REQUIRE(sub.subscriptions.size() == 1);
  CHECK(sub.subscriptions[0].filter == "r/#");
  CHECK(sub.subscriptions[0].options.max_qos == QoS::exactly_once);
  CHECK(sub.subscriptions[0].options.no_local);
  CHECK(sub.subscriptions[0].options.retain_as_published);
  // The remote's Receive Maximum of 1: one message in flight at a time.
  Actions more = c.send(message("x", QoS::at_least_once), 0);
  CHECK(more.write.empty());
  CHECK(c.outbox().waiting() == 1);
}

TEST_CASE("bridge client: QoS 1 and 2 out, within the window") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  Client c = connected(remote);
  auto p1 = remote.read(c.send(message("a", QoS::at_least_once), 0));
  auto p2 = remote.read(c.send(message("b", QoS::exactly_once), 0));
  CHECK(remote.read(c.send(message("c", QoS::at_least_once), 0)).empty());  // the window is 2
  const auto& a = std::get<mqtt::Publish>(p1.at(0));
  const auto& b = std::get<mqtt::Publish>(p2.at(0));
  CHECK(a.topic == "a");
  CHECK(b.qos == QoS::exactly_once);
  CHECK(a.packet_id != b.packet_id);
  // PUBACK frees a slot: "c" goes.
  auto next = remote.read(c.on_bytes(bytes(ack<mqtt::Puback>(a.packet_id)), 0));
  REQUIRE(next.size() == 1);
  CHECK(std::get<mqtt::Publish>(next[0]).topic == "c");
  // QoS 2: PUBREC is answered by PUBREL, PUBCOMP ends it.
  auto rel = remote.read(c.on_bytes(bytes(ack<mqtt::Pubrec>(b.packet_id)), 0));
  REQUIRE(rel.size() == 1);
  CHECK(std::get<mqtt::Pubrel>(rel[0]).packet_id == b.packet_id);
  CHECK(c.outbox().in_flight().size() == 2);
  (void)c.on_bytes(bytes(ack<mqtt::Pubcomp>(b.packet_id)), 0);
  CHECK(c.outbox().in_flight().size() == 1);
  // An acknowledgement of nothing is reported, not fatal.
  Actions stray = c.on_bytes(bytes(ack<mqtt::Puback>(999)), 0);
  CHECK(stray.warnings.size() == 1);
  CHECK_FALSE(stray.close);
}

TEST_CASE("bridge client: after a reconnect what was in flight goes again, in order") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  Client c = connected(remote);
  auto p1 = remote.read(c.send(message("a", QoS::exactly_once), 0));
  auto p2 = remote.read(c.send(message("b", QoS::at_least_once), 0));
  (void)c.send(message("c", QoS::at_least_once), 0);
  const auto id_a = std::get<mqtt::Publish>(p1.at(0)).packet_id;
  (void)remote.read(c.on_bytes(bytes(ack<mqtt::Pubrec>(id_a)), 0));  // "a" released, PUBCOMP owed
  c.lost();
  CHECK(c.send(message("lost", QoS::at_most_once), 0).dropped == 1);  // QoS 0 is not kept
  Remote again(mqtt::ProtocolVersion::v3_1_1);
  (void)again.read(c.start(0));
  auto packets = again.read(c.on_bytes(bytes(connack(ReasonCode::success, true)), 0));
  // SUBSCRIBE, PUBREL of "a", "b" with DUP, then the "1" (the window is full: it waits).
  REQUIRE(packets.size() == 3);
  CHECK(std::get<mqtt::Pubrel>(packets[1]).packet_id == id_a);
  const auto& b = std::get<mqtt::Publish>(packets[2]);
  CHECK(b.topic == "b");
  CHECK(b.dup);
  CHECK(c.outbox().waiting() == 2);  // "1" first, then "c"
}

TEST_CASE("bridge client: QoS 2 in is routed once and acknowledged in order") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  Client c = connected(remote);
  mqtt::Publish in;
  in.topic = "r/t";
  in.payload = mqtt::SharedBytes::copy_of("x");
  in.qos = QoS::exactly_once;
  in.packet_id = 7;
  Actions first = c.on_bytes(bytes(in), 0);
  REQUIRE(first.route.size() == 1);
  CHECK(first.route[0].topic == "r/t");
  CHECK(std::get<mqtt::Pubrec>(remote.read(first).at(0)).packet_id == 7);
  in.dup = true;
  Actions resent = c.on_bytes(bytes(in), 0);
  CHECK(resent.route.empty());  // MQTT 4.3.3: routed once
  CHECK(std::get<mqtt::Pubrec>(remote.read(resent).at(0)).packet_id == 7);
  auto comp = remote.read(c.on_bytes(bytes(ack<mqtt::Pubrel>(7)), 0));
  CHECK(std::get<mqtt::Pubcomp>(comp.at(0)).packet_id == 7);
  in.qos = QoS::at_least_once;
  in.packet_id = 8;
  Actions q1 = c.on_bytes(bytes(in), 0);
  CHECK(q1.route.size() == 1);
  CHECK(std::get<mqtt::Puback>(remote.read(q1).at(0)).packet_id == 8);
}

TEST_CASE("bridge client: under durability sync the acknowledgements of remote messages are held") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  ClientOptions o = options();
  o.hold_acks = true;
  Client c = connected(remote, o);
  mqtt::Publish in;
  in.topic = "r/t";
  in.payload = mqtt::SharedBytes::copy_of("x");
  in.qos = QoS::at_least_once;
  in.packet_id = 5;
  Actions q1 = c.on_bytes(bytes(in), 0);
  REQUIRE(q1.route.size() == 1);
  CHECK(q1.write.empty());  // nothing acknowledged yet
  REQUIRE(q1.held.size() == 1);
  CHECK(q1.held[0].route == std::optional<std::size_t>(0));
  CHECK(std::get<mqtt::Puback>(remote.read(c.acknowledge(q1.held[0].packet)).at(0)).packet_id == 5);

  // QoS 0 routes without a held acknowledgement; QoS 2 holds its PUBREC,
  // and a resent one, not routed again, holds one that answers no route.
  in.qos = QoS::at_most_once;
  Actions q0 = c.on_bytes(bytes(in), 0);
  CHECK(q0.route.size() == 1);
  CHECK(q0.held.empty());
  in.qos = QoS::exactly_once;
  in.packet_id = 6;
  Actions q2 = c.on_bytes(bytes(in), 0);
  REQUIRE(q2.held.size() == 1);
  CHECK(q2.held[0].route == std::optional<std::size_t>(0));
  in.dup = true;
  Actions again = c.on_bytes(bytes(in), 0);
  CHECK(again.route.empty());
  REQUIRE(again.held.size() == 1);
  CHECK_FALSE(again.held[0].route.has_value());
  CHECK(std::get<mqtt::Pubrec>(remote.read(c.acknowledge(again.held[0].packet)).at(0)).packet_id == 6);

  // Not stored after all: sent again, it is routed again.
  c.unroute(6);
  Actions third = c.on_bytes(bytes(in), 0);
  CHECK(third.route.size() == 1);

  // A held acknowledgement of a connection that is gone is not written.
  c.lost();
  CHECK(c.acknowledge(third.held.at(0).packet).write.empty());
}

TEST_CASE("bridge client: the bound drops the oldest waiting message") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  ClientOptions o = options();
  o.max_buffered_bytes = 4 * message("t", QoS::at_least_once).size();
  Client c(o);  // never connected: everything waits
  std::size_t dropped = 0;
  for (int i = 0; i < 6; ++i) {
    dropped += c.send(message("t", QoS::at_least_once), 0).dropped;
  }
  CHECK(dropped == 2);
  CHECK(c.outbox().waiting() == 4);
}

TEST_CASE("bridge client: keep alive, a silent remote, malformed input, refusals") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  Client c = connected(remote);
  CHECK(c.tick(9999).write.empty());
  auto ping = remote.read(c.tick(10000));
  REQUIRE(ping.size() == 1);
  CHECK(std::holds_alternative<mqtt::Pingreq>(ping[0]));
  CHECK_FALSE(c.on_bytes(bytes(mqtt::Pingresp{}), 12000).close);
  CHECK_FALSE(c.tick(26999).close);
  CHECK(c.tick(27000).close);  // 1.5 keep alives without a byte
  const std::vector<std::uint8_t> garbage{0x00, 0x00};
  CHECK(c.on_bytes(garbage, 27000).close);

  // A remote that refuses the bridge flag (3.1.1 return code 1) is dialled again without it.
  Client d(options());
  Remote r1(mqtt::ProtocolVersion::v3_1_1);
  CHECK(std::get<mqtt::Connect>(r1.read(d.start(0)).at(0)).bridge);
  Actions refused = d.on_bytes(bytes(connack(ReasonCode::unsupported_protocol_version)), 0);
  CHECK(refused.close);
  CHECK_FALSE(refused.connected);
  d.lost();
  Remote r2(mqtt::ProtocolVersion::v3_1_1);
  CHECK_FALSE(std::get<mqtt::Connect>(r2.read(d.start(0)).at(0)).bridge);
  // Anything but CONNACK first ends the connection.
  CHECK(d.on_bytes(bytes(ack<mqtt::Puback>(1)), 0).close);
}

TEST_CASE("bridge client: last words say 0 on the remote") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  Client c = connected(remote);
  Actions bye;
  bye.write = c.goodbye();
  auto packets = remote.read(bye);
  REQUIRE(packets.size() == 2);  // 3.1.1 drops the will on DISCONNECT: the "0" is published
  CHECK(std::get<mqtt::Publish>(packets[0]).payload.view() == "0");
  CHECK(std::get<mqtt::Publish>(packets[0]).retain);
  CHECK(std::holds_alternative<mqtt::Disconnect>(packets[1]));

  Remote r5(mqtt::ProtocolVersion::v5);
  Client v5(options(mqtt::ProtocolVersion::v5));
  (void)r5.read(v5.start(0));
  (void)v5.on_bytes(bytes(connack(), mqtt::ProtocolVersion::v5), 0);
  bye.write = v5.goodbye();
  packets = r5.read(bye);
  REQUIRE(packets.size() == 1);
  CHECK(std::get<mqtt::Disconnect>(packets[0]).reason_code == ReasonCode::disconnect_with_will_message);
}

TEST_CASE("bridge client: stored messages restored from a run before go first, a released one as PUBREL") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  ClientOptions o = options();
  o.on_connect.reset();
  o.subscriptions.clear();
  o.max_inflight = 10;
  Client c(o);
  OutMessage a = message("a", QoS::exactly_once);
  a.seq = 4;
  a.stored = true;
  a.released = true;
  OutMessage b = message("b", QoS::at_least_once);
  b.seq = 5;
  b.stored = true;
  CHECK(c.restore({a, b}).forget.empty());
  OutMessage n = message("new", QoS::at_least_once);
  n.seq = 6;
  (void)c.send(n, 0);
  (void)remote.read(c.start(0));
  auto packets = remote.read(c.on_bytes(bytes(connack()), 0));
  REQUIRE(packets.size() == 3);
  CHECK(std::get<mqtt::Pubrel>(packets[0]).packet_id == 4);  // 4.4: PUBREL again, never the PUBLISH
  CHECK(std::get<mqtt::Publish>(packets[1]).topic == "b");
  CHECK(std::get<mqtt::Publish>(packets[1]).packet_id == 5);
  CHECK(std::get<mqtt::Publish>(packets[2]).topic == "new");
  Actions comp = c.on_bytes(bytes(ack<mqtt::Pubcomp>(4)), 0);
  CHECK(comp.forget == std::vector<std::uint64_t>{4});
  CHECK(comp.sent == 1);
  Actions ack5 = c.on_bytes(bytes(ack<mqtt::Puback>(5)), 0);
  CHECK(ack5.forget == std::vector<std::uint64_t>{5});
  Actions ack6 = c.on_bytes(bytes(ack<mqtt::Puback>(6)), 0);
  CHECK(ack6.forget.empty());  // not stored: nothing to erase
  CHECK(ack6.sent == 1);
}

TEST_CASE("bridge client: a stored QoS 2 message released by PUBREC is reported, dropped ones are forgotten") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  Client c = connected(remote);
  OutMessage m = message("q2", QoS::exactly_once);
  m.seq = 9;
  m.stored = true;
  auto p = remote.read(c.send(m, 0));
  Actions rec = c.on_bytes(bytes(ack<mqtt::Pubrec>(std::get<mqtt::Publish>(p.at(0)).packet_id)), 0);
  REQUIRE(rec.released.size() == 1);
  CHECK(rec.released[0].seq == 9);
  CHECK(rec.released[0].released);

  ClientOptions o = options();
  o.max_buffered_bytes = 2 * message("t", QoS::at_least_once).size();
  Client away(o);
  std::vector<std::uint64_t> forgotten;
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    OutMessage w = message("t", QoS::at_least_once);
    w.seq = seq;
    w.stored = true;
    Actions a = away.send(w, 0);
    forgotten.insert(forgotten.end(), a.forget.begin(), a.forget.end());
  }
  CHECK(forgotten == std::vector<std::uint64_t>{1, 2});  // the oldest, their records erased
}

TEST_CASE("bridge client: nothing larger than the remote's v5 Maximum Packet Size is sent") {
  Remote remote(mqtt::ProtocolVersion::v5);
  ClientOptions o = options(mqtt::ProtocolVersion::v5);
  o.on_connect.reset();
  o.subscriptions.clear();
  Client c(o);
  (void)remote.read(c.start(0));
  mqtt::Connack ok;
  ok.properties.maximum_packet_size = 64;
  REQUIRE(c.on_bytes(bytes(ok, mqtt::ProtocolVersion::v5), 0).connected);
  OutMessage big = message("big", QoS::at_least_once, std::string(100, 'x'));
  big.seq = 1;
  big.stored = true;
  Actions a = c.send(big, 0);
  CHECK(a.write.empty());
  CHECK(a.dropped == 1);
  CHECK(a.forget == std::vector<std::uint64_t>{1});  // as if sent (MQTT 5 3.1.2.25): its record goes
  CHECK(a.warnings.size() == 1);
  CHECK(c.outbox().size() == 0);
  CHECK(c.send(message("big0", QoS::at_most_once, std::string(100, 'x')), 0).dropped == 1);
  auto small = remote.read(c.send(message("small", QoS::at_least_once), 0));
  REQUIRE(small.size() == 1);
  CHECK(std::get<mqtt::Publish>(small[0]).topic == "small");
}

TEST_CASE("bridge client: a message's expiry counts while it waits, and expired before it goes it is dropped") {
  Remote remote(mqtt::ProtocolVersion::v5);
  ClientOptions o = options(mqtt::ProtocolVersion::v5);
  o.on_connect.reset();
  o.subscriptions.clear();
  std::uint64_t wall = 1'000'000;
  o.wall_clock = [&wall] { return wall; };
  Client c(o);
  auto expiring = [&](std::string topic, std::uint32_t seconds, std::uint64_t seq) {
    OutMessage m = message(std::move(topic), QoS::at_least_once);
    mqtt::Properties p;
    p.message_expiry_interval = seconds;
    m.properties = std::make_shared<const mqtt::Properties>(p);
    m.received_ms = wall;
    m.seq = seq;
    m.stored = true;
    return m;
  };
  // The remote is away: both wait, 3.5 s go by.
  CHECK(c.send(expiring("short", 2, 1), 0).write.empty());
  CHECK(c.send(expiring("long", 60, 2), 0).write.empty());
  wall += 3500;
  (void)remote.read(c.start(0));
  Actions a = c.on_bytes(bytes(connack(), mqtt::ProtocolVersion::v5), 0);
  REQUIRE(a.connected);
  CHECK(a.dropped == 1);
  CHECK(a.forget == std::vector<std::uint64_t>{1});  // its record goes
  auto packets = remote.read(a);
  REQUIRE(packets.size() == 1);
  const auto& sent = std::get<mqtt::Publish>(packets[0]);
  CHECK(sent.topic == "long");
  CHECK(sent.properties.message_expiry_interval == 57u);  // 60 less the 3 whole seconds it waited

  // In flight when the connection goes, resent past its expiry: it is on
  // its way already, so it goes again, with the least interval.
  c.lost();
  wall += 60'000;
  Remote next(mqtt::ProtocolVersion::v5);
  (void)next.read(c.start(0));
  Actions again = c.on_bytes(bytes(connack(ReasonCode::success, true), mqtt::ProtocolVersion::v5), 0);
  CHECK(again.dropped == 0);
  auto resent = next.read(again);
  REQUIRE(resent.size() == 1);
  CHECK(std::get<mqtt::Publish>(resent[0]).dup);
  CHECK(std::get<mqtt::Publish>(resent[0]).properties.message_expiry_interval == 1u);

  // Without a known arrival time (a record of before it was kept), nothing is taken off.
  OutMessage old = expiring("old", 5, 3);
  old.received_ms = 0;
  auto as_is = next.read(c.send(old, 0));
  REQUIRE(as_is.size() == 1);
  CHECK(std::get<mqtt::Publish>(as_is[0]).properties.message_expiry_interval == 5u);

  // QoS 0 goes at once, expiry counted as well.
  OutMessage q0 = expiring("q0", 1, 0);
  q0.qos = QoS::at_most_once;
  q0.stored = false;
  q0.received_ms = wall - 1000;
  Actions late = c.send(q0, 0);
  CHECK(late.write.empty());
  CHECK(late.dropped == 1);
}

TEST_CASE("bridge client: a stored QoS 2 message read back at start is not dropped for its expiry") {
  // It may have gone to the remote before the restart, which may hold its packet id.
  Remote remote(mqtt::ProtocolVersion::v5);
  ClientOptions o = options(mqtt::ProtocolVersion::v5);
  o.on_connect.reset();
  o.subscriptions.clear();
  o.wall_clock = [] { return std::uint64_t{100'000}; };
  Client c(o);
  OutMessage m = message("q2", QoS::exactly_once);
  mqtt::Properties p;
  p.message_expiry_interval = 10;
  m.properties = std::make_shared<const mqtt::Properties>(p);
  m.received_ms = 50'000;
  m.seq = 1;
  m.stored = true;
  m.from_store = true;
  OutMessage q1 = m;
  q1.qos = QoS::at_least_once;
  q1.seq = 2;
  (void)c.restore({m, q1});
  (void)remote.read(c.start(0));
  Actions a = c.on_bytes(bytes(connack(), mqtt::ProtocolVersion::v5), 0);
  CHECK(a.dropped == 1);  // the QoS 1 one: no packet id of it is held
  CHECK(a.forget == std::vector<std::uint64_t>{2});
  auto packets = remote.read(a);
  REQUIRE(packets.size() == 1);
  CHECK(std::get<mqtt::Publish>(packets[0]).qos == QoS::exactly_once);
  CHECK(std::get<mqtt::Publish>(packets[0]).properties.message_expiry_interval == 1u);
}

TEST_CASE("bridge client: a 3.1.1 remote is not told the expiry, but what expired while waiting is dropped") {
  Remote remote(mqtt::ProtocolVersion::v3_1_1);
  ClientOptions o = options();
  o.on_connect.reset();
  o.subscriptions.clear();
  std::uint64_t wall = 1'000'000;
  o.wall_clock = [&wall] { return wall; };
  Client c(o);
  for (std::uint32_t seconds : {2u, 60u}) {
    OutMessage m = message("t/" + std::to_string(seconds), QoS::at_least_once);
    mqtt::Properties p;
    p.message_expiry_interval = seconds;
    m.properties = std::make_shared<const mqtt::Properties>(p);
    m.received_ms = wall;
    CHECK(c.send(m, 0).write.empty());
  }
  wall += 3000;
  (void)remote.read(c.start(0));
  Actions a = c.on_bytes(bytes(connack()), 0);
  CHECK(a.dropped == 1);
  auto packets = remote.read(a);
  REQUIRE(packets.size() == 1);
  CHECK(std::get<mqtt::Publish>(packets[0]).topic == "t/60");
}
