// Access control and publish limits of a channel: the ACL checks that the
// handlers (publish, subscribe, deliver, will) call, and the rate limiter.
#include "core/session/channel.hpp"

namespace actormq::core {

namespace {
constexpr std::string_view connection_prefix = "$SYS/broker/connection/";
}  // namespace

bool Channel::bridge_state_topic(std::string_view topic) const {
  // A bridge (mosquitto's try_private flag) announces its state here, the
  // "1" when it connects and the "0" by its will, as mosquitto's bridges do:
  // $SYS/broker/connection/<name>/state, one level for the name.
  if (!bridge_ || !topic.starts_with(connection_prefix) || !topic.ends_with("/state")) {
    return false;
  }
  std::string_view name = topic.substr(connection_prefix.size(), topic.size() - connection_prefix.size() - 6);
  return !name.empty() && name.find('/') == std::string_view::npos;
}

bool Channel::acl_allows(const ChannelHost& host, std::string_view topic, AclAccess access) const {
  const ListenerSecurity* rules = security(host);
  if (rules != nullptr) {
    // The embedding program first (core/auth/host_auth.hpp); it may open '$' topics too.
    HostDecision d = rules->host_decides(HostAccess{AclClient{client_id_, username_.get()}, topic, access, false});
    if (d != HostDecision::defer) {
      return d == HostDecision::allow;
    }
  }
  // MQTT 4.7.2: topics beginning with '$' are the server's. A client may
  // write there only where an ACL rule names the topic (a wildcard at the
  // first level never matches it, core/auth/acl.hpp); without an ACL, nowhere.
  bool server_topic = access == AclAccess::write && topic.starts_with('$') && !bridge_state_topic(topic);
  if (rules == nullptr || !rules->has_acl()) {
    return !server_topic;
  }
  auto acl = rules->acl();
  return acl->allows(AclClient{client_id_, username_.get()}, topic, access);
}

bool Channel::acl_allows_subscribe(const ChannelHost& host, std::string_view filter) const {
  const ListenerSecurity* rules = security(host);
  if (rules != nullptr) {
    HostDecision d =
        rules->host_decides(HostAccess{AclClient{client_id_, username_.get()}, filter, AclAccess::read, true});
    if (d != HostDecision::defer) {
      return d == HostDecision::allow;
    }
  }
  if (rules == nullptr || !rules->has_acl()) {
    return true;
  }
  auto acl = rules->acl();
  return acl->allows_subscribe(AclClient{client_id_, username_.get()}, filter);
}

bool Channel::admit_publish(ChannelHost& host, const mqtt::Publish& p) {
  const RateLimits& limits = host.limits().publish_rate;
  if (!limits.any()) {
    return true;
  }
  RateLimiter& rate = rare().rate ? *rare_->rate : rare().rate.emplace();
  std::uint64_t bytes = p.topic.size() + p.payload.size();
  if (v5()) {
    // MQTT 5: refused with Quota Exceeded (0x97), as EMQX does; the client
    // may retry later.
    if (rate.try_take(host.now_ms(), bytes, limits)) {
      return true;
    }
    host.metrics().add(Counter::publish_rate_limited);
    return false;
  }
  // 3.1.1 has no way to refuse a PUBLISH: take it, then stop reading from
  // the client until its debt is paid, so TCP slows it down to the rate.
  std::uint64_t wait_ms = rate.take(host.now_ms(), bytes, limits);
  if (wait_ms > 0 && !rate.paused) {
    host.metrics().add(Counter::publish_rate_limited);
    rate.paused = true;
    host.arm_timer(ChannelTimer::rate_resume, generation_, wait_ms);
  }
  return true;
}

}  // namespace actormq::core
