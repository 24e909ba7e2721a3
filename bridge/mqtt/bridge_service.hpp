#pragma once
// The MQTT bridges as a broker service (core/service.hpp): built by the
// composition root (core/main.cpp) when the configuration has bridges. At
// the broker's start it loads each bridge's TLS files (a bad one fails the
// start, naming the bridge's key) and starts one BridgeLink process per
// bridge; they stop with the broker. Each bridge's counters (messages in,
// out, buffered, dropped, its state) are kept from construction on, read by
// $SYS/broker/bridge/<name>/... and by whoever holds the service.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/mqtt/bridge_link.hpp"
#include "core/bridge_control.hpp"
#include "core/config/bridges.hpp"
#include "core/result.hpp"
#include "core/service.hpp"
#include "core/sys_sources.hpp"
#include "sched/pid.hpp"

namespace actormq::bridge {

/// The setup of `config` (the i-th bridge, for messages): its endpoints,
/// topic map and TLS client context; `counters` null: fresh ones.
[[nodiscard]] core::Result<std::shared_ptr<const BridgeSetup>> bridge_setup(
    const core::BridgeConfig& config, std::size_t index, std::shared_ptr<BridgeCounters> counters = nullptr);

/// One bridge's counters, as the service exposes them.
struct BridgeStats {
  std::string name;
  std::shared_ptr<const BridgeCounters> counters;
};

/// The $SYS topics of a bridge's counters: $SYS/broker/bridge/<name>/
/// messages/{received,sent,dropped}, buffered/{messages,bytes} and state.
[[nodiscard]] core::SysSources::Topics bridge_sys_topics(const BridgeStats& stats);

class BridgeService final : public core::Service, public core::BridgeControl {
 public:
  explicit BridgeService(std::vector<core::BridgeConfig> bridges);
  ~BridgeService() override;

  std::string_view name() const override { return "bridges"; }
  [[nodiscard]] core::Status start(core::BrokerContext& ctx, sched::Runtime& runtime) override;
  void stop() override;

  /// Thread-safe. Every bridge's counters, in configuration order (from
  /// construction on; they stay at zero until start()).
  [[nodiscard]] const std::vector<BridgeStats>& stats() const noexcept { return stats_; }

  /// core::BridgeControl, registered while started.
  [[nodiscard]] std::vector<core::BridgeView> bridge_views() const override;
  bool set_bridge_enabled(std::string_view name, bool enabled) override;

 private:
  std::vector<core::BridgeConfig> bridges_;
  std::vector<BridgeStats> stats_;
  std::vector<std::shared_ptr<BridgeCounters>> counters_;  ///< the same, writable
  core::BrokerContext* ctx_ = nullptr;
  std::uint64_t sys_source_ = 0;
  std::uint64_t control_id_ = 0;
  sched::Runtime* runtime_ = nullptr;
  std::vector<sched::Pid> links_;
};

}  // namespace actormq::bridge
