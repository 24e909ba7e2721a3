#include "mqtt/properties.hpp"

#include "mqtt/decode_connect.hpp"

#include <array>
#include <string_view>

namespace actormq::mqtt {

namespace {

constexpr std::uint16_t bit(PacketType t) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(t)); }
constexpr std::uint16_t will_bit = 1;
constexpr std::uint16_t publish_or_will = bit(PacketType::publish) | will_bit;
constexpr std::uint16_t every_packet =
    bit(PacketType::connect) | bit(PacketType::connack) | bit(PacketType::publish) | will_bit |
    bit(PacketType::puback) | bit(PacketType::pubrec) | bit(PacketType::pubrel) |
    bit(PacketType::pubcomp) | bit(PacketType::subscribe) | bit(PacketType::suback) |
    bit(PacketType::unsubscribe) | bit(PacketType::unsuback) | bit(PacketType::disconnect) |
    bit(PacketType::auth);
constexpr std::uint16_t acks = bit(PacketType::connack) | bit(PacketType::puback) |
                               bit(PacketType::pubrec) | bit(PacketType::pubrel) |
                               bit(PacketType::pubcomp) | bit(PacketType::suback) |
                               bit(PacketType::unsuback) | bit(PacketType::disconnect) |
                               bit(PacketType::auth);

using PT = PropertyType;
using PI = PropertyId;

// MQTT 5.0 §2.2.2.2: identifier, type, packets it may appear in.
constexpr std::array<PropertyInfo, 27> property_table{{
    {PI::payload_format_indicator, PT::byte, publish_or_will, false},
    {PI::message_expiry_interval, PT::four_byte, publish_or_will, false},
    {PI::content_type, PT::utf8, publish_or_will, false},
    {PI::response_topic, PT::utf8, publish_or_will, false},
    {PI::correlation_data, PT::binary, publish_or_will, false},
    {PI::subscription_identifier, PT::varint,
     bit(PacketType::publish) | bit(PacketType::subscribe), true},
    {PI::session_expiry_interval, PT::four_byte,
     bit(PacketType::connect) | bit(PacketType::connack) | bit(PacketType::disconnect), false},
    {PI::assigned_client_identifier, PT::utf8, bit(PacketType::connack), false},
    {PI::server_keep_alive, PT::two_byte, bit(PacketType::connack), false},
    {PI::authentication_method, PT::utf8,
     bit(PacketType::connect) | bit(PacketType::connack) | bit(PacketType::auth), false},
    {PI::authentication_data, PT::binary,
     bit(PacketType::connect) | bit(PacketType::connack) | bit(PacketType::auth), false},
    {PI::request_problem_information, PT::byte, bit(PacketType::connect), false},
    {PI::will_delay_interval, PT::four_byte, will_bit, false},
    {PI::request_response_information, PT::byte, bit(PacketType::connect), false},
    {PI::response_information, PT::utf8, bit(PacketType::connack), false},
    {PI::server_reference, PT::utf8, bit(PacketType::connack) | bit(PacketType::disconnect),
     false},
    {PI::reason_string, PT::utf8, acks, false},
    {PI::receive_maximum, PT::two_byte, bit(PacketType::connect) | bit(PacketType::connack),
     false},
    {PI::topic_alias_maximum, PT::two_byte,
     bit(PacketType::connect) | bit(PacketType::connack), false},
    {PI::topic_alias, PT::two_byte, bit(PacketType::publish), false},
    {PI::maximum_qos, PT::byte, bit(PacketType::connack), false},
    {PI::retain_available, PT::byte, bit(PacketType::connack), false},
    {PI::user_property, PT::utf8_pair, every_packet, true},
    {PI::maximum_packet_size, PT::four_byte, bit(PacketType::connect) | bit(PacketType::connack),
     false},
    {PI::wildcard_subscription_available, PT::byte, bit(PacketType::connack), false},
    {PI::subscription_identifier_available, PT::byte, bit(PacketType::connack), false},
    {PI::shared_subscription_available, PT::byte, bit(PacketType::connack), false},
}};

