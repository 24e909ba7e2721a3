#include "core/sys/sys_topics.hpp"

#include <cmath>
#include <cstdio>

#include "core/clock.hpp"
#include "core/routing/retainer.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

namespace {
struct Tick {};
constexpr const char* version_string = "actormq 0.1.0";
}  // namespace

SysTopics::SysTopics(BrokerContext& ctx, std::uint32_t interval_s) : ctx_(ctx), interval_s_(interval_s) {}

void SysTopics::on_start() {
  started_ms_ = wall_ms();
  publish("$SYS/broker/version", version_string);
  publish_all();
  send_after(self(), sched::make_message<Tick>(), std::uint64_t{interval_s_} * 1000);
}

void SysTopics::on_message(sched::Message& msg) {
  if (msg.is<Tick>()) {
    publish_all();
    send_after(self(), sched::make_message<Tick>(), std::uint64_t{interval_s_} * 1000);
  }
}

void SysTopics::publish(const std::string& topic, const std::string& value) {
  auto msg = new_app_message();
  msg->topic = topic;
  msg->payload = mqtt::SharedBytes::copy_of(std::string_view(value));
  msg->retain = true;
  msg->publisher = "$SYS";
  send<RetainStore>(ctx_.retainer, RetainStore{msg, {}});
  send<RoutePublish>(ctx_.routers.local(), RoutePublish{std::move(msg), {}});
}

void SysTopics::load(const std::string& name, Counter c, std::size_t slot) {
  // mosquitto's load averages: an exponentially decaying per-minute rate.
  std::int64_t now = ctx_.metrics.get(c);
  double per_minute = static_cast<double>(now - last_[slot]) * 60.0 / interval_s_;
  last_[slot] = now;
  static constexpr std::array<double, 3> windows{60.0, 300.0, 900.0};
  static constexpr std::array<const char*, 3> suffix{"1min", "5min", "15min"};
  for (std::size_t w = 0; w < 3; ++w) {
    double k = std::exp(-static_cast<double>(interval_s_) / windows[w]);
    load_[slot][w] = per_minute + k * (load_[slot][w] - per_minute);
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", load_[slot][w]);
    publish("$SYS/broker/load/" + name + "/" + suffix[w], text);
  }
}

void SysTopics::publish_all() {
  auto get = [this](Counter c) { return std::to_string(ctx_.metrics.get(c)); };
  publish("$SYS/broker/uptime", std::to_string((wall_ms() - started_ms_) / 1000) + " seconds");
  std::int64_t connected = ctx_.metrics.get(Counter::clients_connected);
  auto total = static_cast<std::int64_t>(ctx_.registry.size());
  publish("$SYS/broker/clients/connected", std::to_string(connected));
  publish("$SYS/broker/clients/active", std::to_string(connected));
  publish("$SYS/broker/clients/total", std::to_string(total));
  publish("$SYS/broker/clients/disconnected", std::to_string(std::max<std::int64_t>(0, total - connected)));
  publish("$SYS/broker/clients/maximum", get(Counter::clients_maximum));
  publish("$SYS/broker/messages/received", get(Counter::messages_received));
  publish("$SYS/broker/messages/sent", get(Counter::messages_sent));
  publish("$SYS/broker/publish/messages/dropped", get(Counter::publish_dropped));
  publish("$SYS/broker/bytes/received", get(Counter::bytes_received));
  publish("$SYS/broker/bytes/sent", get(Counter::bytes_sent));
  publish("$SYS/broker/subscriptions/count", get(Counter::subscriptions));
  publish("$SYS/broker/retained messages/count", get(Counter::retained_messages));
  // Not in mosquitto: counters of refused CONNECTs, ACL denials, rate limiting and store failures.
  publish("$SYS/broker/clients/auth_failures", get(Counter::auth_failures));
  publish("$SYS/broker/acl/denied", get(Counter::acl_denied));
  publish("$SYS/broker/publish/messages/rate_limited", get(Counter::publish_rate_limited));
  publish("$SYS/broker/store/failures", get(Counter::store_failures));
  for (const auto& [topic, value] : ctx_.sys_sources.collect()) {
    publish(topic, value);
  }
  load("messages/received", Counter::messages_received, 0);
  load("messages/sent", Counter::messages_sent, 1);
  load("bytes/received", Counter::bytes_received, 2);
  load("bytes/sent", Counter::bytes_sent, 3);
  load("connections", Counter::connects, 4);
}

}  // namespace actormq::core
