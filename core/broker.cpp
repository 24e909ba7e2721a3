#include "core/broker.hpp"

#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "core/listener.hpp"
#include "core/logger.hpp"
#include "core/retainer.hpp"
#include "core/router.hpp"
#include "core/security.hpp"
#include "core/sys_topics.hpp"
#include "sched/dynamic_supervisor.hpp"

namespace actormq::core {

Limits limits_from(const Config& c) {
  Limits l;
  l.max_packet_size = static_cast<std::uint32_t>(c.max_packet_size);
  l.max_inflight = static_cast<std::uint16_t>(c.max_inflight_messages);
  l.max_queued = static_cast<std::uint32_t>(c.max_queued_messages);
  l.queue_qos0 = c.queue_qos0;
  l.max_topic_levels = static_cast<std::uint32_t>(c.max_topic_levels);
  l.max_subscriptions_per_client = static_cast<std::uint32_t>(c.max_subscriptions_per_client);
  l.topic_alias_maximum = static_cast<std::uint16_t>(c.max_topic_alias);
  l.receive_maximum = static_cast<std::uint16_t>(c.receive_maximum);
  l.max_keepalive = static_cast<std::uint16_t>(c.max_keepalive);
  l.server_keep_alive = static_cast<std::uint16_t>(c.server_keep_alive);
  l.publish_rate.messages_per_s = static_cast<std::uint32_t>(c.max_publish_rate);
  l.publish_rate.bytes_per_s = static_cast<std::uint32_t>(c.max_publish_bytes_rate);
  l.session_expiry_max = static_cast<std::uint32_t>(c.session_expiry_max);
  l.message_expiry_max = static_cast<std::uint32_t>(c.message_expiry_max);
  l.retain_available = c.retain_available;
  l.wildcard_subscription_available = c.wildcard_subscription_available;
  l.shared_subscription_available = c.shared_subscription_available;
  l.subscription_identifiers_available = c.subscription_identifiers_available;
  l.max_connections = c.max_connections;
  l.server_reference = c.server_reference;
  l.connect_timeout_ms = static_cast<std::uint32_t>(c.connect_timeout_ms);
  return l;
}

Broker::Broker(Config config) : config_(std::move(config)) {}

Broker::~Broker() { stop(); }

std::optional<std::string> Broker::start() {
  if (running_) {
    return std::nullopt;
  }
  // The password, ACL and SCRAM files first: a malformed one stops the start
  // with its path and line, before any port opens.
  auto security = Security::load(config_);
  if (!security.ok()) {
    return security.error;
  }
  security_ = std::move(*security.value);
  sched::RuntimeConfig rc;
  rc.schedulers = static_cast<unsigned>(config_.schedulers);
  rc.reduction_budget = static_cast<std::int32_t>(config_.reduction_budget);
  runtime_ = std::make_unique<sched::Runtime>(rc);
  ctx_ = std::make_unique<BrokerContext>(*runtime_);
  ctx_->limits = limits_from(config_);
  ctx_->security = security_.get();
  // Test-only fault injection (see BrokerContext::crash_topic).
  if (const char* topic = std::getenv("ACTORMQ_TEST_CRASH_TOPIC")) {
    ctx_->crash_topic = topic;
  }

  std::size_t routers = config_.router_pool_size > 0 ? static_cast<std::size_t>(config_.router_pool_size)
                                                     : runtime_->scheduler_count();
  auto strategy = static_cast<SharedStrategy>(config_.shared_subscription_strategy);
  for (std::size_t i = 0; i < routers; ++i) {
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(i % runtime_->scheduler_count());
    o.pinned = true;  // "local" must stay local: sessions pick the router of their scheduler
    ctx_->routers.routers.push_back(runtime_->spawn(std::make_unique<Router>(strategy), o));
  }
  ctx_->retainer = runtime_->spawn(std::make_unique<Retainer>(ctx_->metrics));
  // One session supervisor per scheduler: sessions are temporary children
  // (a crashed session is cleaned up and logged, never restarted).
  std::vector<sched::Pid> session_sups;
  for (std::size_t s = 0; s < runtime_->scheduler_count(); ++s) {
    sched::SpawnOptions o;
    o.scheduler = static_cast<int>(s);
    o.pinned = true;
    o.start = true;
    session_sups.push_back(runtime_->spawn(std::make_unique<sched::DynamicSupervisor>(), o));
  }
  if (config_.sys_interval > 0) {
    sched::SpawnOptions o;
    o.start = true;
    runtime_->spawn(std::make_unique<SysTopics>(*ctx_, static_cast<std::uint32_t>(config_.sys_interval)), o);
  }

  for (std::size_t li = 0; li < config_.listeners.size(); ++li) {
    const ListenerConfig& lc = config_.listeners[li];
    if (lc.type != ListenerType::tcp) {
      stop();
      return "listener " + lc.bind + ":" + std::to_string(lc.port) + ": type " +
             std::string(listener_type_names[static_cast<std::size_t>(lc.type)]) +
             " is not supported yet";
    }
    auto port = static_cast<std::uint16_t>(lc.port);
    auto shared = std::make_shared<ListenerShared>();
    shared->security = &security_->listener(li);
    // One socket per scheduler on the same port; the first one fixes an ephemeral port.
    for (std::size_t s = 0; s < runtime_->scheduler_count(); ++s) {
      std::promise<std::pair<std::uint16_t, std::string>> bound;
      auto result = bound.get_future();
      sched::SpawnOptions o;
      o.scheduler = static_cast<int>(s);
      o.pinned = true;
      o.start = true;
      listeners_.push_back(runtime_->spawn(
          std::make_unique<Listener>(*ctx_, lc.bind, port, lc.max_connections, shared, session_sups[s],
                                    std::move(bound)),
          o));
      auto [bound_port, error] = result.get();
      if (bound_port == 0) {
        stop();
        return "cannot listen on " + error;
      }
      port = bound_port;
    }
    ports_.push_back(port);
    ACTORMQ_LOG_NOTICE("listening on " << lc.bind << ":" << port << " (tcp)");
  }
  running_ = true;
  return std::nullopt;
}

std::optional<std::string> Broker::reload_security() {
  if (!security_) {
    return "not started";
  }
  if (auto error = security_->reload()) {
    return error;
  }
  return std::nullopt;
}

void Broker::stop() {
  if (!runtime_) {
    return;
  }
  // Stop accepting first, so no session starts while the others end.
  for (sched::Pid l : listeners_) {
    runtime_->exit(l, sched::ExitReason::kill());
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (sched::Pid l : listeners_) {
    while (runtime_->alive(l) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  listeners_.clear();
  runtime_->shutdown(5000);
  runtime_.reset();
  ctx_.reset();
  security_.reset();  // after the sessions that pointed into it
  running_ = false;
}

}  // namespace actormq::core
