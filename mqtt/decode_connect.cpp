#include "mqtt/decode_connect.hpp"

namespace actormq::mqtt::detail {

namespace {

// Connect flags, §3.1.2.3.
constexpr std::uint8_t flag_reserved = 0x01;
constexpr std::uint8_t flag_clean = 0x02;
constexpr std::uint8_t flag_will = 0x04;
constexpr std::uint8_t flag_will_retain = 0x20;
constexpr std::uint8_t flag_password = 0x40;
constexpr std::uint8_t flag_username = 0x80;
// mosquitto bridges set bit 7 of the protocol level ("try_private").
constexpr std::uint8_t bridge_bit = 0x80;

struct ProtocolHeader {
  ProtocolVersion version;
  bool bridge;
};

Result<ProtocolHeader> read_protocol(Reader& in) noexcept {
  MQTT_TRY(auto name_bytes, in.binary_view());
  MQTT_TRY(std::uint8_t level_byte, in.u8());
  std::string_view name(reinterpret_cast<const char*>(name_bytes.data()), name_bytes.size());
  const bool bridge = (level_byte & bridge_bit) != 0;
  const std::uint8_t level = level_byte & 0x7F;
  if (name != "MQTT" && name != "MQIsdp") {
    return ErrorCode::bad_protocol_name;
  }
  // §3.1.2.2 / 3.1 spec: "MQIsdp" goes with level 3, "MQTT" with 4 and 5.
  const bool known = name == "MQIsdp" ? level == 3 : (level == 4 || level == 5);
  if (!known) {
    return ErrorCode::unsupported_protocol_version;
  }
  return ProtocolHeader{static_cast<ProtocolVersion>(level), bridge};
}

Result<Will> read_will(Reader& in, std::uint8_t flags, ProtocolVersion version) {
  Will will;
  will.qos = static_cast<QoS>((flags >> 3) & 0x03);
  will.retain = (flags & flag_will_retain) != 0;
  if (version == ProtocolVersion::v5) {
    MQTT_CHECK(decode_properties_into(in, {PacketType::connect, true}, will.properties));
  }
  MQTT_TRY(will.topic, in.utf8());
  if (!plain_topic_name(will.topic)) {
    return Error{ErrorCode::invalid_topic_name, "invalid will topic"};
  }
  MQTT_TRY(auto payload, in.binary_view());
  will.payload = SharedBytes::copy_of(payload);
  return will;
}

Status check_flags(std::uint8_t flags, ProtocolVersion version) noexcept {
  if ((flags & flag_reserved) != 0) {
    return ErrorCode::connect_reserved_flag;
  }
  const std::uint8_t will_qos = (flags >> 3) & 0x03;
  if (will_qos == 3) {
    return Error{ErrorCode::bad_will_flags, "will QoS 3"};
  }
  // [MQTT-3.1.2-11], [MQTT-3.1.2-13], [MQTT-3.1.2-15]
  if ((flags & flag_will) == 0 && (will_qos != 0 || (flags & flag_will_retain) != 0)) {
    return ErrorCode::bad_will_flags;
  }
  // [MQTT-3.1.2-22]; 5.0 allows a password without a user name.
  if (version != ProtocolVersion::v5 && (flags & flag_password) != 0 &&
      (flags & flag_username) == 0) {
    return ErrorCode::password_without_username;
  }
  return Ok{};
}

}  // namespace

bool plain_topic_name(std::string_view topic) noexcept {
  // Two vectorised memchr scans; find_first_of would call memchr per character.
  return !topic.empty() && topic.find('+') == std::string_view::npos &&
         topic.find('#') == std::string_view::npos;
}

Result<Packet> decode_connect(Reader& in) {
  MQTT_TRY(ProtocolHeader proto, read_protocol(in));
  MQTT_TRY(std::uint8_t flags, in.u8());
  MQTT_CHECK(check_flags(flags, proto.version));
  Connect c;
  c.version = proto.version;
  c.bridge = proto.bridge;
  c.clean_start = (flags & flag_clean) != 0;
  MQTT_TRY(c.keep_alive, in.u16());
  if (c.version == ProtocolVersion::v5) {
    MQTT_CHECK(decode_properties_into(in, {PacketType::connect}, c.properties));
    // MQTT 5 3.1.2.11.10: Authentication Data without a Method is a Protocol Error.
    if (c.properties.authentication_data && !c.properties.authentication_method) {
      return ErrorCode::auth_data_without_method;
    }
  }
  MQTT_TRY(c.client_id, in.utf8());
  if ((flags & flag_will) != 0) {
    MQTT_TRY(c.will, read_will(in, flags, c.version));
  }
  if ((flags & flag_username) != 0) {
    MQTT_TRY(c.username, in.utf8());
  }
  if ((flags & flag_password) != 0) {
    MQTT_TRY(c.password, in.binary());
  }
  return Packet{std::move(c)};
}

Result<Packet> decode_connack(Reader& in, ProtocolVersion version) {
  MQTT_TRY(std::uint8_t ack_flags, in.u8());
  if ((ack_flags & 0xFE) != 0) {
    return ErrorCode::bad_connack_flags;
  }
  MQTT_TRY(std::uint8_t code, in.u8());
  Connack c;
  c.session_present = (ack_flags & 0x01) != 0;
  if (version != ProtocolVersion::v5) {
    if (code > 5) {
      return ErrorCode::bad_connack_code;
    }
    c.reason_code = from_connack_v3(static_cast<ConnackCodeV3>(code));
    return Packet{std::move(c)};
  }
  c.reason_code = static_cast<ReasonCode>(code);
  if (!reason_code_allowed(PacketType::connack, c.reason_code)) {
    return ErrorCode::bad_reason_code;
  }
  MQTT_CHECK(decode_properties_into(in, {PacketType::connack}, c.properties));
  return Packet{std::move(c)};
}

}  // namespace actormq::mqtt::detail
