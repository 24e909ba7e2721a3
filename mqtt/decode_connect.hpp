#pragma once
// Internal to the decoder: CONNECT and CONNACK bodies.

#include "mqtt/decode.hpp"
#include "mqtt/reader.hpp"

namespace actormq::mqtt::detail {

[[nodiscard]] Result<Packet> decode_connect(Reader& in);
[[nodiscard]] Result<Packet> decode_connack(Reader& in, ProtocolVersion version);
/// [MQTT-3.3.2-2]: a topic name is non-empty and has no wildcard characters.
[[nodiscard]] bool plain_topic_name(std::string_view topic) noexcept;

}  // namespace actormq::mqtt::detail