// Direct index by identifier (all identifiers are below 0x2B).
constexpr std::array<std::int8_t, 0x2B> make_index() {
  std::array<std::int8_t, 0x2B> index{};
  for (auto& i : index) {
    i = -1;
  }
  for (std::size_t i = 0; i < property_table.size(); ++i) {
    index[static_cast<std::size_t>(property_table[i].id)] = static_cast<std::int8_t>(i);
  }
  return index;
}
constexpr auto property_index = make_index();

std::uint16_t context_bit(PropertyContext ctx) noexcept {
  return ctx.will ? will_bit : bit(ctx.type);
}

Result<std::uint8_t> read_flag(Reader& r) noexcept {
  MQTT_TRY(std::uint8_t v, r.u8());
  if (v > 1) {
    return ErrorCode::bad_property_value;
  }
  return v;
}

Result<std::uint16_t> read_non_zero_u16(Reader& r) noexcept {
  MQTT_TRY(std::uint16_t v, r.u16());
  if (v == 0) {
    return ErrorCode::bad_property_value;
  }
  return v;
}


Status read_value(Reader& r, PropertyId id, Properties& p) {
  switch (id) {
    case PI::payload_format_indicator: {
      MQTT_TRY(p.payload_format_indicator, read_flag(r));
      break;
    }
    case PI::message_expiry_interval: {
      MQTT_TRY(p.message_expiry_interval, r.u32());
      break;
    }
    case PI::content_type: {
      MQTT_TRY(p.content_type, r.utf8());
      break;
    }
    case PI::response_topic: {
      MQTT_TRY(std::string topic, r.utf8());
      // [MQTT-3.3.2-14] the Response Topic is a topic name: no wildcards.
      if (!detail::plain_topic_name(topic)) {
        return Error{ErrorCode::bad_property_value, "invalid response topic"};
      }
      p.response_topic = std::move(topic);
      break;
    }
    case PI::correlation_data: {
      MQTT_TRY(p.correlation_data, r.binary());
      break;
    }
    case PI::subscription_identifier: {
      MQTT_TRY(std::uint32_t v, r.varint());
      if (v == 0) {
        return Error{ErrorCode::bad_property_value, "subscription identifier 0"};
      }
      p.subscription_identifiers.push_back(v);
      break;
    }
    case PI::session_expiry_interval: {
      MQTT_TRY(p.session_expiry_interval, r.u32());
      break;
    }
    case PI::assigned_client_identifier: {
      MQTT_TRY(p.assigned_client_identifier, r.utf8());
      break;
    }
    case PI::server_keep_alive: {
      MQTT_TRY(p.server_keep_alive, r.u16());
      break;
    }
    case PI::authentication_method: {
      MQTT_TRY(p.authentication_method, r.utf8());
      break;
    }
    case PI::authentication_data: {
      MQTT_TRY(p.authentication_data, r.binary());
      break;
    }
    case PI::request_problem_information: {
      MQTT_TRY(p.request_problem_information, read_flag(r));
      break;
    }
    case PI::will_delay_interval: {
      MQTT_TRY(p.will_delay_interval, r.u32());
      break;
    }
    case PI::request_response_information: {
      MQTT_TRY(p.request_response_information, read_flag(r));
      break;
    }
    case PI::response_information: {
      MQTT_TRY(p.response_information, r.utf8());
      break;
    }
    case PI::server_reference: {
      MQTT_TRY(p.server_reference, r.utf8());
      break;
    }
    case PI::reason_string: {
      MQTT_TRY(p.reason_string, r.utf8());
      break;
    }
    case PI::receive_maximum: {
      MQTT_TRY(p.receive_maximum, read_non_zero_u16(r));
      break;
    }
    case PI::topic_alias_maximum: {
      MQTT_TRY(p.topic_alias_maximum, r.u16());
      break;
    }
    case PI::topic_alias: {
      MQTT_TRY(std::uint16_t alias, r.u16());
      if (alias == 0) {
        return ErrorCode::topic_alias_zero;
      }
      p.topic_alias = alias;
      break;
    }
    case PI::maximum_qos: {
      MQTT_TRY(p.maximum_qos, read_flag(r));
      break;
    }
    case PI::retain_available: {
      MQTT_TRY(p.retain_available, read_flag(r));
      break;
    }
    case PI::user_property: {
      MQTT_TRY(std::string key, r.utf8());
      MQTT_TRY(std::string value, r.utf8());
      p.user_properties.push_back({std::move(key), std::move(value)});
      break;
    }
    case PI::maximum_packet_size: {
      MQTT_TRY(std::uint32_t v, r.u32());
      if (v == 0) {
        return Error{ErrorCode::bad_property_value, "maximum packet size 0"};
      }
      p.maximum_packet_size = v;
      break;
    }
    case PI::wildcard_subscription_available: {
      MQTT_TRY(p.wildcard_subscription_available, read_flag(r));
      break;
    }
    case PI::subscription_identifier_available: {
      MQTT_TRY(p.subscription_identifier_available, read_flag(r));
      break;
    }
    case PI::shared_subscription_available: {
      MQTT_TRY(p.shared_subscription_available, read_flag(r));
      break;
    }
  }
  return Ok{};
}

