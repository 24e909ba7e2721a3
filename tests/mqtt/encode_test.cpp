#include "mqtt/encode.hpp"

#include <doctest/doctest.h>

#include "samples.hpp"
#include "test_util.hpp"

using namespace actormq::mqtt;
using namespace actormq::mqtt::test;

namespace {

constexpr auto v31 = ProtocolVersion::v3_1;
constexpr auto v311 = ProtocolVersion::v3_1_1;
constexpr auto v5 = ProtocolVersion::v5;

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
