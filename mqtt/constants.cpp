#include "mqtt/constants.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>

namespace actormq::mqtt {

namespace {

struct ReasonName {
  std::uint8_t value;
  std::string_view name;
};

// MQTT 5.0 §2.4, in value order.
constexpr std::array<ReasonName, 43> reason_names{{
    {0x00, "Success"},
    {0x01, "Granted QoS 1"},
    {0x02, "Granted QoS 2"},
    {0x04, "Disconnect with Will Message"},
    {0x10, "No matching subscribers"},
    {0x11, "No subscription existed"},
    {0x18, "Continue authentication"},
    {0x19, "Re-authenticate"},
    {0x80, "Unspecified error"},
    {0x81, "Malformed Packet"},
    {0x82, "Protocol Error"},
    {0x83, "Implementation specific error"},
    {0x84, "Unsupported Protocol Version"},
    {0x85, "Client Identifier not valid"},
    {0x86, "Bad User Name or Password"},
    {0x87, "Not authorized"},
    {0x88, "Server unavailable"},
    {0x89, "Server busy"},
    {0x8A, "Banned"},
    {0x8B, "Server shutting down"},
    {0x8C, "Bad authentication method"},
    {0x8D, "Keep Alive timeout"},
    {0x8E, "Session taken over"},
    {0x8F, "Topic Filter invalid"},
    {0x90, "Topic Name invalid"},
    {0x91, "Packet Identifier in use"},
    {0x92, "Packet Identifier not found"},
    {0x93, "Receive Maximum exceeded"},
    {0x94, "Topic Alias invalid"},
    {0x95, "Packet too large"},
    {0x96, "Message rate too high"},
    {0x97, "Quota exceeded"},
    {0x98, "Administrative action"},
    {0x99, "Payload format invalid"},
    {0x9A, "Retain not supported"},
    {0x9B, "QoS not supported"},
    {0x9C, "Use another server"},
    {0x9D, "Server moved"},
    {0x9E, "Shared Subscriptions not supported"},
    {0x9F, "Connection rate exceeded"},
    {0xA0, "Maximum connect time"},
    {0xA1, "Subscription Identifiers not supported"},
    {0xA2, "Wildcard Subscriptions not supported"},
}};

const ReasonName* find_reason(std::uint8_t value) noexcept {
  auto it = std::lower_bound(reason_names.begin(), reason_names.end(), value,
                             [](const ReasonName& r, std::uint8_t v) { return r.value < v; });
  if (it == reason_names.end() || it->value != value) {
    return nullptr;
  }
  return &*it;
}

struct PropertyName {
  std::uint8_t id;
  std::string_view name;
};

constexpr std::array<PropertyName, 27> property_names{{
    {0x01, "Payload Format Indicator"},
    {0x02, "Message Expiry Interval"},
    {0x03, "Content Type"},
    {0x08, "Response Topic"},
    {0x09, "Correlation Data"},
    {0x0B, "Subscription Identifier"},
    {0x11, "Session Expiry Interval"},
    {0x12, "Assigned Client Identifier"},
    {0x13, "Server Keep Alive"},
    {0x15, "Authentication Method"},
    {0x16, "Authentication Data"},
    {0x17, "Request Problem Information"},
    {0x18, "Will Delay Interval"},
    {0x19, "Request Response Information"},
    {0x1A, "Response Information"},
    {0x1C, "Server Reference"},
    {0x1F, "Reason String"},
    {0x21, "Receive Maximum"},
    {0x22, "Topic Alias Maximum"},
    {0x23, "Topic Alias"},
    {0x24, "Maximum QoS"},
    {0x25, "Retain Available"},
    {0x26, "User Property"},
    {0x27, "Maximum Packet Size"},
    {0x28, "Wildcard Subscription Available"},
    {0x29, "Subscription Identifier Available"},
    {0x2A, "Shared Subscription Available"},
}};

bool contains(std::initializer_list<std::uint8_t> set, std::uint8_t v) noexcept {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

std::string_view to_string(PacketType type) noexcept {
  static constexpr std::array<std::string_view, 16> names{
      "UNKNOWN", "CONNECT",     "CONNACK",  "PUBLISH", "PUBACK",  "PUBREC",
      "PUBREL",  "PUBCOMP",     "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK",
      "PINGREQ", "PINGRESP",    "DISCONNECT", "AUTH"};
  auto i = static_cast<std::size_t>(type);
  return i < names.size() ? names[i] : names[0];
}

std::string_view to_string(ProtocolVersion version) noexcept {
  switch (version) {
    case ProtocolVersion::v3_1:
      return "3.1";
    case ProtocolVersion::v3_1_1:
      return "3.1.1";
    case ProtocolVersion::v5:
      return "5.0";
  }
  return "UNKNOWN";
}

std::string_view to_string(ReasonCode code) noexcept {
  const ReasonName* r = find_reason(static_cast<std::uint8_t>(code));
  return r ? r->name : "Unknown";
}

std::string_view to_string(ConnackCodeV3 code) noexcept {
  switch (code) {
    case ConnackCodeV3::accepted:
      return "Connection Accepted";
    case ConnackCodeV3::unacceptable_protocol_version:
      return "Connection Refused, unacceptable protocol version";
    case ConnackCodeV3::identifier_rejected:
      return "Connection Refused, identifier rejected";
    case ConnackCodeV3::server_unavailable:
      return "Connection Refused, Server unavailable";
    case ConnackCodeV3::bad_user_name_or_password:
      return "Connection Refused, bad user name or password";
    case ConnackCodeV3::not_authorized:
      return "Connection Refused, not authorized";
  }
  return "Unknown";
}

std::string_view to_string(PropertyId id) noexcept {
  for (const auto& p : property_names) {
    if (p.id == static_cast<std::uint8_t>(id)) {
      return p.name;
    }
  }
  return "Unknown";
}

bool is_reason_code(std::uint8_t value) noexcept { return find_reason(value) != nullptr; }

bool reason_code_allowed(PacketType type, ReasonCode code) noexcept {
  const auto v = static_cast<std::uint8_t>(code);
  switch (type) {
    case PacketType::connack:
      return contains({0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                       0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F},
                      v);
    case PacketType::puback:
    case PacketType::pubrec:
      return contains({0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}, v);
    case PacketType::pubrel:
    case PacketType::pubcomp:
      return contains({0x00, 0x92}, v);
    case PacketType::suback:
      return contains({0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2},
                      v);
    case PacketType::unsuback:
      return contains({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}, v);
    case PacketType::disconnect:
      return contains({0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E,
                       0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B,
                       0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2},
                      v);
    case PacketType::auth:
      return contains({0x00, 0x18, 0x19}, v);
    default:
      return false;
  }
}

ConnackCodeV3 to_connack_v3(ReasonCode code) noexcept {
  switch (code) {
    case ReasonCode::success:
      return ConnackCodeV3::accepted;
    case ReasonCode::unsupported_protocol_version:
      return ConnackCodeV3::unacceptable_protocol_version;
    case ReasonCode::client_identifier_not_valid:
      return ConnackCodeV3::identifier_rejected;
    case ReasonCode::bad_user_name_or_password:
    case ReasonCode::bad_authentication_method:
      return ConnackCodeV3::bad_user_name_or_password;
    case ReasonCode::not_authorized:
    case ReasonCode::banned:
      return ConnackCodeV3::not_authorized;
    default:
      return ConnackCodeV3::server_unavailable;
  }
}

ReasonCode from_connack_v3(ConnackCodeV3 code) noexcept {
  switch (code) {
    case ConnackCodeV3::accepted:
      return ReasonCode::success;
    case ConnackCodeV3::unacceptable_protocol_version:
      return ReasonCode::unsupported_protocol_version;
    case ConnackCodeV3::identifier_rejected:
      return ReasonCode::client_identifier_not_valid;
    case ConnackCodeV3::server_unavailable:
      return ReasonCode::server_unavailable;
    case ConnackCodeV3::bad_user_name_or_password:
      return ReasonCode::bad_user_name_or_password;
    case ConnackCodeV3::not_authorized:
      return ReasonCode::not_authorized;
  }
  return ReasonCode::server_unavailable;
}

bool is_client_to_server(PacketType type) noexcept {
  switch (type) {
    case PacketType::connack:
    case PacketType::suback:
    case PacketType::unsuback:
    case PacketType::pingresp:
      return false;
    default:
      return true;
  }
}

}  // namespace actormq::mqtt
