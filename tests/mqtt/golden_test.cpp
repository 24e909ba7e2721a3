// Byte streams captured from mosquitto_pub / mosquitto_sub 2.0.11 talking to
// a raw socket server on 127.0.0.1 (the server answered CONNACK, PUBACK,
// PUBREC/PUBCOMP and SUBACK so the clients ran their whole exchange).

#include <doctest/doctest.h>

#include "mqtt/encode.hpp"
#include "test_util.hpp"

using namespace actormq::mqtt;
using namespace actormq::mqtt::test;

namespace {

std::vector<Parsed> parse_stream(const Bytes& stream) {
  auto results = parse_chunked(stream, stream.size());
  for (const auto& r : results) {
    REQUIRE(r.status == ParseStatus::packet);
  }
  return results;
}

// Re-encoding every packet of the stream gives the captured bytes back.
void check_reencodes_identically(const Bytes& stream, ProtocolVersion v) {
  Bytes out;
  for (const auto& r : parse_stream(stream)) {
    REQUIRE(encode_append(r.packet, v, out).ok());
  }
  CHECK(out == stream);
}

}  // namespace

TEST_CASE("mosquitto_pub 3.1.1, QoS 1") {
  // mosquitto_pub -V mqttv311 -i capture -t sport/tennis -m hello -q 1
  const Bytes stream = hex(
      "10 13 00 04 4d 51 54 54 04 02 00 3c 00 07 63 61 70 74 75 72 65"
      "32 15 00 0c 73 70 6f 72 74 2f 74 65 6e 6e 69 73 00 01 68 65 6c 6c 6f"
      "e0 00");
  auto packets = parse_stream(stream);
  REQUIRE(packets.size() == 3);
  const auto& c = std::get<Connect>(packets[0].packet);
  CHECK(c.version == ProtocolVersion::v3_1_1);
  CHECK(c.client_id == "capture");
  CHECK(c.keep_alive == 60);
  CHECK(c.clean_start);
  CHECK_FALSE(c.will.has_value());
  const auto& p = std::get<Publish>(packets[1].packet);
  CHECK(p.topic == "sport/tennis");
  CHECK(p.qos == QoS::at_least_once);
  CHECK(p.packet_id == 1);
  CHECK(p.payload.view() == "hello");
  CHECK(std::holds_alternative<Disconnect>(packets[2].packet));
  check_reencodes_identically(stream, ProtocolVersion::v3_1_1);
}

TEST_CASE("mosquitto_pub 3.1 (MQIsdp), QoS 2 with user name and password") {
  // mosquitto_pub -V mqttv31 -i cap31 -t a/b -m x -q 2 -u user -P pass
  const Bytes stream = hex(
      "10 1f 00 06 4d 51 49 73 64 70 03 c2 00 3c 00 05 63 61 70 33 31 00 04 75 73 65 72 00 04 "
      "70 61 73 73"
      "34 08 00 03 61 2f 62 00 01 78"
      "62 02 00 01"
      "e0 00");
  auto packets = parse_stream(stream);
  REQUIRE(packets.size() == 4);
  const auto& c = std::get<Connect>(packets[0].packet);
  CHECK(c.version == ProtocolVersion::v3_1);
  CHECK(c.username == "user");
  CHECK(c.password == "pass");
  CHECK(std::get<Publish>(packets[1].packet).qos == QoS::exactly_once);
  CHECK(std::get<Pubrel>(packets[2].packet).packet_id == 1);
  check_reencodes_identically(stream, ProtocolVersion::v3_1);
}

