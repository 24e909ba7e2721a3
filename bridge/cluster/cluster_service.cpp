#include "bridge/cluster/cluster_service.hpp"

#include <algorithm>

#include "sched/runtime.hpp"

namespace actormq::cluster {

core::SysSources::Topics cluster_sys_topics(const dist::Node& node, const ClusterCounters& counters,
                                            std::int64_t remote_routes) {
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
      {at + "routes/remote", std::to_string(remote_routes)},
      {at + "routes/sent", get(counters.routes_out)},
      {at + "routes/received", get(counters.routes_in)},
      {at + "retained/sent", get(counters.retained_out)},
      {at + "retained/received", get(counters.retained_in)},
      {at + "throttles", get(counters.throttles)},
      {at + "messages/forwarded/sent", get(counters.forwarded_out)},
      {at + "messages/forwarded/dropped", get(counters.forward_dropped)},
      {at + "clients/remote", get(counters.remote_clients)},
      {at + "clients/superseded", get(counters.superseded)},
      {at + "clients/adopted", get(counters.adopted)},
  };
}

std::vector<core::MetricFamily> cluster_metrics(const dist::Node& node, const ClusterCounters& counters,
                                                std::int64_t remote_routes) {
  auto get = [](const std::atomic<std::uint64_t>& a) { return static_cast<std::int64_t>(a.load(std::memory_order_relaxed)); };
  auto one = [](std::string name, std::string type, std::string help, std::int64_t value) {
    return core::MetricFamily{std::move(name), std::move(type), std::move(help), {{"", value}}};
  };
  core::MetricFamily up{"actormq_cluster_node_up", "gauge", "1 for each node this node has a link to, and itself.",
                        {{core::metric_label("node", node.config().self.name), 1}}};
  for (const dist::NodeInfo& peer : node.peers()) {
    up.samples.emplace_back(core::metric_label("node", peer.name), 1);
  }
  auto nodes = static_cast<std::int64_t>(up.samples.size());
  dist::NodeStats s = node.stats();
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  return {
      one("actormq_cluster_nodes", "gauge", "Nodes of the cluster this node sees running, itself included.", nodes),
      std::move(up),
      one("actormq_cluster_links_up_total", "counter", "Node links established.", n(s.links_up)),
      one("actormq_cluster_links_down_total", "counter", "Node links lost or closed.", n(s.links_down)),
      one("actormq_cluster_messages_sent_total", "counter", "Process messages sent over node links.", n(s.messages_out)),
      one("actormq_cluster_messages_received_total", "counter", "Process messages received over node links.",
          n(s.messages_in)),
      one("actormq_cluster_bytes_sent_total", "counter", "Bytes written to node links.", n(s.bytes_out)),
      one("actormq_cluster_bytes_received_total", "counter", "Bytes read from node links.", n(s.bytes_in)),
      one("actormq_cluster_forwarded_sent_total", "counter", "Publishes forwarded to other nodes.",
          get(counters.forwarded_out)),
      one("actormq_cluster_forwarded_received_total", "counter", "Publishes other nodes forwarded here.",
          get(counters.forwarded_in)),
      one("actormq_cluster_forwarded_dropped_total", "counter",
          "Publishes for another node dropped because its link took nothing.", get(counters.forward_dropped)),
      one("actormq_cluster_routes_remote", "gauge", "Route rows of other nodes held here.", remote_routes),
      one("actormq_cluster_clients_remote", "gauge", "Client ids other nodes hold, as this node knows them.",
          get(counters.remote_clients)),
      one("actormq_cluster_retained_sent_total", "counter", "Retained messages passed to other nodes.",
          get(counters.retained_out)),
      one("actormq_cluster_retained_received_total", "counter", "Retained messages other nodes passed here.",
          get(counters.retained_in)),
      one("actormq_cluster_throttles_total", "counter", "Publishers on other nodes slowed down by this one.",
          get(counters.throttles)),
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
  // The routers' table of rows to other nodes is made with the routers, after this.
  const core::RouterPool& routers = ctx.routers;
  auto rows = [&routers] { return routers.node_rows != nullptr ? routers.node_rows->size() : 0; };
  sys_source_ = ctx.sys_sources.add([node, &counters = counters_, rows] {
    return cluster_sys_topics(*node, counters, rows());
  });
  metric_source_ = ctx.metric_sources.add([node, &counters = counters_, rows] {
    return cluster_metrics(*node, counters, rows());
  });
  return mqtt::Ok{};
}

void ClusterService::stop() {
  if (ctx_ != nullptr) {
    ctx_->sys_sources.remove(sys_source_);  // before the node goes
    ctx_->metric_sources.remove(metric_source_);
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
