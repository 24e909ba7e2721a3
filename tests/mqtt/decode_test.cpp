#include "mqtt/decode.hpp"

#include <doctest/doctest.h>

#include "test_util.hpp"

using namespace actormq::mqtt;
using namespace actormq::mqtt::test;

namespace {

constexpr auto v31 = ProtocolVersion::v3_1;
constexpr auto v311 = ProtocolVersion::v3_1_1;
constexpr auto v5 = ProtocolVersion::v5;

struct Malformed {
  const char* name;
  ProtocolVersion version;
  const char* bytes;
  ErrorCode expected;
};

// One row per malformed case; every row must fail with exactly this error.
const Malformed malformed_cases[] = {
    {"field runs past the end", v311, "30 03 00 04 'a'", ErrorCode::truncated},
    {"property list runs past the end", v5, "30 05 00 01 'a' 05 01", ErrorCode::truncated},
    {"PUBREL flags 0000", v311, "60 02 00 01", ErrorCode::bad_fixed_header_flags},
    {"SUBSCRIBE flags 0000", v311, "80 06 00 01 00 01 'a' 00",
     ErrorCode::bad_fixed_header_flags},
    {"UNSUBSCRIBE flags 0011", v5, "a3 06 00 01 00 00 01 'a'",
     ErrorCode::bad_fixed_header_flags},
    {"PUBACK flags set", v311, "42 02 00 01", ErrorCode::bad_fixed_header_flags},
    {"PINGREQ flags set", v311, "c1 00", ErrorCode::bad_fixed_header_flags},
    {"CONNECT flags set", v311, "11 0c 00 04 'MQTT' 04 02 00 3c 00 00",
     ErrorCode::bad_fixed_header_flags},
    {"PUBLISH QoS 3", v311, "36 05 00 01 'a' 00 01", ErrorCode::bad_qos},
    {"DUP on QoS 0", v311, "38 04 00 01 'a' 'b'", ErrorCode::dup_on_qos0},
    {"PUBLISH packet id 0", v311, "32 05 00 01 'a' 00 00", ErrorCode::zero_packet_id},
    {"PUBACK packet id 0", v311, "40 02 00 00", ErrorCode::zero_packet_id},
    {"PUBREC packet id 0", v5, "50 02 00 00", ErrorCode::zero_packet_id},
    {"PUBREL packet id 0", v5, "62 02 00 00", ErrorCode::zero_packet_id},
    {"PUBCOMP packet id 0", v5, "70 02 00 00", ErrorCode::zero_packet_id},
    {"SUBSCRIBE packet id 0", v311, "82 06 00 00 00 01 'a' 00", ErrorCode::zero_packet_id},
    {"UNSUBSCRIBE packet id 0", v311, "a2 05 00 00 00 01 'a'", ErrorCode::zero_packet_id},
    {"SUBACK packet id 0", v311, "90 03 00 00 00", ErrorCode::zero_packet_id},
    {"property not allowed on PUBLISH", v5, "30 09 00 01 'a' 05 11 00 00 00 0a",
     ErrorCode::property_not_allowed},
    {"will delay interval on PUBLISH", v5, "30 09 00 01 'a' 05 18 00 00 00 0a",
     ErrorCode::property_not_allowed},
    {"topic alias on SUBSCRIBE", v5, "82 0a 00 01 03 23 00 01 00 01 'a' 00",
     ErrorCode::property_not_allowed},
    {"unknown property 0x04", v5, "30 06 00 01 'a' 02 04 00", ErrorCode::unknown_property},
    {"duplicate message expiry", v5, "30 0e 00 01 'a' 0a 02 00 00 00 01 02 00 00 00 02",
     ErrorCode::duplicate_property},
    {"duplicate subscription identifier in SUBSCRIBE", v5,
     "82 0b 00 01 04 0b 01 0b 02 00 01 'a' 00", ErrorCode::duplicate_property},
    {"duplicate reason string in PUBACK", v5, "40 0c 00 01 00 08 1f 00 01 'x' 1f 00 01 'y'",
     ErrorCode::duplicate_property},
    {"v5 CONNECT with Authentication Data but no Method", v5,
     "10 11 00 04 'MQTT' 05 02 00 3c 04 16 00 01 'x' 00 00", ErrorCode::auth_data_without_method},
    {"UNSUBSCRIBE '#' not last 3.1.1", v311, "a2 09 00 01 00 05 'a/#/b'",
     ErrorCode::invalid_topic_filter},
    {"UNSUBSCRIBE '+' not a whole level 5.0", v5, "a2 07 00 01 00 00 02 'a+'",
     ErrorCode::invalid_topic_filter},
    {"UNSUBSCRIBE empty filter after a good one", v311, "a2 07 00 01 00 01 'a' 00 00",
     ErrorCode::invalid_topic_filter},
    {"UNSUBSCRIBE $share without a filter", v5, "a2 0d 00 01 00 00 08 '$share/g'",
     ErrorCode::invalid_topic_filter},
    {"payload format indicator 2", v5, "30 06 00 01 'a' 02 01 02",
     ErrorCode::bad_property_value},
    {"subscription identifier 0", v5, "82 09 00 01 02 0b 00 00 01 'a' 00",
     ErrorCode::bad_property_value},
    {"overlong subscription identifier", v5, "82 0a 00 01 03 0b 80 00 00 01 'a' 00",
     ErrorCode::bad_varint},
    {"response topic with wildcard", v5, "30 09 00 01 'a' 05 08 00 02 'a#'",
     ErrorCode::bad_property_value},
    {"receive maximum 0", v5, "10 10 00 04 'MQTT' 05 02 00 3c 03 21 00 00 00 00",
     ErrorCode::bad_property_value},
    {"topic alias 0", v5, "30 07 00 01 'a' 03 23 00 00", ErrorCode::topic_alias_zero},
    {"topic with NUL", v311, "30 04 00 02 'a' 00", ErrorCode::bad_utf8},
    {"topic with overlong UTF-8", v311, "30 04 00 02 c0 af", ErrorCode::bad_utf8},
    {"topic with surrogate", v311, "30 05 00 03 ed a0 80", ErrorCode::bad_utf8},
    {"user property with bad UTF-8", v5, "30 0a 00 01 'a' 06 26 00 01 ff 00 00",
     ErrorCode::bad_utf8},
    {"wildcard in PUBLISH topic", v311, "30 04 00 02 'a+'", ErrorCode::invalid_topic_name},
    {"hash in PUBLISH topic", v5, "30 05 00 02 'a#' 00", ErrorCode::invalid_topic_name},
    {"empty PUBLISH topic in 3.1.1", v311, "30 02 00 00", ErrorCode::invalid_topic_name},
    {"empty PUBLISH topic without alias", v5, "30 03 00 00 00", ErrorCode::invalid_topic_name},
    {"empty SUBSCRIBE 3.1.1", v311, "82 02 00 01", ErrorCode::empty_subscribe},
    {"empty SUBSCRIBE 5.0", v5, "82 03 00 01 00", ErrorCode::empty_subscribe},
    {"empty UNSUBSCRIBE 3.1.1", v311, "a2 02 00 01", ErrorCode::empty_unsubscribe},
    {"empty UNSUBSCRIBE 5.0", v5, "a2 03 00 01 00", ErrorCode::empty_unsubscribe},
    {"subscription options reserved bits 5.0", v5, "82 07 00 01 00 00 01 'a' c0",
     ErrorCode::bad_subscription_options},
    {"subscription options no-local bit in 3.1.1", v311, "82 06 00 01 00 01 'a' 04",
     ErrorCode::bad_subscription_options},
    {"subscription QoS 3", v5, "82 07 00 01 00 00 01 'a' 03", ErrorCode::bad_qos},
    {"retain handling 3", v5, "82 07 00 01 00 00 01 'a' 30", ErrorCode::bad_retain_handling},
    {"SUBSCRIBE filter without options", v311, "82 05 00 01 00 01 'a'", ErrorCode::truncated},
    {"CONNECT reserved flag", v311, "10 0c 00 04 'MQTT' 04 03 00 3c 00 00",
     ErrorCode::connect_reserved_flag},
    {"will QoS without will flag", v311, "10 0c 00 04 'MQTT' 04 0a 00 3c 00 00",
     ErrorCode::bad_will_flags},
    {"will retain without will flag", v311, "10 0c 00 04 'MQTT' 04 22 00 3c 00 00",
     ErrorCode::bad_will_flags},
    {"will QoS 3", v311, "10 13 00 04 'MQTT' 04 1e 00 3c 00 00 00 01 't' 00 02 'hi'",
     ErrorCode::bad_will_flags},
    {"password without user name in 3.1.1", v311,
     "10 0f 00 04 'MQTT' 04 42 00 3c 00 00 00 01 'p'", ErrorCode::password_without_username},
    {"password without user name in 3.1", v31,
     "10 11 00 06 'MQIsdp' 03 42 00 3c 00 00 00 01 'p'", ErrorCode::password_without_username},
    {"will topic with wildcard", v311, "10 13 00 04 'MQTT' 04 06 00 3c 00 00 00 01 '#' 00 02 'hi'",
     ErrorCode::invalid_topic_name},
    {"bad protocol name", v311, "10 0c 00 04 'MQTX' 04 02 00 3c 00 00",
     ErrorCode::bad_protocol_name},
    {"protocol level 6", v311, "10 0c 00 04 'MQTT' 06 02 00 3c 00 00",
     ErrorCode::unsupported_protocol_version},
    {"protocol level 3 with name MQTT", v311, "10 0c 00 04 'MQTT' 03 02 00 3c 00 00",
     ErrorCode::unsupported_protocol_version},
    {"MQIsdp with level 4", v311, "10 0e 00 06 'MQIsdp' 04 02 00 3c 00 00",
     ErrorCode::unsupported_protocol_version},
    {"CONNECT cut after the client id length", v311, "10 0b 00 04 'MQTT' 04 02 00 3c 00",
     ErrorCode::truncated},
    {"CONNECT with trailing bytes", v311, "10 0d 00 04 'MQTT' 04 02 00 3c 00 00 00",
     ErrorCode::trailing_bytes},
    {"CONNACK reserved flags", v311, "20 02 02 00", ErrorCode::bad_connack_flags},
    {"CONNACK return code 6", v311, "20 02 00 06", ErrorCode::bad_connack_code},
    {"CONNACK reason code not for CONNACK", v5, "20 03 00 10 00", ErrorCode::bad_reason_code},
    {"PUBACK 3.1.1 with reason code byte", v311, "40 03 00 01 00", ErrorCode::trailing_bytes},
    {"PUBACK reason code of PUBREL", v5, "40 03 00 01 92", ErrorCode::bad_reason_code},
    {"PUBREL reason code of PUBACK", v5, "62 03 00 01 10", ErrorCode::bad_reason_code},
    {"SUBACK 3.1.1 code 0x87", v311, "90 03 00 01 87", ErrorCode::bad_reason_code},
    {"UNSUBACK reason granted QoS 1", v5, "b0 04 00 01 00 01", ErrorCode::bad_reason_code},
    {"DISCONNECT reason code 0x10", v5, "e0 01 10", ErrorCode::bad_reason_code},
    {"DISCONNECT 3.1.1 with a body", v311, "e0 01 00", ErrorCode::trailing_bytes},
    {"PINGREQ with a body", v5, "c0 01 00", ErrorCode::trailing_bytes},
    {"AUTH before 5.0", v311, "f0 00", ErrorCode::reserved_packet_type},
    {"AUTH reason code 0x04", v5, "f0 01 04", ErrorCode::bad_reason_code},
    {"AUTH flags set", v5, "f1 00", ErrorCode::bad_fixed_header_flags},
    {"packet type 0", v5, "00 00", ErrorCode::reserved_packet_type},
    {"remaining length of 5 bytes", v5, "30 80 80 80 80 01", ErrorCode::bad_remaining_length},
};

}  // namespace