// Value wrappers so one visitor serves both size computation and writing.
struct Varint {
  std::uint32_t v;
};
struct Text {
  std::string_view s;
};

// Calls f(id, value) for every present property in ascending identifier order.
template <class F>
void visit(const Properties& p, F&& f) {
  auto opt = [&](PropertyId id, const auto& o) {
    if (o) {
      f(id, *o);
    }
  };
  auto opt_text = [&](PropertyId id, const std::optional<std::string>& o) {
    if (o) {
      f(id, Text{*o});
    }
  };
  opt(PI::payload_format_indicator, p.payload_format_indicator);
  opt(PI::message_expiry_interval, p.message_expiry_interval);
  opt_text(PI::content_type, p.content_type);
  opt_text(PI::response_topic, p.response_topic);
  opt_text(PI::correlation_data, p.correlation_data);
  for (std::uint32_t id : p.subscription_identifiers) {
    f(PI::subscription_identifier, Varint{id});
  }
  opt(PI::session_expiry_interval, p.session_expiry_interval);
  opt_text(PI::assigned_client_identifier, p.assigned_client_identifier);
  opt(PI::server_keep_alive, p.server_keep_alive);
  opt_text(PI::authentication_method, p.authentication_method);
  opt_text(PI::authentication_data, p.authentication_data);
  opt(PI::request_problem_information, p.request_problem_information);
  opt(PI::will_delay_interval, p.will_delay_interval);
  opt(PI::request_response_information, p.request_response_information);
  opt_text(PI::response_information, p.response_information);
  opt_text(PI::server_reference, p.server_reference);
  opt_text(PI::reason_string, p.reason_string);
  opt(PI::receive_maximum, p.receive_maximum);
  opt(PI::topic_alias_maximum, p.topic_alias_maximum);
  opt(PI::topic_alias, p.topic_alias);
  opt(PI::maximum_qos, p.maximum_qos);
  opt(PI::retain_available, p.retain_available);
  for (const auto& up : p.user_properties) {
    f(PI::user_property, up);
  }
  opt(PI::maximum_packet_size, p.maximum_packet_size);
  opt(PI::wildcard_subscription_available, p.wildcard_subscription_available);
  opt(PI::subscription_identifier_available, p.subscription_identifier_available);
  opt(PI::shared_subscription_available, p.shared_subscription_available);
}

}  // namespace

const PropertyInfo* find_property(std::uint8_t id) noexcept {
  if (id >= property_index.size() || property_index[id] < 0) {
    return nullptr;
  }
  return &property_table[static_cast<std::size_t>(property_index[id])];
}

bool property_allowed(PropertyId id, PropertyContext ctx) noexcept {
  const PropertyInfo* info = find_property(static_cast<std::uint8_t>(id));
  return info != nullptr && (info->allowed & context_bit(ctx)) != 0;
}

