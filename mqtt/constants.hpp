#pragma once
// Spec constants of MQTT 3.1 (MQIsdp), 3.1.1 and 5.0: packet types, protocol
// levels, QoS, reason codes and property identifiers, each with its name table.

#include <cstdint>
#include <string_view>

namespace actormq::mqtt {

/// Protocol level carried in CONNECT (MQTT 5.0 §3.1.2.2).
enum class ProtocolVersion : std::uint8_t {
  v3_1 = 3,    ///< MQTT 3.1, protocol name "MQIsdp"
  v3_1_1 = 4,  ///< MQTT 3.1.1, protocol name "MQTT"
  v5 = 5,      ///< MQTT 5.0, protocol name "MQTT"
};

[[nodiscard]] constexpr bool is_v5(ProtocolVersion v) noexcept { return v == ProtocolVersion::v5; }

/// True for protocol levels 3, 4 and 5.
[[nodiscard]] constexpr bool is_known_version(std::uint8_t level) noexcept {
  return level >= 3 && level <= 5;
}

/// Control packet type: the high nibble of the first fixed-header byte.
enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,  ///< MQTT 5.0 only; reserved in 3.1.1
};

/// Delivery guarantee of a PUBLISH or a subscription.
enum class QoS : std::uint8_t {
  at_most_once = 0,
  at_least_once = 1,
  exactly_once = 2,
};

/// Subscription option "Retain Handling" (MQTT 5.0 §3.8.3.1).
enum class RetainHandling : std::uint8_t {
  send_on_subscribe = 0,      ///< send retained messages at subscribe time
  send_if_new = 1,            ///< only if the subscription did not exist
  do_not_send = 2,            ///< never send retained messages for it
};

/// MQTT 5.0 reason codes (§2.4). Several names share a value; the packet
/// decides which meaning applies (0x00 is Success, Normal disconnection and
/// Granted QoS 0).
enum class ReasonCode : std::uint8_t {
  success = 0x00,
  normal_disconnection = 0x00,
  granted_qos_0 = 0x00,
  granted_qos_1 = 0x01,
  granted_qos_2 = 0x02,
  disconnect_with_will_message = 0x04,
  no_matching_subscribers = 0x10,
  no_subscription_existed = 0x11,
  continue_authentication = 0x18,
  re_authenticate = 0x19,
  unspecified_error = 0x80,
  malformed_packet = 0x81,
  protocol_error = 0x82,
  implementation_specific_error = 0x83,
  unsupported_protocol_version = 0x84,
  client_identifier_not_valid = 0x85,
  bad_user_name_or_password = 0x86,
  not_authorized = 0x87,
  server_unavailable = 0x88,
  server_busy = 0x89,
  banned = 0x8A,
  server_shutting_down = 0x8B,
  bad_authentication_method = 0x8C,
  keep_alive_timeout = 0x8D,
  session_taken_over = 0x8E,
  topic_filter_invalid = 0x8F,
  topic_name_invalid = 0x90,
  packet_identifier_in_use = 0x91,
  packet_identifier_not_found = 0x92,
  receive_maximum_exceeded = 0x93,
  topic_alias_invalid = 0x94,
  packet_too_large = 0x95,
  message_rate_too_high = 0x96,
  quota_exceeded = 0x97,
  administrative_action = 0x98,
  payload_format_invalid = 0x99,
  retain_not_supported = 0x9A,
  qos_not_supported = 0x9B,
  use_another_server = 0x9C,
  server_moved = 0x9D,
  shared_subscriptions_not_supported = 0x9E,
  connection_rate_exceeded = 0x9F,
  maximum_connect_time = 0xA0,
  subscription_identifiers_not_supported = 0xA1,
  wildcard_subscriptions_not_supported = 0xA2,
};

/// CONNACK return codes of MQTT 3.1 and 3.1.1 (§3.2.2.3 of 3.1.1).
enum class ConnackCodeV3 : std::uint8_t {
  accepted = 0,
  unacceptable_protocol_version = 1,
  identifier_rejected = 2,
  server_unavailable = 3,
  bad_user_name_or_password = 4,
  not_authorized = 5,
};

/// MQTT 5.0 property identifiers (§2.2.2.2).
enum class PropertyId : std::uint8_t {
  payload_format_indicator = 0x01,
  message_expiry_interval = 0x02,
  content_type = 0x03,
  response_topic = 0x08,
  correlation_data = 0x09,
  subscription_identifier = 0x0B,
  session_expiry_interval = 0x11,
  assigned_client_identifier = 0x12,
  server_keep_alive = 0x13,
  authentication_method = 0x15,
  authentication_data = 0x16,
  request_problem_information = 0x17,
  will_delay_interval = 0x18,
  request_response_information = 0x19,
  response_information = 0x1A,
  server_reference = 0x1C,
  reason_string = 0x1F,
  receive_maximum = 0x21,
  topic_alias_maximum = 0x22,
  topic_alias = 0x23,
  maximum_qos = 0x24,
  retain_available = 0x25,
  user_property = 0x26,
  maximum_packet_size = 0x27,
  wildcard_subscription_available = 0x28,
  subscription_identifier_available = 0x29,
  shared_subscription_available = 0x2A,
};

/// Largest value of a Variable Byte Integer (4 bytes, §1.5.5).
inline constexpr std::uint32_t max_varint = 268'435'455;
/// Largest UTF-8 string or binary field (2-byte length prefix, §1.5.4).
inline constexpr std::size_t max_string_size = 65'535;
/// Largest possible packet: 1 type byte, 4 length bytes, max_varint body.
inline constexpr std::size_t max_packet_size_limit = 1 + 4 + max_varint;

/// "CONNECT", "PUBLISH", ...; "UNKNOWN" outside 1..15.
[[nodiscard]] std::string_view to_string(PacketType type) noexcept;
/// "3.1", "3.1.1", "5.0"; "UNKNOWN" otherwise.
[[nodiscard]] std::string_view to_string(ProtocolVersion version) noexcept;
/// Spec name, e.g. "Success", "Malformed Packet"; "Unknown" if not a reason code.
[[nodiscard]] std::string_view to_string(ReasonCode code) noexcept;
/// Spec name, e.g. "Connection Refused, unacceptable protocol version".
[[nodiscard]] std::string_view to_string(ConnackCodeV3 code) noexcept;
/// Spec name, e.g. "Topic Alias"; "Unknown" if not a property id.
[[nodiscard]] std::string_view to_string(PropertyId id) noexcept;

/// True if `value` is one of the reason codes of §2.4.
[[nodiscard]] bool is_reason_code(std::uint8_t value) noexcept;
/// True if `code` may appear in a packet of `type` (MQTT 5.0 §2.4 table).
[[nodiscard]] bool reason_code_allowed(PacketType type, ReasonCode code) noexcept;

/// The 3.1.1 CONNACK return code that best carries a v5 CONNACK reason code
/// (mosquitto and EMQX use the same mapping).
[[nodiscard]] ConnackCodeV3 to_connack_v3(ReasonCode code) noexcept;
/// The v5 reason code meaning the same as a 3.1.1 CONNACK return code.
[[nodiscard]] ReasonCode from_connack_v3(ConnackCodeV3 code) noexcept;

/// Packet types a client may send to a server (the others are sent by servers,
/// except DISCONNECT and AUTH which go both ways in 5.0).
[[nodiscard]] bool is_client_to_server(PacketType type) noexcept;

}  // namespace actormq::mqtt
