#pragma once
// The cluster broker as a broker service (core/service.hpp): built by the
// composition root beside the node (bridge/dist/node_service.hpp), whose
// links it routes over. It registers its message types with the node before
// the node starts, and at start spawns the cluster agent (cluster_agent.hpp),
// makes it an observer of the routers and gives it its global name.

#include <memory>
#include <string_view>
#include <vector>

#include "bridge/cluster/cluster_agent.hpp"
#include "bridge/dist/node_service.hpp"
#include "core/metric_sources.hpp"
#include "core/service.hpp"
#include "core/sys_sources.hpp"

namespace actormq::cluster {

/// The cluster's $SYS topics (under $SYS/broker/cluster/): the nodes, the
/// links, what crossed them, the routes and retained messages exchanged.
/// `remote_routes`: the peers' rows the routers hold (RouterPool::node_rows).
[[nodiscard]] core::SysSources::Topics cluster_sys_topics(const dist::Node& node, const ClusterCounters& counters,
                                                          std::int64_t remote_routes);
/// The same as /metrics families (actormq_cluster_*).
[[nodiscard]] std::vector<core::MetricFamily> cluster_metrics(const dist::Node& node, const ClusterCounters& counters,
                                                              std::int64_t remote_routes);

class ClusterService final : public core::Service {
 public:
  /// `node` is added to the broker before this service, and outlives it.
  explicit ClusterService(dist::NodeService& node);

  std::string_view name() const override { return "cluster broker"; }
  [[nodiscard]] core::Status start(core::BrokerContext& ctx, sched::Runtime& runtime) override;
  void stop() override;

  [[nodiscard]] const ClusterCounters& counters() const noexcept { return counters_; }

 private:
  dist::NodeService& node_;
  sched::Runtime* runtime_ = nullptr;
  core::BrokerContext* ctx_ = nullptr;
  sched::Pid agent_;
  std::unique_ptr<ClusterDirectory> directory_;
  std::uint64_t sys_source_ = 0;
  std::uint64_t metric_source_ = 0;
  ClusterCounters counters_;
};

}  // namespace actormq::cluster
