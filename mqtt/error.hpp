#pragma once
// Typed codec errors and the one place that maps them to reason codes.

#include <cstdint>
#include <string_view>

#include "mqtt/constants.hpp"

namespace actormq::mqtt {

/// Why a packet could not be decoded (or encoded). Each value maps to exactly
/// one MQTT 5.0 reason code through to_reason_code().
enum class ErrorCode : std::uint8_t {
  truncated,                     ///< a field runs past the end of the packet (0x81)
  trailing_bytes,                ///< bytes left after the last field (0x81)
  bad_remaining_length,          ///< remaining length longer than 4 bytes or overlong (0x81)
  bad_varint,                    ///< variable byte integer too long or overlong (0x81)
  packet_too_large,              ///< over the configured maximum packet size (0x95)
  reserved_packet_type,          ///< type 0, or AUTH before MQTT 5.0 (0x81)
  bad_fixed_header_flags,        ///< reserved flag bits of the fixed header (0x81)
  bad_qos,                       ///< QoS 3 (0x81)
  dup_on_qos0,                   ///< DUP set on a QoS 0 PUBLISH (0x82)
  zero_packet_id,                ///< packet identifier 0 where one is required (0x82)
  bad_utf8,                      ///< ill-formed UTF-8, U+0000 or a surrogate (0x81)
  bad_protocol_name,             ///< CONNECT protocol name is not "MQTT"/"MQIsdp" (0x84)
  unsupported_protocol_version,  ///< CONNECT protocol level not 3, 4 or 5 (0x84)
  connect_reserved_flag,         ///< CONNECT flags bit 0 set (0x81)
  bad_will_flags,                ///< will QoS/retain without will flag, or will QoS 3 (0x81)
  password_without_username,     ///< password flag without user name flag before 5.0 (0x81)
  bad_connack_flags,             ///< CONNACK acknowledge flags reserved bits (0x81)
  bad_connack_code,              ///< 3.1.1 CONNACK return code above 5 (0x81)
  empty_subscribe,               ///< SUBSCRIBE without any topic filter (0x82)
  empty_unsubscribe,             ///< UNSUBSCRIBE without any topic filter (0x82)
  bad_subscription_options,      ///< reserved bits of the subscription options (0x81)
  bad_retain_handling,           ///< retain handling 3 (0x82)
  bad_reason_code,               ///< reason code not allowed in this packet (0x82)
  unknown_property,              ///< property identifier not defined by MQTT 5.0 (0x81)
  property_not_allowed,          ///< property not allowed in this packet (0x81)
  duplicate_property,            ///< property that may appear once appears twice (0x82)
  bad_property_value,            ///< property value out of range, e.g. Receive Maximum 0 (0x82)
  topic_alias_zero,              ///< Topic Alias property of 0 (0x94)
  invalid_topic_name,            ///< PUBLISH topic with wildcards, or empty without alias (0x90)
  connect_expected,              ///< a client's first packet is not CONNECT (0x82)
  invalid_topic_filter,          ///< UNSUBSCRIBE filter that is not a valid topic filter (0x82)
  auth_data_without_method,      ///< v5 CONNECT: Authentication Data without Method (0x82)
  string_too_long,               ///< encoder: string or binary longer than 65535 bytes (0x81)
  invalid_packet,                ///< encoder: field out of range, e.g. QoS 3 (0x81)
};

/// A codec error: what went wrong and a short human reason (a static string,
/// sent by the broker as the v5 Reason String).
struct Error {
  ErrorCode code;
  std::string_view reason;

  friend bool operator==(const Error& a, const Error& b) noexcept { return a.code == b.code; }
};

/// An error with the default reason of its code.
[[nodiscard]] Error make_error(ErrorCode code) noexcept;
/// Default short reason, e.g. "malformed remaining length".
[[nodiscard]] std::string_view default_reason(ErrorCode code) noexcept;
/// Identifier-like name, e.g. "bad_remaining_length".
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

/// The MQTT 5.0 reason code to send for this error (CONNACK before the
/// session is up, DISCONNECT after). The only place this mapping lives.
[[nodiscard]] ReasonCode to_reason_code(ErrorCode code) noexcept;
/// The 3.1/3.1.1 CONNACK return code for an error in a CONNECT packet;
/// 0x01 for a bad protocol name or level. Other errors close the connection
/// without CONNACK in 3.1.1 ([MQTT-3.1.4-1]); this returns server_unavailable
/// for them so a caller that wants to answer still can.
[[nodiscard]] ConnackCodeV3 to_connack_v3(ErrorCode code) noexcept;

}  // namespace actormq::mqtt
