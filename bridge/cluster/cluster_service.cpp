#include "bridge/cluster/cluster_service.hpp"

#include "sched/runtime.hpp"

namespace actormq::cluster {

ClusterService::ClusterService(dist::NodeService& node) : node_(node) {
  add_cluster_types_v1(node_.registry());
}

core::Status ClusterService::start(core::BrokerContext& ctx, sched::Runtime& runtime) {
  dist::Node* node = node_.node();
  if (node == nullptr) {
    return core::Failure{"the cluster node is not running"};
  }
  sched::SpawnOptions o;
  o.pinned = true;  // its timers, and one router for what it forwards
  o.start = true;
  agent_ = runtime.spawn(std::make_unique<ClusterAgent>(*node, ctx, counters_), o);
  runtime_ = &runtime;
  if (!node->register_global(agent_name(node->config().self.name), agent_)) {
    stop();
    return core::Failure{"another process holds the global name " + agent_name(node->config().self.name) +
                         " (a second node with this name?)"};
  }
  ctx.routers.observers.push_back(agent_);
  return mqtt::Ok{};
}

void ClusterService::stop() {
  if (runtime_ != nullptr && agent_.valid()) {
    runtime_->exit(agent_, sched::ExitReason::kill());
  }
  agent_ = {};
  runtime_ = nullptr;
}

}  // namespace actormq::cluster
