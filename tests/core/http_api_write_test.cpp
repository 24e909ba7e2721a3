#include <doctest/doctest.h>

#include <string>

#include "core/http/api_retained.hpp"
#include "core/http/api_write.hpp"

using namespace actormq::core;

TEST_CASE("http api: a publish body becomes the message a client would publish") {
  Limits limits;
  auto msg = publish_message(
      R"({"topic": "a/b", "payload": "aGk=", "encoding": "base64", "qos": 2, "retain": true,
          "properties": {"content_type": "t", "user_properties": {"k": "v"}, "message_expiry_interval": 5}})",
      limits);
  REQUIRE(msg);
  const AppMessage& m = **msg;
  CHECK(m.topic == "a/b");
  CHECK(m.payload.view() == "hi");
  CHECK(m.qos == actormq::mqtt::QoS::exactly_once);
  CHECK(m.retain);
  CHECK(m.received_ms != 0);  // retained: its arrival time decides between nodes
  CHECK(m.publisher == "http_api");
  CHECK(m.properties().content_type == "t");
  CHECK(m.properties().message_expiry_interval == 5u);
  REQUIRE(m.properties().user_properties.size() == 1);
  CHECK(m.properties().user_properties[0].key == "k");

  auto plain = publish_message(R"({"topic": "x"})", limits);
  REQUIRE(plain);
  CHECK((*plain)->payload.empty());
  CHECK((*plain)->qos == actormq::mqtt::QoS::at_most_once);
  CHECK(!(*plain)->retain);
  CHECK((*plain)->properties().empty());
  CHECK((*plain)->received_ms == 0);
}

TEST_CASE("http api: a malformed publish body is refused naming the field") {
  Limits limits;
  limits.max_topic_levels = 3;
  const std::pair<const char*, const char*> cases[] = {
      {"", "body:"},
      {"{", "body:"},
      {"\"topic\"", "body:"},
      {R"({"topic": null})", "topic:"},
      {R"({"topic": "a/b/c/d"})", "topic:"},
      {R"({"topic": "a#"})", "topic:"},
      {R"({"topic": "a", "qos": 1.5})", "qos:"},
      {R"({"topic": "a", "qos": -1})", "qos:"},
      {R"({"topic": "a", "retain": 1})", "retain:"},
      {R"({"topic": "a", "payload": "a*b=", "encoding": "base64"})", "payload:"},
      {R"({"topic": "a", "encoding": 1})", "encoding:"},
      {R"({"topic": "a", "properties": {"payload_format_indicator": 2}})", "properties.payload_format_indicator:"},
      {R"({"topic": "a", "properties": {"content_type": 1}})", "properties.content_type:"},
      {R"({"topic": "a", "properties": {"user_properties": []}})", "properties.user_properties:"},
  };
  for (const auto& [body, field] : cases) {
    std::string text = body;
    CAPTURE(text);
    auto msg = publish_message(body, limits);
    REQUIRE(!msg);
    CHECK(msg.error().text().starts_with(field));
  }
}

namespace {

AppMessagePtr make(std::string topic, std::string_view payload) {
  auto m = new_app_message();
  m->topic = std::move(topic);
  m->payload = actormq::mqtt::SharedBytes::copy_of(payload);
  return m;
}

}  // namespace

TEST_CASE("http api: retained messages are listed by topic, the payload only in the detail") {
  Json page = retained_page({make("b", "2"), make("a", "1"), make("c", "3")}, Paging{2, 2}, "n@h");
  CHECK(page["meta"]["count"] == 3);
  REQUIRE(page["data"].size() == 1);
  CHECK(page["data"][0]["topic"] == "c");
  CHECK(!page["data"][0].contains("payload"));
  CHECK(page["data"][0]["publish_at"].is_null());
  Json detail = retained_json(*make("a", "hi"), "n@h", true);
  CHECK(detail["payload"] == "aGk=");
  CHECK(detail["node"] == "n@h");
}
