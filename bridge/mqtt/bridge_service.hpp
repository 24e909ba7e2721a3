#pragma once
// The MQTT bridges as a broker service (core/service.hpp): built by the
// composition root (core/main.cpp) when the configuration has bridges. At
// the broker's start it loads each bridge's TLS files (a bad one fails the
// start, naming the bridge's key) and starts one BridgeLink process per
// bridge; they stop with the broker. Each bridge's counters (messages in,
// out, buffered, dropped, its state) are kept from construction on, read by
// $SYS/broker/bridge/<name>/... and by whoever holds the service. On reload
// (SIGHUP) it reads the bridges of the configuration file again: a bridge
// added starts, one removed stops, one changed gets a new process with its
// new settings, which takes the old one's routes and messages over
// (bridge_link.hpp: nothing published meanwhile is lost), and one unchanged
// keeps its process and its connection.

#include <memory>
#include <mutex>
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
  /// `config_file`: where `bridges` came from, read again by reload(); "":
  /// none (reload() changes nothing).
  explicit BridgeService(std::vector<core::BridgeConfig> bridges, std::string config_file = {});
  ~BridgeService() override;

  std::string_view name() const override { return "bridges"; }
  [[nodiscard]] core::Status start(core::BrokerContext& ctx, sched::Runtime& runtime) override;
  void stop() override;
  /// The bridges of the configuration file, read again, are applied. A file
  /// that does not load changes nothing.
  [[nodiscard]] core::Status reload() override;
  /// The links dial their remotes from now on (core::Service::serving).
  void serving() override;

  /// While started, on the broker's thread: the bridges become `bridges`
  /// (already checked, as load_config does), matched by name: one whose
  /// settings are equal keeps its process and connection; a changed one's
  /// process hands over to a new one (returns once it has); a removed one
  /// stops (its messages stay in the store, and go if it comes back). On an
  /// error (a bridge's TLS files) nothing changes.
  [[nodiscard]] core::Status apply(std::vector<core::BridgeConfig> bridges);

  /// Thread-safe. Every bridge's counters, in configuration order (from
  /// construction on; they stay at zero until start()).
  [[nodiscard]] std::vector<BridgeStats> stats() const;

  /// core::BridgeControl, registered while started.
  [[nodiscard]] std::vector<core::BridgeView> bridge_views() const override;
  bool set_bridge_enabled(std::string_view name, bool enabled) override;

 private:
  /// `predecessor`: the process it replaces, which hands over to it.
  sched::Pid start_link(std::shared_ptr<const BridgeSetup> setup, sched::Pid predecessor = {});
  /// Ends these processes and waits until they have.
  void end_links(const std::vector<sched::Pid>& pids);
  /// Waits up to `ms` milliseconds until none of these processes runs; false: some still do.
  [[nodiscard]] bool wait_ended(const std::vector<sched::Pid>& pids, int ms) const;
  /// (Again) registers the $SYS source of the bridges' counters.
  void watch_stats();
  /// Logs the stored messages of bridges the configuration no longer has.
  void report_unconfigured() const;

  const std::string config_file_;
  mutable std::mutex mu_;  ///< the vectors below: the HTTP API reads them while reload() changes them
  std::vector<core::BridgeConfig> bridges_;
  std::vector<BridgeStats> stats_;
  std::vector<std::shared_ptr<BridgeCounters>> counters_;  ///< the same, writable
  core::BrokerContext* ctx_ = nullptr;
  std::uint64_t sys_source_ = 0;
  std::uint64_t control_id_ = 0;
  sched::Runtime* runtime_ = nullptr;
  std::vector<sched::Pid> links_;
  std::atomic<bool> serving_{false};  ///< links started from now on dial at once
};

}  // namespace actormq::bridge
