#pragma once
// The fifteen MQTT control packets as plain value types, shared by 3.1, 3.1.1
// and 5.0. Fields that a version lacks (properties, reason codes before 5.0)
// are ignored by the encoder for that version and default-initialised by the
// decoder.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "mqtt/bytes.hpp"
#include "mqtt/constants.hpp"
#include "mqtt/properties.hpp"

namespace actormq::mqtt {

/// Will message carried by CONNECT (§3.1.3.2/3.1.3.3).
struct Will {
  std::string topic;
  SharedBytes payload;   ///< shared so it can be published without a copy
  QoS qos = QoS::at_most_once;
  bool retain = false;
  Properties properties;  ///< will properties (5.0)
  friend bool operator==(const Will&, const Will&) = default;
};

/// CONNECT (§3.1).
struct Connect {
  ProtocolVersion version = ProtocolVersion::v5;
  bool bridge = false;           ///< bit 7 of the protocol level (mosquitto bridges)
  bool clean_start = true;       ///< "Clean Session" before 5.0
  std::uint16_t keep_alive = 0;  ///< seconds
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  ///< Binary Data
  Properties properties;
  friend bool operator==(const Connect&, const Connect&) = default;
};

/// CONNACK (§3.2). The reason code is always a v5 code; for 3.1/3.1.1 it is
/// converted from and to the return codes 0..5 (see to_connack_v3()).
struct Connack {
  bool session_present = false;
  ReasonCode reason_code = ReasonCode::success;
  Properties properties;
  friend bool operator==(const Connack&, const Connack&) = default;
};

/// PUBLISH (§3.3). The payload is shared, never copied on fan-out.
struct Publish {
  std::string topic;  ///< may be empty in 5.0 when properties.topic_alias is set
  SharedBytes payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  ///< non-zero iff qos > 0
  Properties properties;
  friend bool operator==(const Publish&, const Publish&) = default;
};

/// Fields common to PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4-3.7).
struct PublishAck {
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::success;  ///< 5.0 only
  Properties properties;                         ///< 5.0 only
  friend bool operator==(const PublishAck&, const PublishAck&) = default;
};
struct Puback : PublishAck {};
struct Pubrec : PublishAck {};
struct Pubrel : PublishAck {};
struct Pubcomp : PublishAck {};

/// Subscription options byte (§3.8.3.1); before 5.0 only max_qos exists.
struct SubscriptionOptions {
  QoS max_qos = QoS::at_most_once;
  bool no_local = false;
  bool retain_as_published = false;
  RetainHandling retain_handling = RetainHandling::send_on_subscribe;
  friend bool operator==(const SubscriptionOptions&, const SubscriptionOptions&) = default;
};

/// One topic filter of a SUBSCRIBE. The decoder checks UTF-8 but not filter
/// syntax: an invalid filter is answered per filter in SUBACK (0x8F), so the
/// broker validates it with topic.hpp.
struct Subscription {
  std::string filter;
  SubscriptionOptions options;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

/// SUBSCRIBE (§3.8).
struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<Subscription> subscriptions;  ///< at least one
  Properties properties;
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

/// SUBACK (§3.9). Codes 0x00..0x02 are the granted QoS in every version;
/// before 5.0 any failure is encoded as 0x80.
struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reason_codes;
  Properties properties;
  friend bool operator==(const Suback&, const Suback&) = default;
};

/// UNSUBSCRIBE (§3.10).
struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;  ///< at least one
  Properties properties;
  friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

/// UNSUBACK (§3.11). Reason codes exist only in 5.0.
struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reason_codes;
  Properties properties;
  friend bool operator==(const Unsuback&, const Unsuback&) = default;
};

/// PINGREQ (§3.12).
struct Pingreq {
  friend bool operator==(const Pingreq&, const Pingreq&) = default;
};
/// PINGRESP (§3.13).
struct Pingresp {
  friend bool operator==(const Pingresp&, const Pingresp&) = default;
};

/// DISCONNECT (§3.14). Reason code and properties are 5.0 only.
struct Disconnect {
  ReasonCode reason_code = ReasonCode::normal_disconnection;
  Properties properties;
  friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

/// AUTH (§3.15), 5.0 only.
struct Auth {
  ReasonCode reason_code = ReasonCode::success;
  Properties properties;
  friend bool operator==(const Auth&, const Auth&) = default;
};

/// Any control packet. The alternative index is the packet type minus one.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

/// The packet type of the alternative held by `packet`.
[[nodiscard]] inline PacketType packet_type(const Packet& packet) noexcept {
  return static_cast<PacketType>(packet.index() + 1);
}

}  // namespace actormq::mqtt