TEST_CASE("mosquitto_pub 5.0 with will, connect and publish properties") {
  // mosquitto_pub -V mqttv5 -i cap5 -t sport/tennis -m hello -q 1 -r
  //   -D publish user-property k v -D publish message-expiry-interval 60
  //   -D publish content-type text/plain -D connect session-expiry-interval 30
  //   -D connect receive-maximum 10 --will-topic will/t --will-payload bye --will-qos 1
  const Bytes connect = hex(
      "10 27 00 04 4d 51 54 54 05 0e 00 3c 08 11 00 00 00 1e 21 00 0a 00 04 63 61 70 35 00 00 "
      "06 77 69 6c 6c 2f 74 00 03 62 79 65");
  const Bytes publish = hex(
      "33 2f 00 0c 73 70 6f 72 74 2f 74 65 6e 6e 69 73 00 01 19 26 00 01 6b 00 01 76 02 00 00 "
      "00 3c 03 00 0a 74 65 78 74 2f 70 6c 61 69 6e 68 65 6c 6c 6f");
  Parsed rc = parse_one(connect, ProtocolVersion::v3_1_1);
  REQUIRE(rc.status == ParseStatus::packet);
  const auto& c = std::get<Connect>(rc.packet);
  CHECK(c.version == ProtocolVersion::v5);
  CHECK(c.properties.session_expiry_interval == 30u);
  CHECK(c.properties.receive_maximum == 10);
  REQUIRE(c.will.has_value());
  CHECK(c.will->topic == "will/t");
  CHECK(c.will->payload.view() == "bye");
  CHECK(c.will->qos == QoS::at_least_once);
  CHECK_FALSE(c.will->retain);
  CHECK(c.will->properties.empty());
  CHECK(*encode(c, ProtocolVersion::v5) == connect);

  Parsed rp = parse_one(publish, ProtocolVersion::v5);
  REQUIRE(rp.status == ParseStatus::packet);
  const auto& p = std::get<Publish>(rp.packet);
  CHECK(p.retain);
  CHECK(p.qos == QoS::at_least_once);
  CHECK(p.properties.user_properties == std::vector<UserProperty>{{"k", "v"}});
  CHECK(p.properties.message_expiry_interval == 60u);
  CHECK(p.properties.content_type == "text/plain");
  CHECK(p.payload.view() == "hello");
  // mosquitto writes the user property first; the encoder writes properties in
  // identifier order, so the bytes differ only in order, not in size or meaning.
  auto again = encode(p, ProtocolVersion::v5);
  REQUIRE(again.ok());
  CHECK(again->size() == publish.size());
  CHECK(parse_one(*again, ProtocolVersion::v5).packet == rp.packet);
}

TEST_CASE("mosquitto_sub 5.0: SUBSCRIBE with identifier, user property and a shared filter") {
  // mosquitto_sub -V mqttv5 -i sub5 -t 'sport/#' -t '$share/g/x/+' -q 2
  //   -D subscribe subscription-identifier 5 -D subscribe user-property a b -W 1
  const Bytes stream = hex(
      "10 14 00 04 4d 51 54 54 05 02 00 3c 03 21 00 14 00 04 73 75 62 35"
      "82 25 00 01 09 0b 05 26 00 01 61 00 01 62 00 07 73 70 6f 72 74 2f 23 02 00 0c 24 73 68 "
      "61 72 65 2f 67 2f 78 2f 2b 02"
      "e0 01 04");
  auto packets = parse_stream(stream);
  REQUIRE(packets.size() == 3);
  const auto& s = std::get<Subscribe>(packets[1].packet);
  CHECK(s.properties.subscription_identifiers == std::vector<std::uint32_t>{5});
  REQUIRE(s.subscriptions.size() == 2);
  CHECK(s.subscriptions[0].filter == "sport/#");
  CHECK(s.subscriptions[1].filter == "$share/g/x/+");
  CHECK(s.subscriptions[1].options.max_qos == QoS::exactly_once);
  CHECK(std::get<Disconnect>(packets[2].packet).reason_code ==
        ReasonCode::disconnect_with_will_message);
  check_reencodes_identically(stream, ProtocolVersion::v5);
}

TEST_CASE("mosquitto_sub 3.1.1 SUBSCRIBE") {
  // mosquitto_sub -V mqttv311 -i sub311 -t 'sport/#' -q 1
  const Bytes stream = hex(
      "10 12 00 04 4d 51 54 54 04 02 00 3c 00 06 73 75 62 33 31 31"
      "82 0c 00 01 00 07 73 70 6f 72 74 2f 23 01"
      "e0 00");
  check_reencodes_identically(stream, ProtocolVersion::v3_1_1);
}

TEST_CASE("MQTT 5.0 spec example: CONNECT variable header (3.1.2.11)") {
  // §3.1.2.11 Figure 3-8: protocol name, level 5, flags 0xCE, keep alive 10,
  // properties length 5 with Session Expiry Interval 10.
  const Bytes variable_header = hex("00 04 'MQTT' 05 ce 00 0a 05 11 00 00 00 0a");
  Properties props;
  props.session_expiry_interval = 10;
  Will will{"w", SharedBytes::copy_of(std::string_view("x")), QoS::at_least_once, false, {}};
  const Connect c{ProtocolVersion::v5, false, true, 10, "", will, "u", "p", props};
  auto bytes = encode(c, ProtocolVersion::v5);
  REQUIRE(bytes.ok());
  CHECK(Bytes(bytes->begin() + 2, bytes->begin() + 2 + static_cast<std::ptrdiff_t>(
                                                            variable_header.size())) ==
        variable_header);
}
