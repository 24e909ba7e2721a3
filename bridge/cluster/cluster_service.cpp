#include "bridge/cluster/cluster_service.hpp"

#include <algorithm>

#include "sched/runtime.hpp"

namespace actormq::cluster {

core::SysSources::Topics cluster_sys_topics(const dist::Node& node, const ClusterCounters& counters) {
  auto get = [](const std::atomic<std::uint64_t>& a) { return std::to_string(a.load(std::memory_order_relaxed)); };
  std::vector<std::string> names{node.config().self.name};
  for (const dist::NodeInfo& peer : node.peers()) {
    names.push_back(peer.name);
  }
  std::sort(names.begin(), names.end());
  std::string running;
  for (const std::string& n : names) {
    running += (running.empty() ? "" : ",") + n;
  }
  const std::string at = "$SYS/broker/cluster/";
  dist::NodeStats s = node.stats();
  return {
      {at + "node", node.config().self.name},
      {at + "nodes", std::to_string(names.size())},
      {at + "nodes/running", running},
      {at + "links/up", std::to_string(s.links_up)},
      {at + "links/down", std::to_string(s.links_down)},
      {at + "messages/sent", std::to_string(s.messages_out)},
      {at + "messages/received", std::to_string(s.messages_in)},
      {at + "messages/forwarded/received", get(counters.forwarded_in)},
      {at + "bytes/sent", std::to_string(s.bytes_out)},
      {at + "bytes/received", std::to_string(s.bytes_in)},
      {at + "routes/remote", get(counters.remote_routes)},
      {at + "routes/sent", get(counters.routes_out)},
      {at + "routes/received", get(counters.routes_in)},
      {at + "retained/sent", get(counters.retained_out)},
      {at + "retained/received", get(counters.retained_in)},
      {at + "throttles", get(counters.throttles)},
      {at + "messages/forwarded/sent", get(counters.forwarded_out)},
      {at + "messages/forwarded/dropped", get(counters.forward_dropped)},
      {at + "clients/remote", get(counters.remote_clients)},
      {at + "clients/superseded", get(counters.superseded)},
  };
}

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
  directory_ = std::make_unique<ClusterDirectory>(runtime);
  agent_ = runtime.spawn(std::make_unique<ClusterAgent>(*node, ctx, *directory_, counters_), o);
  directory_->set_agent(agent_);
  runtime_ = &runtime;
  if (!node->register_global(agent_name(node->config().self.name), agent_)) {
    stop();
    return core::Failure{"another process holds the global name " + agent_name(node->config().self.name) +
                         " (a second node with this name?)"};
  }
  ctx.routers.observers.push_back(agent_);
  ctx.registry.set_directory(directory_.get());  // before the first session (Broker::start)
  ctx_ = &ctx;
  sys_source_ = ctx.sys_sources.add([node, &counters = counters_] { return cluster_sys_topics(*node, counters); });
  return mqtt::Ok{};
}

void ClusterService::stop() {
  if (ctx_ != nullptr) {
    ctx_->sys_sources.remove(sys_source_);  // before the node goes
    ctx_->registry.set_directory(nullptr);  // the directory stays until we go: a session may still read it
    ctx_ = nullptr;
  }
  if (runtime_ != nullptr && agent_.valid()) {
    runtime_->exit(agent_, sched::ExitReason::kill());
  }
  agent_ = {};
  runtime_ = nullptr;
}

}  // namespace actormq::cluster