bool Properties::empty() const noexcept {
  bool any = false;
  visit(*this, [&](PropertyId, const auto&) { any = true; });
  return !any;
}

Result<Properties> decode_properties(Reader& in, PropertyContext ctx) {
  Properties props;
  MQTT_CHECK(decode_properties_into(in, ctx, props));
  return props;
}

Status decode_properties_into(Reader& in, PropertyContext ctx, Properties& props) {
  MQTT_TRY(std::uint32_t length, in.varint());
  if (length == 0) {
    return Ok{};
  }
  MQTT_TRY(auto body, in.bytes(length));
  Reader r(body);
  std::uint64_t seen = 0;
  const std::uint16_t where = context_bit(ctx);
  while (!r.at_end()) {
    // §2.2.2.2: the identifier is a Variable Byte Integer, although every
    // defined identifier fits in one byte.
    MQTT_TRY(std::uint32_t id, r.varint());
    const PropertyInfo* info = id < 0x80 ? find_property(static_cast<std::uint8_t>(id)) : nullptr;
    if (info == nullptr) {
      return ErrorCode::unknown_property;
    }
    if ((info->allowed & where) == 0) {
      return ErrorCode::property_not_allowed;
    }
    // Subscription Identifier repeats only in PUBLISH (§3.8.2.1.2).
    const bool repeatable = info->repeatable && (info->id != PI::subscription_identifier ||
                                                 ctx.type == PacketType::publish);
    const std::uint64_t mask = std::uint64_t{1} << id;
    if ((seen & mask) != 0 && !repeatable) {
      return ErrorCode::duplicate_property;
    }
    seen |= mask;
    MQTT_CHECK(read_value(r, info->id, props));
  }
  return Ok{};
}

Result<std::size_t> properties_body_size(const Properties& props) noexcept {
  std::size_t size = 0;
  bool too_long = false;
  auto text = [&](std::string_view s) {
    too_long |= s.size() > max_string_size;
    return 2 + s.size();
  };
  visit(props, [&](PropertyId, const auto& v) {
    using V = std::decay_t<decltype(v)>;
    size += 1;
    if constexpr (std::is_same_v<V, Varint>) {
      size += varint_size(v.v);
    } else if constexpr (std::is_same_v<V, Text>) {
      size += text(v.s);
    } else if constexpr (std::is_same_v<V, UserProperty>) {
      size += text(v.key) + text(v.value);
    } else {
      size += sizeof(V);
    }
  });
  if (too_long) {
    return ErrorCode::string_too_long;
  }
  if (size > max_varint) {
    return ErrorCode::invalid_packet;
  }
  return size;
}

void write_properties(Writer& out, const Properties& props, std::size_t body_size) noexcept {
  out.varint(static_cast<std::uint32_t>(body_size));
  visit(props, [&](PropertyId id, const auto& v) {
    using V = std::decay_t<decltype(v)>;
    out.u8(static_cast<std::uint8_t>(id));
    if constexpr (std::is_same_v<V, Varint>) {
      out.varint(v.v);
    } else if constexpr (std::is_same_v<V, Text>) {
      out.prefixed(v.s);
    } else if constexpr (std::is_same_v<V, UserProperty>) {
      out.prefixed(v.key);
      out.prefixed(v.value);
    } else if constexpr (std::is_same_v<V, std::uint8_t>) {
      out.u8(v);
    } else if constexpr (std::is_same_v<V, std::uint16_t>) {
      out.u16(v);
    } else {
      out.u32(v);
    }
  });
}

std::string publish_properties_bytes(const Properties& props) {
  auto body = properties_body_size(props);
  std::string out(body ? properties_wire_size(*body) : 1, '\0');
  if (body) {
    Writer w(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out.data()), out.size()));
    write_properties(w, props, *body);
  }
  return out;
}

std::optional<Properties> publish_properties_from(std::string_view bytes) {
  Reader r(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  auto decoded = decode_properties(r, PropertyContext{PacketType::publish});
  if (!decoded || !r.at_end()) {
    return std::nullopt;
  }
  return std::move(decoded.value());
}

}  // namespace actormq::mqtt
