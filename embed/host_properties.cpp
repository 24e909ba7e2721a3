#include "embed/host_properties.hpp"

#include <limits>
#include <string_view>

#include "mqtt/topic.hpp"
#include "mqtt/utf8.hpp"

namespace actormq::embed {

namespace {

constexpr std::size_t max_string = std::numeric_limits<std::uint16_t>::max();  // MQTT 1.5.4, 1.5.6

core::Status text(std::string_view name, std::string_view value) {
  if (value.size() > max_string) {
    return core::Failure{"publish: property " + std::string(name) + " is over 65535 bytes"};
  }
  if (!mqtt::is_valid_mqtt_utf8(value)) {
    return core::Failure{"publish: property " + std::string(name) + " is not UTF-8 text (or holds U+0000)"};
  }
  return mqtt::Ok{};
}

}  // namespace

core::Result<mqtt::Properties> publish_properties(const Properties& p) {
  mqtt::Properties out;
  if (p.payload_utf8) {
    out.payload_format_indicator = *p.payload_utf8 ? 1 : 0;
  }
  out.message_expiry_interval = p.message_expiry_interval;
  if (p.content_type) {
    ACTORMQ_CHECK(text("content_type", *p.content_type));
    out.content_type = p.content_type;
  }
  if (p.response_topic) {
    ACTORMQ_CHECK(text("response_topic", *p.response_topic));
    if (!mqtt::is_valid_topic_name(*p.response_topic)) {
      return core::Failure{"publish: property response_topic \"" + *p.response_topic + "\" is not a topic name"};
    }
    out.response_topic = p.response_topic;
  }
  if (p.correlation_data) {
    if (p.correlation_data->size() > max_string) {
      return core::Failure{"publish: property correlation_data is over 65535 bytes"};
    }
    out.correlation_data = p.correlation_data;
  }
  for (const auto& [key, value] : p.user_properties) {
    ACTORMQ_CHECK(text("user_properties (a key)", key));
    ACTORMQ_CHECK(text("user_properties (a value)", value));
    out.user_properties.push_back(mqtt::UserProperty{key, value});
  }
  return out;
}

Properties host_properties(const core::AppMessage& msg, std::uint64_t now_ms) {
  const mqtt::Properties& in = msg.properties();
  Properties p;
  if (in.payload_format_indicator) {
    p.payload_utf8 = *in.payload_format_indicator == 1;
  }
  if (in.message_expiry_interval) {
    std::uint64_t elapsed_s = msg.received_ms != 0 && now_ms > msg.received_ms ? (now_ms - msg.received_ms) / 1000 : 0;
    std::uint32_t left = *in.message_expiry_interval;
    p.message_expiry_interval = left > elapsed_s ? left - static_cast<std::uint32_t>(elapsed_s) : 1;
  }
  p.content_type = in.content_type;
  p.response_topic = in.response_topic;
  p.correlation_data = in.correlation_data;
  for (const mqtt::UserProperty& u : in.user_properties) {
    p.user_properties.emplace_back(u.key, u.value);
  }
  return p;
}

}  // namespace actormq::embed
