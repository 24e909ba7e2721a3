#include "mqtt/error.hpp"

#include <array>

namespace actormq::mqtt {

namespace {

struct ErrorInfo {
  std::string_view name;
  ReasonCode reason_code;
  std::string_view reason;
};

// Indexed by ErrorCode; the single error -> reason code table.
constexpr std::array<ErrorInfo, 34> error_table{{
    {"truncated", ReasonCode::malformed_packet, "packet truncated"},
    {"trailing_bytes", ReasonCode::malformed_packet, "unexpected bytes at end of packet"},
    {"bad_remaining_length", ReasonCode::malformed_packet, "malformed remaining length"},
    {"bad_varint", ReasonCode::malformed_packet, "malformed variable byte integer"},
    {"packet_too_large", ReasonCode::packet_too_large, "packet exceeds maximum packet size"},
    {"reserved_packet_type", ReasonCode::malformed_packet, "reserved packet type"},
    {"bad_fixed_header_flags", ReasonCode::malformed_packet, "invalid fixed header flags"},
    {"bad_qos", ReasonCode::malformed_packet, "invalid QoS 3"},
    {"dup_on_qos0", ReasonCode::protocol_error, "DUP flag set on QoS 0 PUBLISH"},
    {"zero_packet_id", ReasonCode::protocol_error, "packet identifier must be non-zero"},
    {"bad_utf8", ReasonCode::malformed_packet, "invalid UTF-8 string"},
    {"bad_protocol_name", ReasonCode::unsupported_protocol_version, "invalid protocol name"},
    {"unsupported_protocol_version", ReasonCode::unsupported_protocol_version,
     "unsupported protocol level"},
    {"connect_reserved_flag", ReasonCode::malformed_packet, "CONNECT reserved flag set"},
    {"bad_will_flags", ReasonCode::malformed_packet, "inconsistent will flags"},
    {"password_without_username", ReasonCode::malformed_packet,
     "password flag set without user name flag"},
    {"bad_connack_flags", ReasonCode::malformed_packet, "invalid CONNACK flags"},
    {"bad_connack_code", ReasonCode::malformed_packet, "invalid CONNACK return code"},
    {"empty_subscribe", ReasonCode::protocol_error, "SUBSCRIBE without topic filters"},
    {"empty_unsubscribe", ReasonCode::protocol_error, "UNSUBSCRIBE without topic filters"},
    {"bad_subscription_options", ReasonCode::malformed_packet,
     "reserved subscription option bits set"},
    {"bad_retain_handling", ReasonCode::protocol_error, "invalid retain handling 3"},
    {"bad_reason_code", ReasonCode::protocol_error, "reason code not allowed in this packet"},
    {"unknown_property", ReasonCode::malformed_packet, "unknown property identifier"},
    {"property_not_allowed", ReasonCode::malformed_packet, "property not allowed in this packet"},
    {"duplicate_property", ReasonCode::protocol_error, "property included more than once"},
    {"bad_property_value", ReasonCode::protocol_error, "invalid property value"},
    {"topic_alias_zero", ReasonCode::topic_alias_invalid, "topic alias 0 is not permitted"},
    {"invalid_topic_name", ReasonCode::topic_name_invalid, "invalid topic name"},
    {"connect_expected", ReasonCode::protocol_error, "first packet must be CONNECT"},
    {"invalid_topic_filter", ReasonCode::protocol_error, "invalid topic filter"},
    {"auth_data_without_method", ReasonCode::protocol_error,
     "authentication data without authentication method"},
    {"string_too_long", ReasonCode::malformed_packet, "string longer than 65535 bytes"},
    {"invalid_packet", ReasonCode::malformed_packet, "packet field out of range"},
}};

static_assert(error_table.size() == static_cast<std::size_t>(ErrorCode::invalid_packet) + 1);

const ErrorInfo& info(ErrorCode code) noexcept {
  return error_table[static_cast<std::size_t>(code)];
}

}  // namespace

Error make_error(ErrorCode code) noexcept { return Error{code, info(code).reason}; }

std::string_view default_reason(ErrorCode code) noexcept { return info(code).reason; }

std::string_view to_string(ErrorCode code) noexcept { return info(code).name; }

ReasonCode to_reason_code(ErrorCode code) noexcept { return info(code).reason_code; }

ConnackCodeV3 to_connack_v3(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_protocol_name:
    case ErrorCode::unsupported_protocol_version:
      return ConnackCodeV3::unacceptable_protocol_version;
    default:
      return ConnackCodeV3::server_unavailable;
  }
}

}  // namespace actormq::mqtt
