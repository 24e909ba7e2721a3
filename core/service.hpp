#pragma once
// A service: what a broker runs beside its sessions and listeners (the
// cluster in bridge/cluster, MQTT bridges in bridge/mqtt, the HTTP API).
// The composition root (embed/broker.cpp, or an embedding program) builds them
// and hands them to Broker::add_service, so core's library never includes
// them: dependencies point from the service to core, never back.
//
// Every method is called by the Broker on the thread that calls its
// start(), stop() and reload_services(), never concurrently.

#include <string_view>

#include "core/result.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::core {

struct BrokerContext;

class Service {
 public:
  virtual ~Service() = default;

  /// Names the service in errors and logs ("service <name>: ...").
  virtual std::string_view name() const = 0;

  /// Called by Broker::start once the routers, the retainer and the store
  /// exist, before any session (restored ones included) starts and before
  /// the listeners open: a cluster announces its routes before clients
  /// arrive, and route observers (RouterPool::observers) are registered
  /// here, as nothing reads the pool yet. Both references stay valid until
  /// stop(). On an error returns it: the broker's start fails with it, and
  /// stop() is not called for this service, so it must leave nothing behind.
  [[nodiscard]] virtual Status start(BrokerContext& ctx, sched::Runtime& runtime) = 0;

  /// Called by Broker::stop, in the reverse order of start, for a service
  /// whose start succeeded: after the listeners closed, while the runtime
  /// still runs (its processes may be told to end), before the sessions end
  /// and the store closes.
  virtual void stop() = 0;

  /// SIGHUP: read again what the service reads from files. On an error
  /// returns it, and the service keeps its previous settings.
  [[nodiscard]] virtual Status reload() { return mqtt::Ok{}; }
  /// The broker serves: the restored sessions' routes are in place and the
  /// listeners accept. A service that brings messages in from outside (a
  /// bridge) starts here, not in start(), or what it routes first could miss
  /// a restored session (core/restore_latch.hpp).
  virtual void serving() {}
};

}  // namespace actormq::core
