#include "mqtt/encode.hpp"

#include <doctest/doctest.h>

#include "test_util.hpp"

using namespace actormq::mqtt;
using namespace actormq::mqtt::test;

namespace {

constexpr auto v31 = ProtocolVersion::v3_1;
constexpr auto v311 = ProtocolVersion::v3_1_1;
constexpr auto v5 = ProtocolVersion::v5;

// Every property allowed in `ctx`, with non-default values.
Properties all_properties(PropertyContext ctx) {
  Properties p;
  auto allowed = [&](PropertyId id) { return property_allowed(id, ctx); };
  using PI = PropertyId;
  if (allowed(PI::payload_format_indicator)) p.payload_format_indicator = 1;
  if (allowed(PI::message_expiry_interval)) p.message_expiry_interval = 3600;
  if (allowed(PI::content_type)) p.content_type = "application/json";
  if (allowed(PI::response_topic)) p.response_topic = "reply/to/me";
  if (allowed(PI::correlation_data)) p.correlation_data = std::string("\x00\x01\xff", 3);
  if (allowed(PI::subscription_identifier)) {
    p.subscription_identifiers = {1, 268'435'455};
    if (ctx.type != PacketType::publish) {
      p.subscription_identifiers = {16'384};
    }
  }
  if (allowed(PI::session_expiry_interval)) p.session_expiry_interval = 0xFFFFFFFF;
  if (allowed(PI::assigned_client_identifier)) p.assigned_client_identifier = "auto-1234";
  if (allowed(PI::server_keep_alive)) p.server_keep_alive = 120;
  if (allowed(PI::authentication_method)) p.authentication_method = "SCRAM-SHA-1";
  if (allowed(PI::authentication_data)) p.authentication_data = std::string("\x10\x00\x20", 3);
  if (allowed(PI::request_problem_information)) p.request_problem_information = 0;
  if (allowed(PI::will_delay_interval)) p.will_delay_interval = 30;
  if (allowed(PI::request_response_information)) p.request_response_information = 1;
  if (allowed(PI::response_information)) p.response_information = "resp/";
  if (allowed(PI::server_reference)) p.server_reference = "other:1883";
  if (allowed(PI::reason_string)) p.reason_string = "because";
  if (allowed(PI::receive_maximum)) p.receive_maximum = 10;
  if (allowed(PI::topic_alias_maximum)) p.topic_alias_maximum = 0;
  if (allowed(PI::topic_alias)) p.topic_alias = 7;
  if (allowed(PI::maximum_qos)) p.maximum_qos = 1;
  if (allowed(PI::retain_available)) p.retain_available = 0;
  if (allowed(PI::user_property)) {
    p.user_properties = {{"b", "2"}, {"a", "1"}, {"b", "3"}, {"", ""}};
  }
  if (allowed(PI::maximum_packet_size)) p.maximum_packet_size = 1'048'576;
  if (allowed(PI::wildcard_subscription_available)) p.wildcard_subscription_available = 1;
  if (allowed(PI::subscription_identifier_available)) p.subscription_identifier_available = 0;
  if (allowed(PI::shared_subscription_available)) p.shared_subscription_available = 1;
  return p;
}

Properties props_for(PacketType type, ProtocolVersion v) {
  return v == v5 ? all_properties({type}) : Properties{};
}

template <class Ack>
Ack make_ack(PacketType type, std::uint16_t id, ReasonCode rc, ProtocolVersion v) {
  Ack a;
  a.packet_id = id;
  a.reason_code = v == v5 ? rc : ReasonCode::success;
  a.properties = props_for(type, v);
  return a;
}

// A packet of every type, filled with everything `v` can carry.
std::vector<Packet> sample_packets(ProtocolVersion v) {
  std::vector<Packet> out;
  const bool five = v == v5;

  Connect c;
  c.version = v;
  c.clean_start = false;
  c.keep_alive = 65535;
  c.client_id = "client-\xC3\xA9";
  Will w;
  w.topic = "last/will";
  w.payload = SharedBytes::copy_of(std::string_view("gone\0!", 6));
  w.qos = QoS::exactly_once;
  w.retain = true;
  w.properties = five ? all_properties({PacketType::connect, true}) : Properties{};
  c.will = w;
  c.username = "user";
  c.password = std::string("p\0ss", 4);
  c.properties = props_for(PacketType::connect, v);
  out.emplace_back(c);

  Connect minimal;
  minimal.version = v;
  out.emplace_back(minimal);

  out.emplace_back(Connack{true, five ? ReasonCode::success : ReasonCode::success,
                           props_for(PacketType::connack, v)});
  out.emplace_back(Connack{false, ReasonCode::not_authorized, props_for(PacketType::connack, v)});

  Publish p;
  p.topic = "sport/tennis/player1";
  p.payload = SharedBytes::copy_of(std::string_view("{\"score\": 15}"));
  p.qos = QoS::at_least_once;
  p.retain = true;
  p.dup = true;
  p.packet_id = 0xBEEF;
  p.properties = props_for(PacketType::publish, v);
  out.emplace_back(p);

  Publish q0;
  q0.topic = "/";
  out.emplace_back(q0);

  Publish q2;
  q2.topic = "a/b";
  q2.qos = QoS::exactly_once;
  q2.packet_id = 1;
  q2.payload = SharedBytes::copy_of(std::string(70'000, 'x'));
  out.emplace_back(q2);

  out.emplace_back(make_ack<Puback>(PacketType::puback, 1, ReasonCode::no_matching_subscribers, v));
  out.emplace_back(make_ack<Puback>(PacketType::puback, 2, ReasonCode::success, v));
  out.emplace_back(make_ack<Pubrec>(PacketType::pubrec, 3, ReasonCode::quota_exceeded, v));
  out.emplace_back(
      make_ack<Pubrel>(PacketType::pubrel, 4, ReasonCode::packet_identifier_not_found, v));
  out.emplace_back(make_ack<Pubcomp>(PacketType::pubcomp, 65535, ReasonCode::success, v));
  Puback reason_only;
  reason_only.packet_id = 9;
  reason_only.reason_code = five ? ReasonCode::not_authorized : ReasonCode::success;
  out.emplace_back(reason_only);

  Subscribe s;
  s.packet_id = 10;
  s.properties = props_for(PacketType::subscribe, v);
  s.subscriptions.push_back({"sport/tennis/#", {QoS::exactly_once, five, five,
                                                five ? RetainHandling::do_not_send
                                                     : RetainHandling::send_on_subscribe}});
  s.subscriptions.push_back({"+/+", {QoS::at_most_once, false, false,
                                     five ? RetainHandling::send_if_new
                                          : RetainHandling::send_on_subscribe}});
  s.subscriptions.push_back({"$share/g/x", {QoS::at_least_once, false, false,
                                            RetainHandling::send_on_subscribe}});
  out.emplace_back(s);

  Suback sa;
  sa.packet_id = 10;
  sa.properties = props_for(PacketType::suback, v);
  sa.reason_codes = {ReasonCode::granted_qos_2, ReasonCode::granted_qos_0,
                     five ? ReasonCode::shared_subscriptions_not_supported
                          : ReasonCode::unspecified_error};
  out.emplace_back(sa);

  Unsubscribe u;
  u.packet_id = 11;
  u.properties = props_for(PacketType::unsubscribe, v);
  u.filters = {"a/b", "c/#"};
  out.emplace_back(u);

  Unsuback ua;
  ua.packet_id = 11;
  ua.properties = props_for(PacketType::unsuback, v);
  if (five) {
    ua.reason_codes = {ReasonCode::success, ReasonCode::no_subscription_existed};
  }
  out.emplace_back(ua);

  out.emplace_back(Pingreq{});
  out.emplace_back(Pingresp{});
  out.emplace_back(Disconnect{});
  if (five) {
    out.emplace_back(
        Disconnect{ReasonCode::server_shutting_down, props_for(PacketType::disconnect, v)});
    out.emplace_back(Disconnect{ReasonCode::disconnect_with_will_message, {}});
    out.emplace_back(Auth{});
    out.emplace_back(Auth{ReasonCode::continue_authentication, props_for(PacketType::auth, v)});
  }
  return out;
}

void check_round_trip(const Packet& packet, ProtocolVersion v) {
  CAPTURE(to_string(packet_type(packet)));
  auto bytes = encode(packet, v);
  REQUIRE(bytes.ok());
  auto size = encoded_size(packet, v);
  REQUIRE(size.ok());
  CHECK(*size == bytes->size());
  // encode then parse gives the same packet
  Parsed r = parse_one(*bytes, v);
  REQUIRE_MESSAGE(r.status == ParseStatus::packet, to_string(r.error.code));
  CHECK(r.consumed == bytes->size());
  CHECK(r.packet == packet);
  // parse then encode gives the same bytes
  auto again = encode(r.packet, v);
  REQUIRE(again.ok());
  CHECK(*again == *bytes);
  // one byte at a time gives the same packet
  auto chunked = parse_chunked(*bytes, 1, ParserOptions{max_packet_size_limit, v});
  REQUIRE(chunked.size() == 1);
  CHECK(chunked[0].packet == packet);
}

}  // namespace

TEST_CASE("round trip of every packet type in 5.0 with all properties") {
  for (const auto& p : sample_packets(v5)) {
    check_round_trip(p, v5);
  }
}

TEST_CASE("round trip of every packet type in 3.1.1") {
  for (const auto& p : sample_packets(v311)) {
    check_round_trip(p, v311);
  }
}

TEST_CASE("round trip of every packet type in 3.1") {
  for (const auto& p : sample_packets(v31)) {
    check_round_trip(p, v31);
  }
}

TEST_CASE("all sample packets in one stream, at every chunk size") {
  Bytes stream;
  std::vector<Packet> packets = sample_packets(v5);
  packets.erase(packets.begin(), packets.begin() + 2);  // a stream has no CONNECT after the first
  for (const auto& p : packets) {
    REQUIRE(encode_append(p, v5, stream).ok());
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                            std::size_t{64}, std::size_t{4096}, stream.size()}) {
    CAPTURE(chunk);
    auto results = parse_chunked(stream, chunk, ParserOptions{max_packet_size_limit, v5});
    REQUIRE(results.size() == packets.size());
    for (std::size_t i = 0; i < packets.size(); ++i) {
      CHECK(results[i].packet == packets[i]);
    }
  }
}

TEST_CASE("golden bytes: MQTT 3.1.1 packets as mosquitto_pub sends them") {
  // mosquitto_pub -V mqttv311 -i test -t a -m b -q 1 (keepalive 60, clean session)
  Connect c;
  c.version = v311;
  c.keep_alive = 60;
  c.client_id = "test";
  CHECK(*encode(c, v311) == hex("10 10 00 04 'MQTT' 04 02 00 3c 00 04 'test'"));
  Publish p;
  p.topic = "a";
  p.payload = SharedBytes::copy_of(std::string_view("b"));
  p.qos = QoS::at_least_once;
  p.packet_id = 1;
  CHECK(*encode(p, v311) == hex("32 06 00 01 'a' 00 01 'b'"));
  CHECK(*encode(Puback{{1, ReasonCode::success, {}}}, v311) == hex("40 02 00 01"));
  CHECK(*encode(Pubrel{{1, ReasonCode::success, {}}}, v311) == hex("62 02 00 01"));
  CHECK(*encode(Connack{false, ReasonCode::success, {}}, v311) == hex("20 02 00 00"));
  CHECK(*encode(Connack{false, ReasonCode::bad_user_name_or_password, {}}, v311) ==
        hex("20 02 00 04"));
  CHECK(*encode(Pingreq{}, v311) == hex("c0 00"));
  CHECK(*encode(Pingresp{}, v311) == hex("d0 00"));
  CHECK(*encode(Disconnect{ReasonCode::server_busy, {}}, v311) == hex("e0 00"));
  Subscribe s;
  s.packet_id = 1;
  s.subscriptions = {{"a/b", {QoS::at_least_once, false, false, RetainHandling::send_on_subscribe}}};
  CHECK(*encode(s, v311) == hex("82 08 00 01 00 03 'a/b' 01"));
  Suback sa{1, {ReasonCode::granted_qos_1, ReasonCode::not_authorized}, {}};
  CHECK(*encode(sa, v311) == hex("90 04 00 01 01 80"));
  CHECK(*encode(Unsuback{1, {ReasonCode::success}, {}}, v311) == hex("b0 02 00 01"));
}

TEST_CASE("golden bytes: MQTT 5.0 packets") {
  // mosquitto_pub -V mqttv5 -i test: CONNECT with an empty property list.
  Connect c;
  c.version = v5;
  c.keep_alive = 60;
  c.client_id = "test";
  CHECK(*encode(c, v5) == hex("10 11 00 04 'MQTT' 05 02 00 3c 00 00 04 'test'"));
  // CONNACK with Topic Alias Maximum 10 and Receive Maximum 20, the shape brokers send.
  Connack ca;
  ca.properties.receive_maximum = 20;
  ca.properties.topic_alias_maximum = 10;
  CHECK(*encode(ca, v5) == hex("20 09 00 00 06 21 00 14 22 00 0a"));
  // Short forms: reason code and properties omitted (§3.4.2.1, §3.14.2.1).
  CHECK(*encode(Puback{{5, ReasonCode::success, {}}}, v5) == hex("40 02 00 05"));
  CHECK(*encode(Puback{{5, ReasonCode::no_matching_subscribers, {}}}, v5) ==
        hex("40 03 00 05 10"));
  CHECK(*encode(Disconnect{}, v5) == hex("e0 00"));
  CHECK(*encode(Disconnect{ReasonCode::session_taken_over, {}}, v5) == hex("e0 01 8e"));
  Disconnect with_reason{ReasonCode::malformed_packet, {}};
  with_reason.properties.reason_string = "bad";
  CHECK(*encode(with_reason, v5) == hex("e0 08 81 06 1f 00 03 'bad'"));
  Subscribe s;
  s.packet_id = 2;
  s.subscriptions = {{"a", {QoS::exactly_once, true, true, RetainHandling::do_not_send}}};
  CHECK(*encode(s, v5) == hex("82 07 00 02 00 00 01 'a' 2e"));
}

TEST_CASE("5.0 reason codes become 3.1.1 codes") {
  CHECK(*encode(Connack{false, ReasonCode::banned, {}}, v311) == hex("20 02 00 05"));
  CHECK(*encode(Connack{false, ReasonCode::unsupported_protocol_version, {}}, v311) ==
        hex("20 02 00 01"));
  Suback sa{3, {ReasonCode::quota_exceeded}, {}};
  CHECK(*encode(sa, v311) == hex("90 03 00 03 80"));
}

TEST_CASE("PUBLISH header written apart from its shared payload") {
  Publish p;
  p.topic = "sensors/42/temp";
  p.qos = QoS::at_least_once;
  p.packet_id = 77;
  p.payload = SharedBytes::copy_of(std::string(300, 'p'));
  p.properties.message_expiry_interval = 60;
  p.properties.user_properties = {{"k", "v"}};
  for (auto v : {v311, v5}) {
    auto full = encode(p, v);
    REQUIRE(full.ok());
    PublishHeader h = publish_header(p);
    auto layout = publish_layout(h, v);
    REQUIRE(layout.ok());
    CHECK(layout->total_size == full->size());
    CHECK(layout->header_size + p.payload.size() == full->size());
    std::vector<std::uint8_t> header;
    auto written = encode_publish_header(h, v, header);
    REQUIRE(written.ok());
    CHECK(header.size() == layout->header_size);
    header.insert(header.end(), p.payload.data(), p.payload.data() + p.payload.size());
    CHECK(header == *full);
  }
}

TEST_CASE("one payload, many headers: fan-out copies no payload bytes") {
  auto payload = SharedBytes::copy_of(std::string_view("shared"));
  std::vector<Publish> outgoing;
  for (std::uint16_t id = 1; id <= 100; ++id) {
    Publish p;
    p.topic = "t";
    p.payload = payload;
    p.qos = QoS::at_least_once;
    p.packet_id = id;
    outgoing.push_back(std::move(p));
  }
  CHECK(payload.use_count() == 101);
  for (const auto& p : outgoing) {
    CHECK(p.payload.data() == payload.data());
  }
}

TEST_CASE("header with a topic alias and no topic, per subscriber") {
  Properties props;
  props.topic_alias = 3;
  props.subscription_identifiers = {12};
  PublishHeader h{"", QoS::at_most_once, false, false, 0, &props, 4};
  auto layout = publish_layout(h, v5);
  REQUIRE(layout.ok());
  std::vector<std::uint8_t> out;
  REQUIRE(encode_publish_header(h, v5, out).ok());
  CHECK(out == hex("30 0c 00 00 05 0b 0c 23 00 03"));
  CHECK(layout->total_size == out.size() + 4);
}

TEST_CASE("encoder rejects what cannot be sent") {
  Publish p;
  p.topic = std::string(65'536, 'a');
  CHECK(encode(p, v5).error().code == ErrorCode::string_too_long);
  CHECK(encoded_size(p, v5).error().code == ErrorCode::string_too_long);
  Publish no_id;
  no_id.topic = "a";
  no_id.qos = QoS::at_least_once;
  CHECK(encode(no_id, v5).error().code == ErrorCode::zero_packet_id);
  Publish qos3;
  qos3.topic = "a";
  qos3.qos = static_cast<QoS>(3);
  CHECK(encode(qos3, v5).error().code == ErrorCode::bad_qos);
  CHECK(encode(Subscribe{1, {}, {}}, v5).error().code == ErrorCode::empty_subscribe);
  CHECK(encode(Unsubscribe{1, {}, {}}, v5).error().code == ErrorCode::empty_unsubscribe);
  CHECK(encode(Auth{}, v311).error().code == ErrorCode::reserved_packet_type);
  Connect c;
  c.version = v311;
  c.password = "secret";
  CHECK(encode(c, v311).error().code == ErrorCode::password_without_username);
  Properties long_reason;
  long_reason.reason_string = std::string(70'000, 'r');
  CHECK(encode(Disconnect{ReasonCode::unspecified_error, long_reason}, v5).error().code ==
        ErrorCode::string_too_long);
  PublishHeader huge{"t", QoS::at_most_once, false, false, 0, nullptr, max_varint};
  CHECK(publish_layout(huge, v5).error().code == ErrorCode::packet_too_large);
  std::vector<std::uint8_t> untouched{1, 2, 3};
  CHECK_FALSE(encode_append(p, v5, untouched).ok());
  CHECK(untouched.size() == 3);
}

TEST_CASE("properties are dropped before 5.0") {
  Publish p;
  p.topic = "a";
  p.properties.content_type = "text/plain";
  CHECK(*encode(p, v311) == hex("30 03 00 01 'a'"));
}
