#pragma once
// What every session process of a broker shares: limits, the router pool, the
// retainer, the client registry and the counters. Built before the first
// listener opens and immutable afterwards, apart from its thread-safe members.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/bridge_control.hpp"
#include "core/faults.hpp"
#include "core/limits.hpp"
#include "core/metric_sources.hpp"
#include "core/restore_latch.hpp"
#include "core/metrics.hpp"
#include "core/reload_report.hpp"
#include "core/routing/router.hpp"
#include "core/evacuation.hpp"
#include "core/session_registry.hpp"
#include "core/sys_sources.hpp"
#include "core/store/ack_gate.hpp"
#include "persist/env.hpp"
#include "persist/writer.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::core {

class Security;

/// Starts a reload of the configuration file on a thread of its own (never
/// a scheduler's: a reload waits for listener processes) and calls `done`
/// there with the outcome. False, and `done` is not called: a reload is
/// already running.
using ReloadHook = std::function<bool(std::function<void(ReloadReport)> done)>;

struct BrokerContext {
  /// The runtime's host (sched::Runtime::host): its sessions find it there.
  explicit BrokerContext(sched::Runtime& rt) : runtime(rt) { rt.set_host(this); }
  BrokerContext(const BrokerContext&) = delete;
  BrokerContext& operator=(const BrokerContext&) = delete;

  sched::Runtime& runtime;
  /// Restored sessions whose routes are sent (restore_latch.hpp).
  RestoreLatch restored;
  /// The limits in force (limits.get()); a reload replaces them.
  LimitsInForce limits;
  RouterPool routers;
  sched::Pid retainer;
  SessionRegistry registry;
  /// Node evacuation (POST /api/v1/evacuate): refuses CONNECTs while on.
  Evacuation evacuation;
  Metrics metrics;
  /// Authentication and ACL rules, per listener (owned by the Broker).
  Security* security = nullptr;
  std::atomic<std::int64_t> connections{0};  ///< open client sockets
  std::atomic<std::int64_t> http_connections{0};  ///< open connections of http/https listeners
  /// The persistence process; nullptr: memory only (durability none).
  persist::Writer* store = nullptr;
  /// The store the Writer writes, for reading back at start (bridge/mqtt);
  /// nullptr with `store`.
  const persist::Env* env = nullptr;
  /// durability sync: acknowledgements wait for the commit of what they acknowledge.
  bool durable_acks = false;
  /// Where the acknowledgement gates of durability sync report (core/store/ack_gate.hpp).
  std::shared_ptr<AckSink> ack_sink;
  /// $SYS topics of the services (bridges), published with the broker's own.
  SysSources sys_sources;
  /// /metrics families of the services (the cluster), after the broker's own.
  MetricSources metric_sources;
  /// The bridges, as the HTTP API lists and switches them.
  BridgeControls bridges;
  /// The cluster's cookie (cluster.cookie or cluster.cookie_file), read
  /// once at start, for the node link; empty: a single node.
  std::string cluster_cookie;
  /// POST /api/v1/reload runs it (set by the composition root); empty: this
  /// broker has no file to reload.
  ReloadHook reload;
  /// Test-only fault injection (core/faults.hpp), read once by the Broker at
  /// start; all off unless an ACTORMQ_TEST_* variable is set.
  FaultInjection faults;
};

}  // namespace actormq::core
