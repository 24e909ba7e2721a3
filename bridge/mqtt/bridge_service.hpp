#pragma once
// The MQTT bridges as a broker service (core/service.hpp): built by the
// composition root (core/main.cpp) when the configuration has bridges. At
// the broker's start it loads each bridge's TLS files (a bad one fails the
// start, naming the bridge's key) and starts one BridgeLink process per
// bridge; they stop with the broker.

#include <memory>
#include <string_view>
#include <vector>

#include "bridge/mqtt/bridge_link.hpp"
#include "core/config/bridges.hpp"
#include "core/result.hpp"
#include "core/service.hpp"
#include "sched/pid.hpp"

namespace actormq::bridge {

/// The setup of `config` (the i-th bridge, for messages): its endpoints,
/// topic map and TLS client context.
[[nodiscard]] core::Result<std::shared_ptr<const BridgeSetup>> bridge_setup(const core::BridgeConfig& config,
                                                                            std::size_t index);

class BridgeService final : public core::Service {
 public:
  explicit BridgeService(std::vector<core::BridgeConfig> bridges);
  ~BridgeService() override;

  std::string_view name() const override { return "bridges"; }
  [[nodiscard]] core::Status start(core::BrokerContext& ctx, sched::Runtime& runtime) override;
  void stop() override;

 private:
  std::vector<core::BridgeConfig> bridges_;
  sched::Runtime* runtime_ = nullptr;
  std::vector<sched::Pid> links_;
};

}  // namespace actormq::bridge
