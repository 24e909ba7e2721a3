#include "mqtt/properties.hpp"

#include <doctest/doctest.h>

#include "test_util.hpp"

using namespace actormq::mqtt;
using namespace actormq::mqtt::test;

TEST_CASE("property table follows MQTT 5.0 2.2.2.2") {
  using PI = PropertyId;
  CHECK(property_allowed(PI::topic_alias, {PacketType::publish}));
  CHECK_FALSE(property_allowed(PI::topic_alias, {PacketType::connect, true}));
  CHECK(property_allowed(PI::will_delay_interval, {PacketType::connect, true}));
  CHECK_FALSE(property_allowed(PI::will_delay_interval, {PacketType::connect}));
  CHECK(property_allowed(PI::message_expiry_interval, {PacketType::connect, true}));
  CHECK(property_allowed(PI::subscription_identifier, {PacketType::subscribe}));
  CHECK_FALSE(property_allowed(PI::subscription_identifier, {PacketType::suback}));
  CHECK(property_allowed(PI::session_expiry_interval, {PacketType::disconnect}));
  CHECK(property_allowed(PI::server_reference, {PacketType::disconnect}));
  CHECK_FALSE(property_allowed(PI::reason_string, {PacketType::publish}));
  CHECK(property_allowed(PI::reason_string, {PacketType::auth}));
  CHECK_FALSE(property_allowed(PI::user_property, {PacketType::pingreq}));
  for (auto t : {PacketType::connect, PacketType::connack, PacketType::publish,
                 PacketType::puback, PacketType::pubrec, PacketType::pubrel,
                 PacketType::pubcomp, PacketType::subscribe, PacketType::suback,
                 PacketType::unsubscribe, PacketType::unsuback, PacketType::disconnect,
                 PacketType::auth}) {
    CHECK(property_allowed(PI::user_property, {t}));
  }
  int defined = 0;
  for (int id = 0; id < 256; ++id) {
    defined += find_property(static_cast<std::uint8_t>(id)) ? 1 : 0;
  }
  CHECK(defined == 27);
  CHECK(find_property(0x26)->repeatable);
  CHECK(find_property(0x26)->type == PropertyType::utf8_pair);
  CHECK_FALSE(find_property(0x23)->repeatable);
}

TEST_CASE("empty properties encode as a single zero length byte") {
  Properties p;
  CHECK(p.empty());
  CHECK(*properties_body_size(p) == 0);
  CHECK(properties_wire_size(0) == 1);
  p.user_properties.push_back({"k", "v"});
  CHECK_FALSE(p.empty());
  CHECK(*properties_body_size(p) == 1 + 3 + 3);
}

TEST_CASE("properties encode in identifier order and decode back") {
  Properties p;
  p.user_properties = {{"z", "1"}, {"a", "2"}};
  p.topic_alias = 5;
  p.payload_format_indicator = 1;
  p.subscription_identifiers = {300};
  auto body = properties_body_size(p);
  REQUIRE(body.ok());
  std::vector<std::uint8_t> out(properties_wire_size(*body));
  Writer w(out);
  write_properties(w, p, *body);
  CHECK(w.left() == 0);
  CHECK(out == hex("16 01 01 0b ac 02 23 00 05 26 00 01 'z' 00 01 '1' 26 00 01 'a' 00 01 '2'"));
  Reader r(out);
  auto back = decode_properties(r, {PacketType::publish});
  REQUIRE(back.ok());
  CHECK(*back == p);
  CHECK(r.at_end());
}

TEST_CASE("property length larger than the packet is truncated") {
  Bytes b = hex("05 01 01");
  Reader r(b);
  CHECK(decode_properties(r, {PacketType::publish}).error().code == ErrorCode::truncated);
}

TEST_CASE("0/1 flags, non-zero values") {
  struct Case {
    const char* bytes;
    PacketType type;
    ErrorCode expected;
  };
  for (const auto& c : {
           Case{"02 24 02", PacketType::connack, ErrorCode::bad_property_value},
           Case{"02 25 05", PacketType::connack, ErrorCode::bad_property_value},
           Case{"02 17 02", PacketType::connect, ErrorCode::bad_property_value},
           Case{"02 19 02", PacketType::connect, ErrorCode::bad_property_value},
           Case{"02 28 02", PacketType::connack, ErrorCode::bad_property_value},
           Case{"02 29 02", PacketType::connack, ErrorCode::bad_property_value},
           Case{"02 2a 02", PacketType::connack, ErrorCode::bad_property_value},
           Case{"05 27 00 00 00 00", PacketType::connect, ErrorCode::bad_property_value},
           Case{"03 21 00 00", PacketType::connack, ErrorCode::bad_property_value},
           Case{"03 23 00 00", PacketType::publish, ErrorCode::topic_alias_zero},
           Case{"02 80 01", PacketType::publish, ErrorCode::unknown_property},
           Case{"01 00", PacketType::publish, ErrorCode::unknown_property},
           Case{"02 ff 7f", PacketType::publish, ErrorCode::unknown_property},
       }) {
    CAPTURE(c.bytes);
    Bytes b = hex(c.bytes);
    Reader r(b);
    auto res = decode_properties(r, {c.type});
    REQUIRE_FALSE(res.ok());
    CHECK(res.error().code == c.expected);
  }
}
