// SUBSCRIBE and UNSUBSCRIBE (sections 3.8-3.11): filter validation, shared
// subscriptions, subscription identifiers, retained messages on subscribe.
#include "core/session/channel.hpp"
#include "mqtt/topic.hpp"

namespace actormq::core {

using mqtt::QoS;
using mqtt::ReasonCode;

namespace {
ReasonCode granted(QoS qos) { return static_cast<ReasonCode>(static_cast<std::uint8_t>(qos)); }
}  // namespace

void Channel::handle_subscribe(ChannelHost& host, mqtt::Subscribe& s) {
  if (state_ != State::connected) {
    return;
  }
  std::uint32_t sub_id = 0;
  if (!s.properties.subscription_identifiers.empty()) {
    if (!host.limits().subscription_identifiers_available) {
      reject(host, ReasonCode::subscription_identifiers_not_supported, "subscription identifiers not supported");
      return;
    }
    sub_id = s.properties.subscription_identifiers.front();
  }
  mqtt::Suback ack;
  ack.packet_id = s.packet_id;
  std::vector<std::pair<std::string, SubInfo>> retained_wanted;  // copies: a later insertion may move the map's entries
  for (mqtt::Subscription& req : s.subscriptions) {
    mqtt::ParsedFilter parsed = mqtt::parse_subscription_filter(req.filter);
    ReasonCode code = granted(req.options.max_qos);
    if (parsed.kind == mqtt::FilterKind::invalid ||
        mqtt::exceeds_max_levels(parsed.filter, host.limits().max_topic_levels)) {
      code = ReasonCode::topic_filter_invalid;
    } else if (parsed.kind == mqtt::FilterKind::shared && !host.limits().shared_subscription_available) {
      code = ReasonCode::shared_subscriptions_not_supported;
    } else if (mqtt::has_wildcards(parsed.filter) && !host.limits().wildcard_subscription_available) {
      code = ReasonCode::wildcard_subscriptions_not_supported;
    } else if (parsed.kind == mqtt::FilterKind::shared && req.options.no_local) {
      // MQTT 5 3.8.3.1: No Local on a shared subscription is a protocol error.
      reject(host, ReasonCode::protocol_error, "no local on a shared subscription");
      return;
    } else if (host.limits().max_subscriptions_per_client != 0 &&
               session_.subscriptions.size() >= host.limits().max_subscriptions_per_client &&
               !session_.subscriptions.contains(req.filter)) {
      code = ReasonCode::quota_exceeded;
    } else if (!acl_allows_subscribe(host, parsed.filter)) {
      // 0x87 (3.1.1: 0x80). See core/auth/acl.hpp for when a filter is refused.
      host.metrics().add(Counter::acl_denied);
      code = ReasonCode::not_authorized;
    } else {
      host.metrics().add(Counter::acl_allowed);
    }
    if (static_cast<std::uint8_t>(code) >= 0x80) {
      ack.reason_codes.push_back(code);
      continue;
    }
    Subscription sub = Subscription::of(req.filter, SubInfo{});
    sub.info.max_qos = req.options.max_qos;
    sub.info.no_local = req.options.no_local;
    sub.info.retain_as_published = req.options.retain_as_published;
    if (bridge_ && !v5()) {
      // A 3.1.1 bridge (mosquitto's try_private) gets what v5 would ask for,
      // as mosquitto gives it: its own messages do not come back (a bridge
      // carrying a topic both ways would loop), and retain flags are kept.
      sub.info.no_local = true;
      sub.info.retain_as_published = true;
    }
    sub.info.subscription_id = sub_id;
    auto [it, is_new] = session_.subscriptions.insert_or_assign(req.filter, sub);
    if (is_new) {
      host.metrics().add(Counter::subscriptions, 1);
    }
    add_route(host, it->first, it->second);
    ack.reason_codes.push_back(code);
    // MQTT 3.8.4 / 5 3.3.1.3: retained messages on subscribe, per Retain Handling;
    // never for shared subscriptions (5 4.8.2).
    auto handling = req.options.retain_handling;
    if (parsed.group.empty() && (handling == mqtt::RetainHandling::send_on_subscribe ||
                              (handling == mqtt::RetainHandling::send_if_new && is_new))) {
      retained_wanted.emplace_back(it->first, it->second.info);
    }
  }
  if (stored_) {
    store_record(host, 0, gate_ack(host, std::move(ack)));  // durability sync: answered once on disk
  } else {
    send_packet(host, ack);
  }
  for (const auto& [full, sub] : retained_wanted) {
    host.query_retained(full, sub);  // not shared: the full filter is the filter
  }
}

void Channel::handle_unsubscribe(ChannelHost& host, mqtt::Unsubscribe& u) {
  if (state_ != State::connected) {
    return;
  }
  mqtt::Unsuback ack;
  ack.packet_id = u.packet_id;
  for (const std::string& filter : u.filters) {
    auto it = session_.subscriptions.find(filter);
    if (it == session_.subscriptions.end()) {
      ack.reason_codes.push_back(ReasonCode::no_subscription_existed);
      continue;
    }
    remove_route(host, it->first, it->second);
    session_.subscriptions.erase(it);
    host.metrics().add(Counter::subscriptions, -1);
    ack.reason_codes.push_back(ReasonCode::success);
  }
  if (stored_) {
    store_record(host, 0, gate_ack(host, std::move(ack)));  // durability sync: answered once on disk
  } else {
    send_packet(host, ack);
  }
}

void Channel::add_route(ChannelHost& host, const SharedText& full, const Subscription& sub) {
  host.add_route(RouteAdd{sub.route_filter(full), std::string(sub.group(full)), host.pid(), client_id_.str(),
                          sub.info, sched::Pid{}, reader(host, full)});
}

Reader Channel::reader(const ChannelHost& host, std::string_view full) const {
  if (!Subscription::shared(full)) {
    return {};  // only shared groups choose by read access
  }
  return Reader{security(host), username_ ? std::make_shared<const std::string>(*username_) : nullptr};
}

void Channel::remove_route(ChannelHost& host, std::string_view full, const Subscription& sub) {
  host.remove_route(RouteRemove{std::string(sub.filter(full)), std::string(sub.group(full)), host.pid()});
}

void Channel::remove_all_routes(ChannelHost& host) {
  for (const auto& [full, sub] : session_.subscriptions) {
    remove_route(host, full, sub);
  }
  host.metrics().add(Counter::subscriptions, -static_cast<std::int64_t>(session_.subscriptions.size()));
  session_.subscriptions.clear();
}

}  // namespace actormq::core
