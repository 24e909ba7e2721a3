#pragma once
// The node as a broker service (core/service.hpp): built by the composition
// root (core/main.cpp) when the configuration has a `cluster` object. It
// starts the node (listener, seeds, the runtime's RemoteDelivery) with the
// broker, before the MQTT listeners open, and stops it with the broker.

#include <memory>
#include <string_view>

#include "bridge/dist/node.hpp"
#include "bridge/dist/registry.hpp"
#include "core/config/config.hpp"
#include "core/service.hpp"

namespace actormq::dist {

/// The node's configuration from the `cluster` object and the cookie the
/// broker read (BrokerContext::cluster_cookie).
[[nodiscard]] core::Result<NodeConfig> node_config(const core::ClusterConfig& cluster, std::string cookie);

class NodeService final : public core::Service {
 public:
  explicit NodeService(core::ClusterConfig cluster);
  ~NodeService() override;

  std::string_view name() const override { return "cluster"; }
  [[nodiscard]] core::Status start(core::BrokerContext& ctx, sched::Runtime& runtime) override;
  void stop() override;

  /// Null before start and after stop.
  [[nodiscard]] Node* node() const noexcept { return node_.get(); }
  /// The types that may cross the node's links: other services add theirs
  /// here before the broker starts (read-only from then on).
  [[nodiscard]] Registry& registry() noexcept { return registry_; }

 private:
  core::ClusterConfig cluster_;
  Registry registry_;
  std::unique_ptr<Node> node_;
};

}  // namespace actormq::dist