TEST_CASE("every malformed input is a typed error") {
  for (const auto& c : malformed_cases) {
    CAPTURE(c.name);
    Bytes bytes = hex(c.bytes);
    Parsed r = parse_one(bytes, c.version);
    REQUIRE(r.status == ParseStatus::error);
    CHECK_MESSAGE(r.error.code == c.expected, to_string(r.error.code));
    CHECK_FALSE(r.error.reason.empty());
    // The same error comes out when the packet arrives one byte at a time.
    auto chunked = parse_chunked(bytes, 1, ParserOptions{max_packet_size_limit, c.version});
    REQUIRE(chunked.size() == 1);
    CHECK(chunked[0].error.code == c.expected);
  }
}

TEST_CASE("errors on CONNECT give the answer the broker must send") {
  auto level6 = parse_one(hex("10 0c 00 04 'MQTT' 06 02 00 3c 00 00"), v311);
  CHECK(to_connack_v3(level6.error.code) == ConnackCodeV3::unacceptable_protocol_version);
  CHECK(to_reason_code(level6.error.code) == ReasonCode::unsupported_protocol_version);
  auto name = parse_one(hex("10 0c 00 04 'MQTX' 04 02 00 3c 00 00"), v311);
  CHECK(to_connack_v3(name.error.code) == ConnackCodeV3::unacceptable_protocol_version);
  auto will = parse_one(hex("10 0d 00 04 'MQTT' 05 0a 00 3c 00 00 00"), v311);
  CHECK(will.version == v5);
  CHECK(to_reason_code(will.error.code) == ReasonCode::malformed_packet);
}

