#include "mqtt/constants.hpp"

#include <doctest/doctest.h>

#include "mqtt/error.hpp"

using namespace actormq::mqtt;

TEST_CASE("packet type names") {
  CHECK(to_string(PacketType::connect) == "CONNECT");
  CHECK(to_string(PacketType::unsubscribe) == "UNSUBSCRIBE");
  CHECK(to_string(PacketType::auth) == "AUTH");
  CHECK(to_string(static_cast<PacketType>(0)) == "UNKNOWN");
  CHECK(to_string(static_cast<PacketType>(200)) == "UNKNOWN");
}

TEST_CASE("reason code names and validity") {
  CHECK(to_string(ReasonCode::success) == "Success");
  CHECK(to_string(ReasonCode::malformed_packet) == "Malformed Packet");
  CHECK(to_string(ReasonCode::wildcard_subscriptions_not_supported) ==
        "Wildcard Subscriptions not supported");
  CHECK(to_string(static_cast<ReasonCode>(0x03)) == "Unknown");
  int count = 0;
  for (int v = 0; v < 256; ++v) {
    count += is_reason_code(static_cast<std::uint8_t>(v)) ? 1 : 0;
  }
  CHECK(count == 43);
}

TEST_CASE("reason codes allowed per packet (MQTT 5.0 2.4)") {
  CHECK(reason_code_allowed(PacketType::puback, ReasonCode::no_matching_subscribers));
  CHECK_FALSE(reason_code_allowed(PacketType::pubrel, ReasonCode::no_matching_subscribers));
  CHECK(reason_code_allowed(PacketType::pubrel, ReasonCode::packet_identifier_not_found));
  CHECK(reason_code_allowed(PacketType::suback, ReasonCode::granted_qos_2));
  CHECK_FALSE(reason_code_allowed(PacketType::unsuback, ReasonCode::granted_qos_1));
  CHECK(reason_code_allowed(PacketType::disconnect, ReasonCode::session_taken_over));
  CHECK_FALSE(reason_code_allowed(PacketType::connack, ReasonCode::session_taken_over));
  CHECK(reason_code_allowed(PacketType::auth, ReasonCode::re_authenticate));
  CHECK_FALSE(reason_code_allowed(PacketType::publish, ReasonCode::success));
}

TEST_CASE("property names") {
  CHECK(to_string(PropertyId::topic_alias) == "Topic Alias");
  CHECK(to_string(PropertyId::user_property) == "User Property");
  CHECK(to_string(static_cast<PropertyId>(0x04)) == "Unknown");
}

TEST_CASE("connack code mapping between 3.1.1 and 5.0") {
  for (int c = 0; c <= 5; ++c) {
    auto v3 = static_cast<ConnackCodeV3>(c);
    CHECK(to_connack_v3(from_connack_v3(v3)) == v3);
  }
  CHECK(to_connack_v3(ReasonCode::banned) == ConnackCodeV3::not_authorized);
  CHECK(to_connack_v3(ReasonCode::server_busy) == ConnackCodeV3::server_unavailable);
  CHECK(to_string(ConnackCodeV3::unacceptable_protocol_version) ==
        "Connection Refused, unacceptable protocol version");
}

TEST_CASE("errors map to reason codes in one table") {
  CHECK(to_reason_code(ErrorCode::truncated) == ReasonCode::malformed_packet);
  CHECK(to_reason_code(ErrorCode::zero_packet_id) == ReasonCode::protocol_error);
  CHECK(to_reason_code(ErrorCode::packet_too_large) == ReasonCode::packet_too_large);
  CHECK(to_reason_code(ErrorCode::unsupported_protocol_version) ==
        ReasonCode::unsupported_protocol_version);
  CHECK(to_reason_code(ErrorCode::bad_protocol_name) == ReasonCode::unsupported_protocol_version);
  CHECK(to_reason_code(ErrorCode::topic_alias_zero) == ReasonCode::topic_alias_invalid);
  CHECK(to_connack_v3(ErrorCode::unsupported_protocol_version) ==
        ConnackCodeV3::unacceptable_protocol_version);
  CHECK(to_string(ErrorCode::bad_remaining_length) == "bad_remaining_length");
  CHECK_FALSE(default_reason(ErrorCode::bad_utf8).empty());
  CHECK(make_error(ErrorCode::bad_qos).reason == default_reason(ErrorCode::bad_qos));
}
