#include "bridge/mqtt/bridge_service.hpp"

#include <unistd.h>

#include "core/broker_context.hpp"
#include "core/config/cluster.hpp"
#include "core/logger.hpp"
#include "sched/runtime.hpp"

namespace actormq::bridge {

core::Result<std::shared_ptr<const BridgeSetup>> bridge_setup(const core::BridgeConfig& config, std::size_t index) {
  const std::string key = "bridges[" + std::to_string(index) + "].";
  auto setup = std::make_shared<BridgeSetup>(BridgeSetup{config, {}, nullptr, TopicMap(config.topics)});
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
    o.insecure = config.tls->insecure;
    auto made = net::TlsClientContext::create(o);
    if (!made.context) {
      return core::Failure{key + "tls: " + made.error};
    }
    setup->tls = std::move(made.context);
  }
  return std::shared_ptr<const BridgeSetup>(std::move(setup));
}

BridgeService::BridgeService(std::vector<core::BridgeConfig> bridges) : bridges_(std::move(bridges)) {}

BridgeService::~BridgeService() { stop(); }

core::Status BridgeService::start(core::BrokerContext& ctx, sched::Runtime& runtime) {
  // Every bridge's files first: a start that fails leaves nothing running.
  std::vector<std::shared_ptr<const BridgeSetup>> setups;
  for (std::size_t i = 0; i < bridges_.size(); ++i) {
    auto setup = bridge_setup(bridges_[i], i);
    if (!setup) {
      return std::move(setup).error();
    }
    setups.push_back(std::move(*setup));
  }
  runtime_ = &runtime;
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
  return mqtt::Ok{};
}

void BridgeService::stop() {
  if (runtime_ == nullptr) {
    return;
  }
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
  runtime_ = nullptr;
}

}  // namespace actormq::bridge
