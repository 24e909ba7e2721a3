#include "bridge/mqtt/bridge_service.hpp"

#include <unistd.h>

#include "core/broker_context.hpp"
#include "core/config/cluster.hpp"
#include "core/logger.hpp"
#include "sched/runtime.hpp"

namespace actormq::bridge {

core::Result<std::shared_ptr<const BridgeSetup>> bridge_setup(const core::BridgeConfig& config, std::size_t index,
                                                              std::shared_ptr<BridgeCounters> counters) {
  const std::string key = "bridges[" + std::to_string(index) + "].";
  if (!counters) {
    counters = std::make_shared<BridgeCounters>();
  }
  auto setup = std::make_shared<BridgeSetup>(
      BridgeSetup{config, {}, nullptr, TopicMap(config.topics), std::move(counters)});
  for (const std::string& text : config.endpoints()) {
    auto endpoint = core::parse_seed(text);
    if (!endpoint) {
      return std::move(endpoint).error().prefixed(key + "address: ");
    }
    setup->endpoints.push_back(std::move(*endpoint));
  }
  if (setup->endpoints.empty()) {
    return core::Failure{key + "address: required"};
  }
  if (config.tls) {
    net::TlsClientOptions o;
    o.cafile = config.tls->cafile;
    o.certfile = config.tls->certfile;
    o.keyfile = config.tls->keyfile;
    o.crlfile = config.tls->crlfile;
    o.psk = config.tls->psk;
    o.psk_identity = config.tls->psk_identity;
    o.insecure = config.tls->insecure;
    auto made = net::TlsClientContext::create(o);
    if (!made.context) {
      return core::Failure{key + "tls: " + made.error};
    }
    setup->tls = std::move(made.context);
  }
  return std::shared_ptr<const BridgeSetup>(std::move(setup));
}

core::SysSources::Topics bridge_sys_topics(const BridgeStats& stats) {
  const BridgeCounters& c = *stats.counters;
  const std::string base = "$SYS/broker/bridge/" + stats.name + "/";
  auto n = [](const std::atomic<std::uint64_t>& v) { return std::to_string(v.load(std::memory_order_relaxed)); };
  return {
      {base + "messages/received", n(c.messages_in)},
      {base + "messages/sent", n(c.messages_out)},
      {base + "messages/dropped", n(c.dropped)},
      {base + "buffered/messages", n(c.buffered)},
      {base + "buffered/bytes", n(c.buffered_bytes)},
      {base + "state", std::string(c.state_name())},
  };
}

std::vector<core::BridgeView> BridgeService::bridge_views() const {
  std::vector<core::BridgeView> out;
  for (std::size_t i = 0; i < bridges_.size(); ++i) {
    const BridgeCounters& c = *counters_[i];
    auto n = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
    core::BridgeView v;
    v.name = bridges_[i].name;
    v.type = "mqtt";
    std::vector<std::string> endpoints = bridges_[i].endpoints();
    v.remote = endpoints.empty() ? std::string() : endpoints.front();
    v.enabled = c.enabled.load(std::memory_order_relaxed);
    v.state = std::string(c.state_name());
    v.messages_received = n(c.messages_in);
    v.messages_sent = n(c.messages_out);
    v.messages_dropped = n(c.dropped);
    v.buffered_messages = n(c.buffered);
    v.buffered_bytes = n(c.buffered_bytes);
    out.push_back(std::move(v));
  }
  return out;
}

bool BridgeService::set_bridge_enabled(std::string_view name, bool enabled) {
  for (std::size_t i = 0; i < bridges_.size(); ++i) {
    if (bridges_[i].name == name) {
      counters_[i]->enabled.store(enabled, std::memory_order_relaxed);
      // Called with the controls' lock held, which stop() takes first: the
      // runtime and links_ are still ours.
      runtime_->send<BridgeEnable>(links_[i], BridgeEnable{enabled});
      return true;
    }
  }
  return false;
}

BridgeService::BridgeService(std::vector<core::BridgeConfig> bridges) : bridges_(std::move(bridges)) {
  for (const core::BridgeConfig& b : bridges_) {
    counters_.push_back(std::make_shared<BridgeCounters>());
    stats_.push_back(BridgeStats{b.name, counters_.back()});
  }
}

BridgeService::~BridgeService() { stop(); }

core::Status BridgeService::start(core::BrokerContext& ctx, sched::Runtime& runtime) {
  // Every bridge's files first: a start that fails leaves nothing running.
  std::vector<std::shared_ptr<const BridgeSetup>> setups;
  for (std::size_t i = 0; i < bridges_.size(); ++i) {
    auto setup = bridge_setup(bridges_[i], i, counters_[i]);
    if (!setup) {
      return std::move(setup).error();
    }
    setups.push_back(std::move(*setup));
  }
  runtime_ = &runtime;
  ctx_ = &ctx;
  sys_source_ = ctx.sys_sources.add([stats = stats_] {
    core::SysSources::Topics all;
    for (const BridgeStats& s : stats) {
      core::SysSources::Topics some = bridge_sys_topics(s);
      all.insert(all.end(), some.begin(), some.end());
    }
    return all;
  });
  for (auto& setup : setups) {
    const core::BridgeConfig& c = setup->config;
    if (setup->tls && setup->tls->insecure()) {
      ACTORMQ_LOG_WARNING("bridge " << c.name << ": tls.insecure is set: the remote's certificate is not verified");
    }
    ACTORMQ_LOG_NOTICE("bridge " << c.name << ": to " << c.endpoints().front()
                                 << (c.endpoints().size() > 1 ? " (and fallbacks)" : "") << (setup->tls ? " over TLS" : "")
                                 << ", " << c.topics.size() << " topic(s)");
    sched::SpawnOptions o;
    o.pinned = true;
    o.start = true;
    links_.push_back(runtime.spawn(std::make_unique<BridgeLink>(ctx, std::move(setup)), o));
  }
  control_id_ = ctx.bridges.add(this);
  return mqtt::Ok{};
}

void BridgeService::stop() {
  if (runtime_ == nullptr) {
    return;
  }
  ctx_->bridges.remove(control_id_);  // before links_ changes: the API no longer switches them
  for (sched::Pid pid : links_) {
    runtime_->exit(pid, sched::ExitReason::kill());
  }
  // Each ends on its scheduler (its last words to the remote, its routes
  // removed): wait, so that none refers to the broker once stop() returns.
  for (int i = 0; i < 5000; ++i) {
    bool any = false;
    for (sched::Pid pid : links_) {
      any = any || runtime_->alive(pid);
    }
    if (!any) {
      break;
    }
    usleep(1000);
  }
  links_.clear();
  ctx_->sys_sources.remove(sys_source_);
  ctx_ = nullptr;
  runtime_ = nullptr;
}

}  // namespace actormq::bridge