TEST_CASE("accepted edge cases") {
  SUBCASE("v5 empty topic with a topic alias") {
    auto r = parse_one(hex("30 06 00 00 03 23 00 05"), v5);
    REQUIRE(r.status == ParseStatus::packet);
    const auto& p = std::get<Publish>(r.packet);
    CHECK(p.topic.empty());
    CHECK(p.properties.topic_alias == 5);
  }
  SUBCASE("several subscription identifiers on PUBLISH") {
    auto r = parse_one(hex("30 08 00 01 'a' 04 0b 01 0b 02"), v5);
    REQUIRE(r.status == ParseStatus::packet);
    CHECK(std::get<Publish>(r.packet).properties.subscription_identifiers ==
          std::vector<std::uint32_t>{1, 2});
  }
  SUBCASE("user properties keep order and duplicates") {
    auto r = parse_one(
        hex("30 18 00 01 'a' 14 26 00 01 'k' 00 01 '2' 26 00 01 'k' 00 01 '1' 26 00 01 'a' 00 00"),
        v5);
    REQUIRE(r.status == ParseStatus::packet);
    const auto& ups = std::get<Publish>(r.packet).properties.user_properties;
    REQUIRE(ups.size() == 3);
    CHECK(ups[0] == UserProperty{"k", "2"});
    CHECK(ups[1] == UserProperty{"k", "1"});
    CHECK(ups[2] == UserProperty{"a", ""});
  }
  SUBCASE("v5 password without user name") {
    auto r = parse_one(hex("10 10 00 04 'MQTT' 05 42 00 3c 00 00 00 00 01 'p'"), v311);
    REQUIRE(r.status == ParseStatus::packet);
    const auto& c = std::get<Connect>(r.packet);
    CHECK_FALSE(c.username.has_value());
    CHECK(c.password == "p");
  }
  SUBCASE("3.1 SUBSCRIBE with DUP and QoS 1 in the fixed header") {
    auto r = parse_one(hex("8a 06 00 01 00 01 'a' 01"), v31);
    REQUIRE(r.status == ParseStatus::packet);
    CHECK(std::get<Subscribe>(r.packet).subscriptions[0].options.max_qos ==
          QoS::at_least_once);
  }
  SUBCASE("mosquitto bridge bit in the protocol level") {
    auto r = parse_one(hex("10 0c 00 04 'MQTT' 84 02 00 3c 00 00"), v311);
    REQUIRE(r.status == ParseStatus::packet);
    CHECK(std::get<Connect>(r.packet).bridge);
    CHECK(std::get<Connect>(r.packet).version == v311);
  }
  SUBCASE("v5 short acks: 2 and 3 byte forms") {
    auto r2 = parse_one(hex("40 02 00 07"), v5);
    REQUIRE(r2.status == ParseStatus::packet);
    CHECK(std::get<Puback>(r2.packet).reason_code == ReasonCode::success);
    auto r3 = parse_one(hex("50 03 00 07 10"), v5);
    REQUIRE(r3.status == ParseStatus::packet);
    CHECK(std::get<Pubrec>(r3.packet).reason_code == ReasonCode::no_matching_subscribers);
  }
  SUBCASE("v5 DISCONNECT and AUTH without body") {
    auto d = parse_one(hex("e0 00"), v5);
    REQUIRE(d.status == ParseStatus::packet);
    CHECK(std::get<Disconnect>(d.packet).reason_code == ReasonCode::normal_disconnection);
    auto a = parse_one(hex("f0 00"), v5);
    REQUIRE(a.status == ParseStatus::packet);
    CHECK(std::get<Auth>(a.packet).reason_code == ReasonCode::success);
  }
  SUBCASE("UNSUBSCRIBE of wildcard and shared filters") {
    auto r = parse_one(hex("a2 15 00 01 00 03 '+/#' 00 0c '$share/g/a/+'"), v311);
    REQUIRE(r.status == ParseStatus::packet);
    CHECK(std::get<Unsubscribe>(r.packet).filters ==
          std::vector<std::string>{"+/#", "$share/g/a/+"});
  }
  SUBCASE("SUBSCRIBE filters are not syntax-checked by the decoder") {
    auto r = parse_one(hex("82 09 00 01 00 00 03 'a#b' 00"), v5);
    REQUIRE(r.status == ParseStatus::packet);
    CHECK(std::get<Subscribe>(r.packet).subscriptions[0].filter == "a#b");
  }
}

TEST_CASE("connect_protocol_version reads the level without decoding the rest") {
  CHECK(connect_protocol_version(hex("00 04 'MQTT' 05 ff")) == v5);
  CHECK(connect_protocol_version(hex("00 06 'MQIsdp' 03")) == v31);
  CHECK_FALSE(connect_protocol_version(hex("00 04 'MQTT' 07")).has_value());
  CHECK_FALSE(connect_protocol_version(hex("00 04 'MQ'")).has_value());
}
