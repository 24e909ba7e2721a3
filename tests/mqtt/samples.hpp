#pragma once
// Sample packets of every type, filled with everything a version can carry;
// shared by the round-trip and random-input tests.

#include <vector>

#include "mqtt/packets.hpp"

namespace actormq::mqtt::test {

// Every property allowed in `ctx`, with non-default values.
inline Properties all_properties(PropertyContext ctx) {
  Properties p;
  auto allowed = [&](PropertyId id) { return property_allowed(id, ctx); };
  using PI = PropertyId;
  if (allowed(PI::payload_format_indicator)) p.payload_format_indicator = 1;
  if (allowed(PI::message_expiry_interval)) p.message_expiry_interval = 3600;
  if (allowed(PI::content_type)) p.content_type = "application/json";
  if (allowed(PI::response_topic)) p.response_topic = "reply/to/me";
  if (allowed(PI::correlation_data)) p.correlation_data = std::string("\x00\x01\xff", 3);
  if (allowed(PI::subscription_identifier)) {
    p.subscription_identifiers = {1, 268'435'455};
    if (ctx.type != PacketType::publish) {
      p.subscription_identifiers = {16'384};
    }
  }
  if (allowed(PI::session_expiry_interval)) p.session_expiry_interval = 0xFFFFFFFF;
  if (allowed(PI::assigned_client_identifier)) p.assigned_client_identifier = "auto-1234";
  if (allowed(PI::server_keep_alive)) p.server_keep_alive = 120;
  if (allowed(PI::authentication_method)) p.authentication_method = "SCRAM-SHA-1";
  if (allowed(PI::authentication_data)) p.authentication_data = std::string("\x10\x00\x20", 3);
  if (allowed(PI::request_problem_information)) p.request_problem_information = 0;
  if (allowed(PI::will_delay_interval)) p.will_delay_interval = 30;
  if (allowed(PI::request_response_information)) p.request_response_information = 1;
  if (allowed(PI::response_information)) p.response_information = "resp/";
  if (allowed(PI::server_reference)) p.server_reference = "other:1883";
  if (allowed(PI::reason_string)) p.reason_string = "because";
  if (allowed(PI::receive_maximum)) p.receive_maximum = 10;
  if (allowed(PI::topic_alias_maximum)) p.topic_alias_maximum = 0;
  if (allowed(PI::topic_alias)) p.topic_alias = 7;
  if (allowed(PI::maximum_qos)) p.maximum_qos = 1;
  if (allowed(PI::retain_available)) p.retain_available = 0;
  if (allowed(PI::user_property)) {
    p.user_properties = {{"b", "2"}, {"a", "1"}, {"b", "3"}, {"", ""}};
  }
  if (allowed(PI::maximum_packet_size)) p.maximum_packet_size = 1'048'576;
  if (allowed(PI::wildcard_subscription_available)) p.wildcard_subscription_available = 1;
  if (allowed(PI::subscription_identifier_available)) p.subscription_identifier_available = 0;
  if (allowed(PI::shared_subscription_available)) p.shared_subscription_available = 1;
  return p;
}

inline Properties props_for(PacketType type, ProtocolVersion v) {
  return v == ProtocolVersion::v5 ? all_properties({type}) : Properties{};
}

template <class Ack>
Ack make_ack(PacketType type, std::uint16_t id, ReasonCode rc, ProtocolVersion v) {
  Ack a;
  a.packet_id = id;
  a.reason_code = v == ProtocolVersion::v5 ? rc : ReasonCode::success;
  a.properties = props_for(type, v);
  return a;
}

// A packet of every type, filled with everything `v` can carry.
inline std::vector<Packet> sample_packets(ProtocolVersion v) {
  std::vector<Packet> out;
  const bool five = v == ProtocolVersion::v5;

  Connect c;
  c.version = v;
  c.clean_start = false;
  c.keep_alive = 65535;
  c.client_id = "client-\xC3\xA9";
  Will w;
  w.topic = "last/will";
  w.payload = SharedBytes::copy_of(std::string_view("gone\0!", 6));
  w.qos = QoS::exactly_once;
  w.retain = true;
  w.properties = five ? all_properties({PacketType::connect, true}) : Properties{};
  c.will = w;
  c.username = "user";
  c.password = std::string("p\0ss", 4);
  c.properties = props_for(PacketType::connect, v);
  out.emplace_back(c);

  Connect minimal;
  minimal.version = v;
  out.emplace_back(minimal);

  out.emplace_back(Connack{true, five ? ReasonCode::success : ReasonCode::success,
                           props_for(PacketType::connack, v)});
  out.emplace_back(Connack{false, ReasonCode::not_authorized, props_for(PacketType::connack, v)});

  Publish p;
  p.topic = "sport/tennis/player1";
  p.payload = SharedBytes::copy_of(std::string_view("{\"score\": 15}"));
  p.qos = QoS::at_least_once;
  p.retain = true;
  p.dup = true;
  p.packet_id = 0xBEEF;
  p.properties = props_for(PacketType::publish, v);
  out.emplace_back(p);

  Publish q0;
  q0.topic = "/";
  out.emplace_back(q0);

  Publish q2;
  q2.topic = "a/b";
  q2.qos = QoS::exactly_once;
  q2.packet_id = 1;
  q2.payload = SharedBytes::copy_of(std::string(70'000, 'x'));
  out.emplace_back(q2);

  out.emplace_back(make_ack<Puback>(PacketType::puback, 1, ReasonCode::no_matching_subscribers, v));
  out.emplace_back(make_ack<Puback>(PacketType::puback, 2, ReasonCode::success, v));
  out.emplace_back(make_ack<Pubrec>(PacketType::pubrec, 3, ReasonCode::quota_exceeded, v));
  out.emplace_back(
      make_ack<Pubrel>(PacketType::pubrel, 4, ReasonCode::packet_identifier_not_found, v));
  out.emplace_back(make_ack<Pubcomp>(PacketType::pubcomp, 65535, ReasonCode::success, v));
  Puback reason_only;
  reason_only.packet_id = 9;
  reason_only.reason_code = five ? ReasonCode::not_authorized : ReasonCode::success;
  out.emplace_back(reason_only);

  Subscribe s;
  s.packet_id = 10;
  s.properties = props_for(PacketType::subscribe, v);
  s.subscriptions.push_back({"sport/tennis/#", {QoS::exactly_once, five, five,
                                                five ? RetainHandling::do_not_send
                                                     : RetainHandling::send_on_subscribe}});
  s.subscriptions.push_back({"+/+", {QoS::at_most_once, false, false,
                                     five ? RetainHandling::send_if_new
                                          : RetainHandling::send_on_subscribe}});
  s.subscriptions.push_back({"$share/g/x", {QoS::at_least_once, false, false,
                                            RetainHandling::send_on_subscribe}});
  out.emplace_back(s);

  Suback sa;
  sa.packet_id = 10;
  sa.properties = props_for(PacketType::suback, v);
  sa.reason_codes = {ReasonCode::granted_qos_2, ReasonCode::granted_qos_0,
                     five ? ReasonCode::shared_subscriptions_not_supported
                          : ReasonCode::unspecified_error};
  out.emplace_back(sa);

  Unsubscribe u;
  u.packet_id = 11;
  u.properties = props_for(PacketType::unsubscribe, v);
  u.filters = {"a/b", "c/#"};
  out.emplace_back(u);

  Unsuback ua;
  ua.packet_id = 11;
  ua.properties = props_for(PacketType::unsuback, v);
  if (five) {
    ua.reason_codes = {ReasonCode::success, ReasonCode::no_subscription_existed};
  }
  out.emplace_back(ua);

  out.emplace_back(Pingreq{});
  out.emplace_back(Pingresp{});
  out.emplace_back(Disconnect{});
  if (five) {
    out.emplace_back(
        Disconnect{ReasonCode::server_shutting_down, props_for(PacketType::disconnect, v)});
    out.emplace_back(Disconnect{ReasonCode::disconnect_with_will_message, {}});
    out.emplace_back(Auth{});
    out.emplace_back(Auth{ReasonCode::continue_authentication, props_for(PacketType::auth, v)});
  }
  return out;
}

}  // namespace actormq::mqtt::test
