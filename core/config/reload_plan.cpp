#include "core/config/reload_plan.hpp"

#include <string_view>

namespace actormq::core {
namespace {

struct KeyRule {
  std::string_view key;
  ReloadClass kind;
  bool (*differs)(const Config& a, const Config& b);
  void (*keep)(Config& next, const Config& running);  // restart keys: the running value stays
};

template <auto Member>
bool differs(const Config& a, const Config& b) {
  return !(a.*Member == b.*Member);
}

template <auto Member>
void keep(Config& next, const Config& running) {
  next.*Member = running.*Member;
}

template <auto Member>
constexpr KeyRule live(std::string_view key) {
  return {key, ReloadClass::live, differs<Member>, nullptr};
}
template <auto Member>
constexpr KeyRule limit(std::string_view key) {
  return {key, ReloadClass::limit, differs<Member>, nullptr};
}
template <auto Member>
constexpr KeyRule restart(std::string_view key) {
  return {key, ReloadClass::restart, differs<Member>, keep<Member>};
}

using C = Config;

// Limits are read by a connection once, when it is accepted (the session
// keeps them: a client's negotiated maximums never change under it).
// Restart keys shape what was built at start: the store (data_dir,
// durability, group commit), the runtime (schedulers, reduction budget,
// routers and their strategy), the $SYS process, the log file that was
// opened, the pid file an upgrade keeps, the node's identity in a cluster.
constexpr KeyRule key_rules[] = {
    {"listeners", ReloadClass::listeners, nullptr, nullptr},
    live<&C::allow_anonymous>("allow_anonymous"),
    live<&C::password_file>("password_file"),
    live<&C::acl_file>("acl_file"),
    live<&C::scram_file>("scram_file"),
    restart<&C::data_dir>("data_dir"),
    restart<&C::durability>("durability"),
    restart<&C::commit_interval_ms>("commit_interval_ms"),
    restart<&C::commit_max_ops>("commit_max_ops"),
    limit<&C::max_packet_size>("max_packet_size"),
    limit<&C::max_inflight_messages>("max_inflight_messages"),
    limit<&C::max_queued_messages>("max_queued_messages"),
    limit<&C::max_queued_bytes>("max_queued_bytes"),
    limit<&C::queue_qos0>("queue_qos0"),
    limit<&C::max_connections>("max_connections"),
    limit<&C::connect_timeout_ms>("connect_timeout_ms"),
    limit<&C::max_topic_levels>("max_topic_levels"),
    limit<&C::max_subscriptions_per_client>("max_subscriptions_per_client"),
    limit<&C::max_publish_rate>("max_publish_rate"),
    limit<&C::max_publish_bytes_rate>("max_publish_bytes_rate"),
    limit<&C::max_topic_alias>("max_topic_alias"),
    limit<&C::receive_maximum>("receive_maximum"),
    limit<&C::max_keepalive>("max_keepalive"),
    limit<&C::server_keep_alive>("server_keep_alive"),
    limit<&C::session_expiry_max>("session_expiry_max"),
    limit<&C::message_expiry_max>("message_expiry_max"),
    limit<&C::retain_available>("retain_available"),
    limit<&C::wildcard_subscription_available>("wildcard_subscription_available"),
    limit<&C::shared_subscription_available>("shared_subscription_available"),
    limit<&C::subscription_identifiers_available>("subscription_identifiers_available"),
    restart<&C::shared_subscription_strategy>("shared_subscription_strategy"),
    limit<&C::server_reference>("server_reference"),
    limit<&C::response_information>("response_information"),
    restart<&C::schedulers>("schedulers"),
    restart<&C::reduction_budget>("reduction_budget"),
    restart<&C::router_pool_size>("router_pool_size"),
    restart<&C::tls_handshake_threads>("tls_handshake_threads"),
    restart<&C::sys_interval>("sys_interval"),
    live<&C::log_level>("log_level"),
    live<&C::log_format>("log_format"),
    restart<&C::log_file>("log_file"),
    restart<&C::pid_file>("pid_file"),
    restart<&C::upgrade_drain_rate>("upgrade_drain_rate"),
    restart<&C::upgrade_server_reference>("upgrade_server_reference"),
    restart<&C::cluster>("cluster"),
    {"bridges", ReloadClass::bridges, nullptr, nullptr},
};

// The same listener but for the keys that change in place (the
// authentication rules: core/auth/security.hpp swaps them; max_connections:
// ListenerShared holds it).
bool same_listener(ListenerConfig a, ListenerConfig b) {
  for (ListenerConfig* l : {&a, &b}) {
    l->max_connections = -1;
    l->allow_anonymous.reset();
    l->password_file.reset();
    l->acl_file.reset();
    l->scram_file.reset();
  }
  return a == b;
}

}  // namespace

std::optional<ReloadClass> reload_class(std::string_view key) {
  for (const KeyRule& rule : key_rules) {
    if (rule.key == key) {
      return rule.kind;
    }
  }
  return std::nullopt;
}

ReloadPlan plan_reload(const Config& running, Config next) {
  ReloadPlan plan;
  for (const KeyRule& rule : key_rules) {
    if (rule.differs == nullptr || !rule.differs(running, next)) {
      continue;
    }
    if (rule.kind == ReloadClass::restart) {
      plan.needs_restart.emplace_back(rule.key);
      rule.keep(next, running);
      continue;
    }
    plan.changed.emplace_back(rule.key);
    plan.limits_changed = plan.limits_changed || rule.kind == ReloadClass::limit;
    plan.logging_changed = plan.logging_changed || rule.key == "log_level" || rule.key == "log_format";
  }
  // Each running listener is kept by at most one new one, the first that
  // matches: two equal entries cannot both be valid (same port).
  std::vector<bool> matched(running.listeners.size(), false);
  for (const ListenerConfig& l : next.listeners) {
    std::optional<std::size_t> kept;
    for (std::size_t i = 0; i < running.listeners.size(); ++i) {
      if (!matched[i] && same_listener(running.listeners[i], l)) {
        matched[i] = true;
        kept = i;
        break;
      }
    }
    plan.kept.push_back(kept);
  }
  for (std::size_t i = 0; i < running.listeners.size(); ++i) {
    if (!matched[i]) {
      plan.closed.push_back(i);
    }
  }
  plan.next = std::move(next);
  return plan;
}

}  // namespace actormq::core
