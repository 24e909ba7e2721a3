#include "core/http/api_input.hpp"

#include <cctype>
#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

#include "core/auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/config/cluster.hpp"
#include "mqtt/topic.hpp"
#include "mqtt/utf8.hpp"
#include "net/http_request.hpp"

namespace actormq::core {

using Json = nlohmann::json;

namespace {

std::optional<std::string> param(const Query& query, const std::string& name) {
  auto it = query.find(name);
  return it == query.end() ? std::nullopt : std::optional<std::string>(it->second);
}

// A positive integer parameter within 1..max; why not, naming it.
Result<std::size_t> positive(const Query& query, const std::string& name, std::size_t fallback, std::size_t max) {
  auto it = query.find(name);
  if (it == query.end()) {
    return fallback;
  }
  const std::string& text = it->second;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > max) {
    return Failure{name + ": must be an integer 1.." + std::to_string(max)};
  }
  return value;
}

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

std::optional<Query> query_of(std::string_view raw) {
  auto pairs = net::parse_query(raw);
  if (!pairs) {
    return std::nullopt;
  }
  Query params;
  for (auto& [name, value] : *pairs) {
    params.emplace(std::move(name), std::move(value));
  }
  return params;
}

Result<Paging> paging_of(const Query& query) {
  Paging p;
  ACTORMQ_TRY(p.page, positive(query, "page", 1, static_cast<std::size_t>(1) << 32));
  ACTORMQ_TRY(p.limit, positive(query, "limit", 100, max_page_limit));
  return p;
}

std::optional<std::vector<std::string>> api_segments(std::string_view target, std::string_view prefix) {
  std::string_view path = target.substr(0, target.find('?'));
  if (!path.starts_with(prefix)) {
    return std::nullopt;
  }
  path.remove_prefix(prefix.size());
  std::vector<std::string> out;
  while (true) {
    std::size_t slash = path.find('/');
    auto segment = net::percent_decode(path.substr(0, slash), false);
    if (!segment) {
      return std::nullopt;
    }
    out.push_back(std::move(*segment));
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::optional<std::pair<std::string, std::string>> parse_basic(std::string_view authorization) {
  // RFC 7617 2: the scheme is case-insensitive; one space, then token68.
  if (authorization.size() < 6) {
    return std::nullopt;
  }
  std::string scheme(authorization.substr(0, 6));
  for (char& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (scheme != "basic ") {
    return std::nullopt;
  }
  std::string_view encoded = authorization.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') {
    encoded.remove_prefix(1);
  }
  std::optional<crypto::Bytes> raw = crypto::base64_decode(encoded);
  if (!raw) {
    return std::nullopt;
  }
  std::string text(raw->begin(), raw->end());
  std::size_t colon = text.find(':');  // a user name has no ':' (RFC 7617 2)
  if (colon == std::string::npos || colon == 0) {
    return std::nullopt;
  }
  return std::make_pair(text.substr(0, colon), text.substr(colon + 1));
}

ClientFilter client_filter_of(const Query& query) { return ClientFilter{param(query, "clientid"), param(query, "username")}; }

Result<SubscriptionFilter> subscription_filter_of(const Query& query) {
  SubscriptionFilter filter{param(query, "clientid"), param(query, "topic"), std::nullopt};
  if (auto qos = param(query, "qos")) {
    if (*qos != "0" && *qos != "1" && *qos != "2") {
      return Failure{"qos: must be 0, 1 or 2"};
    }
    filter.qos = (*qos)[0] - '0';
  }
  return filter;
}

Result<AppMessagePtr> publish_message(const std::string& body, const Limits& limits) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Failure{"body: must be a JSON object"};
  }
  auto msg = new_app_message();
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

Result<bool> bridge_enabled_of(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Failure{"body: must be a JSON object"};
  }
  auto it = j.find("enabled");
  if (it == j.end() || !it->is_boolean()) {
    return Failure{"enabled: required, true or false"};
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "enabled") {
      return Failure{key + ": not a field of a bridge that may change at run time"};
    }
  }
  return it->get<bool>();
}

Result<EvacuationOrder> evacuation_order_of(const std::string& body) {
  EvacuationOrder order;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return order;
  }
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Failure{"body: must be a JSON object"};
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "redirect_to" && key != "connection_rate" && key != "session_rate" && key != "wait_takeover_s" &&
        key != "migrate_to") {
      return Failure{key + ": not a field of an evacuation (redirect_to, connection_rate, session_rate, "
                           "wait_takeover_s, migrate_to)"};
    }
  }
  ACTORMQ_TRY(std::optional<std::string> redirect, optional_string(j, "redirect_to"));
  if (redirect) {
    // Sent as the v5 Server Reference property: a UTF-8 string (MQTT 5 3.14.2.2.5).
    if (redirect->size() > 65535 || !mqtt::is_valid_mqtt_utf8(*redirect)) {
      return Failure{"redirect_to: must be a UTF-8 string of at most 65,535 bytes, such as \"host:port\""};
    }
    order.server_reference = std::move(*redirect);
  }
  constexpr std::uint32_t max_rate = 1000000;
  for (auto [name, field] : {std::pair{"connection_rate", &EvacuationOrder::connection_rate},
                             std::pair{"session_rate", &EvacuationOrder::session_rate}}) {
    ACTORMQ_TRY(std::optional<std::uint32_t> rate, optional_uint(j, name, max_rate));
    if (rate && *rate == 0) {
      return Failure{std::string(name) + ": must be an integer 1.." + std::to_string(max_rate)};
    }
    if (rate) {
      order.*field = *rate;
    }
  }
  ACTORMQ_TRY(std::optional<std::uint32_t> wait, optional_uint(j, "wait_takeover_s", 3600));
  if (wait) {
    order.wait_takeover_ms = *wait * 1000;
  }
  if (auto it = j.find("migrate_to"); it != j.end() && !it->is_null()) {
    constexpr std::size_t max_nodes = 1024;
    if (!it->is_array() || it->size() > max_nodes) {
      return Failure{"migrate_to: must be an array of node names (at most 1,024)"};
    }
    for (const Json& name : *it) {
      if (!name.is_string() || !valid_node_name(name.get_ref<const std::string&>())) {
        return Failure{"migrate_to: every entry must be a node name (as cluster.node_name)"};
      }
      order.migrate_to.push_back(name.get<std::string>());
    }
  }
  return order;
}

}  // namespace actormq::core
