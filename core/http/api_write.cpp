#include "core/http/api_write.hpp"

#include <set>

#include "core/auth/crypto.hpp"
#include "core/clock.hpp"
#include "mqtt/topic.hpp"

namespace actormq::core {

namespace {

// A field that must be a string if present.
Result<std::optional<std::string>> optional_string(const Json& j, const std::string& name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    return std::optional<std::string>{};
  }
  if (!it->is_string()) {
    return Failure{name + ": must be a string"};
  }
  return std::optional<std::string>{it->get<std::string>()};
}

// An unsigned integer field within 0..max, if present.
Result<std::optional<std::uint32_t>> optional_uint(const Json& j, const std::string& name, std::uint32_t max) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    return std::optional<std::uint32_t>{};
  }
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > max) {
    return Failure{name + ": must be an integer 0.." + std::to_string(max)};
  }
  return std::optional<std::uint32_t>{static_cast<std::uint32_t>(it->get<std::int64_t>())};
}

// The v5 PUBLISH properties of EMQX's API: payload_format_indicator,
// message_expiry_interval, content_type, response_topic, correlation_data,
// user_properties (an object of strings).
Result<mqtt::Properties> properties_of(const Json& j) {
  mqtt::Properties p;
  if (!j.is_object()) {
    return Failure{"properties: must be an object"};
  }
  for (const auto& [key, value] : j.items()) {
    static const std::set<std::string, std::less<>> known{"payload_format_indicator", "message_expiry_interval",
                                                          "content_type",             "response_topic",
                                                          "correlation_data",         "user_properties"};
    if (!known.contains(key)) {
      return Failure{"properties." + key + ": not a property a PUBLISH may carry"};
    }
  }
  auto pfi = optional_uint(j, "payload_format_indicator", 1);
  if (!pfi) {
    return std::move(pfi).error().prefixed("properties.");
  }
  if (*pfi) {
    p.payload_format_indicator = static_cast<std::uint8_t>(**pfi);
  }
  auto expiry = optional_uint(j, "message_expiry_interval", 0xFFFFFFFFu);
  if (!expiry) {
    return std::move(expiry).error().prefixed("properties.");
  }
  p.message_expiry_interval = *expiry;
  for (auto [name, field] : {std::pair{"content_type", &p.content_type}, std::pair{"response_topic", &p.response_topic},
                             std::pair{"correlation_data", &p.correlation_data}}) {
    auto text = optional_string(j, name);
    if (!text) {
      return std::move(text).error().prefixed("properties.");
    }
    *field = std::move(*text);
  }
  if (p.response_topic && !mqtt::is_valid_topic_name(*p.response_topic)) {
    return Failure{"properties.response_topic: not a valid topic name"};
  }
  if (auto it = j.find("user_properties"); it != j.end()) {
    if (!it->is_object()) {
      return Failure{"properties.user_properties: must be an object of strings"};
    }
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        return Failure{"properties.user_properties." + key + ": must be a string"};
      }
      p.user_properties.push_back(mqtt::UserProperty{key, value.get<std::string>()});
    }
  }
  return p;
}

Result<mqtt::SharedBytes> payload_of(const Json& j) {
  auto payload = optional_string(j, "payload");
  if (!payload) {
    return std::move(payload).error();
  }
  auto encoding = optional_string(j, "encoding");
  if (!encoding) {
    return std::move(encoding).error();
  }
  std::string text = payload->value_or("");
  if (!*encoding || **encoding == "plain") {
    return mqtt::SharedBytes::copy_of(std::string_view(text));
  }
  if (**encoding != "base64") {
    return Failure{"encoding: must be \"plain\" or \"base64\""};
  }
  auto bytes = crypto::base64_decode(text);
  if (!bytes) {
    return Failure{"payload: not valid base64"};
  }
  return mqtt::SharedBytes::copy_of(std::span<const std::uint8_t>(*bytes));
}

Result<mqtt::QoS> qos_of(const Json& j) {
  auto qos = optional_uint(j, "qos", 2);
  if (!qos) {
    return std::move(qos).error();
  }
  return static_cast<mqtt::QoS>(qos->value_or(0));
}

}  // namespace

Result<AppMessagePtr> publish_message(const std::string& body, const Limits& limits) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Failure{"body: must be a JSON object"};
  }
  auto msg = std::make_shared<AppMessage>();
  auto topic = optional_string(j, "topic");
  if (!topic) {
    return std::move(topic).error();
  }
  if (!*topic) {
    return Failure{"topic: required"};
  }
  if (!mqtt::is_valid_topic_name(**topic) || mqtt::exceeds_max_levels(**topic, limits.max_topic_levels)) {
    return Failure{"topic: not a valid topic name (no wildcards, at most max_topic_levels levels)"};
  }
  msg->topic = std::move(**topic);
  ACTORMQ_TRY(msg->payload, payload_of(j));
  ACTORMQ_TRY(msg->qos, qos_of(j));
  if (auto it = j.find("retain"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return Failure{"retain: must be true or false"};
    }
    msg->retain = it->get<bool>();
  }
  if (msg->retain && !limits.retain_available) {
    return Failure{"retain: retained messages are not available (retain_available is false)"};
  }
  if (msg->payload.size() + msg->topic.size() > limits.max_packet_size) {
    return Failure{"payload: larger than max_packet_size (" + std::to_string(limits.max_packet_size) + " bytes)"};
  }
  if (auto it = j.find("properties"); it != j.end() && !it->is_null()) {
    ACTORMQ_TRY(mqtt::Properties props, properties_of(*it));
    msg->set_properties(std::move(props));
  }
  msg->received_ms = msg->retain || msg->properties().message_expiry_interval ? wall_ms() : 0;
  msg->publisher = std::string(api_publisher);
  return AppMessagePtr(std::move(msg));
}

ApiPlan kick_client(const std::string& client_id, const ApiEnv& env) {
  auto pid = env.ctx.registry.find(client_id);
  if (!pid) {
    return api_error(404, "client " + client_id + " not found");
  }
  Tell t;
  t.messages.emplace_back(*pid, sched::make_message<Kick>());
  t.response.status = 204;
  return t;
}

ApiPlan publish(const std::string& body, const ApiEnv& env) {
  auto msg = publish_message(body, env.ctx.limits);
  if (!msg) {
    return api_error(400, msg.error().text());
  }
  Tell t;
  if ((*msg)->retain) {
    t.messages.emplace_back(env.ctx.retainer, sched::make_message<RetainStore>(RetainStore{*msg, {}}));
  }
  t.response = json_response(Json{{"topic", (*msg)->topic},
                                  {"qos", static_cast<int>((*msg)->qos)},
                                  {"retain", (*msg)->retain},
                                  {"payload_bytes", (*msg)->payload.size()}});
  t.messages.emplace_back(env.ctx.routers.local(), sched::make_message<RoutePublish>(RoutePublish{*msg, {}}));
  return t;
}

}  // namespace actormq::core
