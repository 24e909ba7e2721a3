#include "mqtt/decode.hpp"

#include "mqtt/decode_connect.hpp"
#include "mqtt/topic.hpp"

namespace actormq::mqtt {

namespace {

using detail::plain_topic_name;

Result<std::uint16_t> read_packet_id(Reader& in) noexcept {
  MQTT_TRY(std::uint16_t id, in.u16());
  // [MQTT-2.2.1-3]
  if (id == 0) {
    return ErrorCode::zero_packet_id;
  }
  return id;
}

// §2.1.3: PUBLISH flags carry DUP/QoS/RETAIN; PUBREL, SUBSCRIBE and UNSUBSCRIBE
// must be 0b0010; every other packet 0b0000. MQTT 3.1 clients set QoS 1 and
// sometimes DUP on these three, so 3.1 is not checked for them (as mosquitto).
Status check_fixed_flags(const FixedHeader& h, ProtocolVersion version) noexcept {
  switch (h.type) {
    case PacketType::publish:
      if (((h.flags >> 1) & 0x03) == 3) {
        return ErrorCode::bad_qos;
      }
      return Ok{};
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
      if (h.flags != 0x02 && version != ProtocolVersion::v3_1) {
        return ErrorCode::bad_fixed_header_flags;
      }
      return Ok{};
    case PacketType::auth:
      if (!is_v5(version)) {
        return ErrorCode::reserved_packet_type;
      }
      break;
    default:
      break;
  }
  if (h.flags != 0) {
    return ErrorCode::bad_fixed_header_flags;
  }
  return Ok{};
}

Result<Packet> decode_publish(Reader& in, std::uint8_t flags, ProtocolVersion version) {
  // Built in place: a PUBLISH is decoded for every message, so no temporaries.
  Result<Packet> out{Packet{std::in_place_type<Publish>}};
  Publish& p = std::get<Publish>(out.value());
  p.dup = (flags & 0x08) != 0;
  p.qos = static_cast<QoS>((flags >> 1) & 0x03);
  p.retain = (flags & 0x01) != 0;
  // [MQTT-3.3.1-2]
  if (p.dup && p.qos == QoS::at_most_once) {
    return ErrorCode::dup_on_qos0;
  }
  MQTT_TRY(std::string_view topic, in.utf8_view());
  if (p.qos != QoS::at_most_once) {
    MQTT_TRY(p.packet_id, read_packet_id(in));
  }
  if (is_v5(version)) {
    MQTT_CHECK(decode_properties_into(in, {PacketType::publish}, p.properties));
  }
  // §3.3.2.1: an empty topic is allowed only with a Topic Alias (5.0).
  const bool aliased_empty = topic.empty() && p.properties.topic_alias.has_value();
  if (!aliased_empty && !plain_topic_name(topic)) {
    return ErrorCode::invalid_topic_name;
  }
  p.topic.assign(topic);
  p.payload = SharedBytes::copy_of(in.rest());
  return out;
}

// PUBACK, PUBREC, PUBREL, PUBCOMP: §3.4.2.1 — in 5.0 the reason code and the
// properties may be omitted when the remaining length is 2 or 3.
template <class Ack>
Result<Packet> decode_ack(Reader& in, PacketType type, ProtocolVersion version) {
  Ack ack;
  MQTT_TRY(ack.packet_id, read_packet_id(in));
  if (is_v5(version) && !in.at_end()) {
    MQTT_TRY(std::uint8_t code, in.u8());
    ack.reason_code = static_cast<ReasonCode>(code);
    if (!reason_code_allowed(type, ack.reason_code)) {
      return ErrorCode::bad_reason_code;
    }
    if (!in.at_end()) {
      MQTT_CHECK(decode_properties_into(in, {type}, ack.properties));
    }
  }
  return Packet{std::move(ack)};
}

Result<SubscriptionOptions> read_options(Reader& in, ProtocolVersion version) noexcept {
  MQTT_TRY(std::uint8_t b, in.u8());
  // §3.8.3.1: bits 6-7 reserved in 5.0; before 5.0 only the QoS bits exist.
  const std::uint8_t reserved = is_v5(version) ? 0xC0 : 0xFC;
  if ((b & reserved) != 0) {
    return ErrorCode::bad_subscription_options;
  }
  SubscriptionOptions o;
  if ((b & 0x03) == 3) {
    return ErrorCode::bad_qos;
  }
  o.max_qos = static_cast<QoS>(b & 0x03);
  o.no_local = (b & 0x04) != 0;
  o.retain_as_published = (b & 0x08) != 0;
  if (((b >> 4) & 0x03) == 3) {
    return ErrorCode::bad_retain_handling;
  }
  o.retain_handling = static_cast<RetainHandling>((b >> 4) & 0x03);
  return o;
}

Result<Packet> decode_subscribe(Reader& in, ProtocolVersion version) {
  Subscribe s;
  MQTT_TRY(s.packet_id, read_packet_id(in));
  if (is_v5(version)) {
    MQTT_CHECK(decode_properties_into(in, {PacketType::subscribe}, s.properties));
  }
  // [MQTT-3.8.3-3]
  if (in.at_end()) {
    return ErrorCode::empty_subscribe;
  }
  while (!in.at_end()) {
    Subscription sub;
    MQTT_TRY(sub.filter, in.utf8());
    MQTT_TRY(sub.options, read_options(in, version));
    s.subscriptions.push_back(std::move(sub));
  }
  return Packet{std::move(s)};
}

Result<std::vector<ReasonCode>> read_codes(Reader& in, PacketType type, ProtocolVersion version) {
  std::vector<ReasonCode> codes;
  codes.reserve(in.remaining());
  while (!in.at_end()) {
    MQTT_TRY(std::uint8_t b, in.u8());
    const auto code = static_cast<ReasonCode>(b);
    // Before 5.0 a SUBACK carries granted QoS 0..2 or 0x80 (failure).
    const bool ok = is_v5(version) ? reason_code_allowed(type, code) : (b <= 2 || b == 0x80);
    if (!ok) {
      return ErrorCode::bad_reason_code;
    }
    codes.push_back(code);
  }
  return codes;
}

Result<Packet> decode_suback(Reader& in, ProtocolVersion version) {
  Suback s;
  MQTT_TRY(s.packet_id, read_packet_id(in));
  if (is_v5(version)) {
    MQTT_CHECK(decode_properties_into(in, {PacketType::suback}, s.properties));
  }
  MQTT_TRY(s.reason_codes, read_codes(in, PacketType::suback, version));
  return Packet{std::move(s)};
}

Result<Packet> decode_unsubscribe(Reader& in, ProtocolVersion version) {
  Unsubscribe u;
  MQTT_TRY(u.packet_id, read_packet_id(in));
  if (is_v5(version)) {
    MQTT_CHECK(decode_properties_into(in, {PacketType::unsubscribe}, u.properties));
  }
  // [MQTT-3.10.3-2]
  if (in.at_end()) {
    return ErrorCode::empty_unsubscribe;
  }
  while (!in.at_end()) {
    MQTT_TRY(std::string filter, in.utf8());
    // A filter must be well formed (4.7.1.2, 4.7.1.3, 4.7.3; $share 4.8.2).
    // SUBSCRIBE refuses a bad one in its SUBACK; UNSUBACK's 0x8F is for a
    // well-formed filter, so here it is a Protocol Error that closes the
    // connection (MQTT 5 4.13.1; 3.1.1 [MQTT-4.8.0-1]).
    if (parse_subscription_filter(filter).kind == FilterKind::invalid) {
      return ErrorCode::invalid_topic_filter;
    }
    u.filters.push_back(std::move(filter));
  }
  return Packet{std::move(u)};
}

Result<Packet> decode_unsuback(Reader& in, ProtocolVersion version) {
  Unsuback u;
  MQTT_TRY(u.packet_id, read_packet_id(in));
  if (is_v5(version)) {
    MQTT_CHECK(decode_properties_into(in, {PacketType::unsuback}, u.properties));
    MQTT_TRY(u.reason_codes, read_codes(in, PacketType::unsuback, version));
  }
  return Packet{std::move(u)};
}

// DISCONNECT and AUTH in 5.0: a remaining length of 0 means reason 0x00 and no
// properties; 1 means no properties (§3.14.2.1, §3.15.2.1).
template <class P>
Result<Packet> decode_reason_only(Reader& in, PacketType type, ProtocolVersion version) {
  P p;
  if (!is_v5(version) || in.at_end()) {
    return Packet{std::move(p)};
  }
  MQTT_TRY(std::uint8_t code, in.u8());
  p.reason_code = static_cast<ReasonCode>(code);
  if (!reason_code_allowed(type, p.reason_code)) {
    return ErrorCode::bad_reason_code;
  }
  if (!in.at_end()) {
    MQTT_CHECK(decode_properties_into(in, {type}, p.properties));
  }
  return Packet{std::move(p)};
}

Result<Packet> decode_body(const FixedHeader& h, Reader& in, ProtocolVersion version) {
  switch (h.type) {
    case PacketType::connect:
      return detail::decode_connect(in);
    case PacketType::connack:
      return detail::decode_connack(in, version);
    case PacketType::publish:
      return decode_publish(in, h.flags, version);
    case PacketType::puback:
      return decode_ack<Puback>(in, h.type, version);
    case PacketType::pubrec:
      return decode_ack<Pubrec>(in, h.type, version);
    case PacketType::pubrel:
      return decode_ack<Pubrel>(in, h.type, version);
    case PacketType::pubcomp:
      return decode_ack<Pubcomp>(in, h.type, version);
    case PacketType::subscribe:
      return decode_subscribe(in, version);
    case PacketType::suback:
      return decode_suback(in, version);
    case PacketType::unsubscribe:
      return decode_unsubscribe(in, version);
    case PacketType::unsuback:
      return decode_unsuback(in, version);
    case PacketType::pingreq:
      return Packet{Pingreq{}};
    case PacketType::pingresp:
      return Packet{Pingresp{}};
    case PacketType::disconnect:
      return decode_reason_only<Disconnect>(in, h.type, version);
    case PacketType::auth:
      return decode_reason_only<Auth>(in, h.type, version);
  }
  return ErrorCode::reserved_packet_type;
}

}  // namespace

Result<Packet> decode_packet(const FixedHeader& header, std::span<const std::uint8_t> body,
                             ProtocolVersion version) {
  if (body.size() != header.remaining_length) {
    return ErrorCode::truncated;
  }
  MQTT_CHECK(check_fixed_flags(header, version));
  Reader in(body);
  Result<Packet> packet = decode_body(header, in, version);
  if (packet.ok() && !in.at_end()) {
    return ErrorCode::trailing_bytes;
  }
  return packet;
}

std::optional<ProtocolVersion> connect_protocol_version(
    std::span<const std::uint8_t> body) noexcept {
  Reader in(body);
  auto name = in.binary_view();
  auto level = in.u8();
  if (!name || !level) {
    return std::nullopt;
  }
  const std::uint8_t l = *level & 0x7F;
  if (!is_known_version(l)) {
    return std::nullopt;
  }
  return static_cast<ProtocolVersion>(l);
}

}  // namespace actormq::mqtt
