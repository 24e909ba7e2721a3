#pragma once
// Fault injection, for tests only. Integration tests (tests/integration) make
// a real broker misbehave on purpose through three environment variables,
// read once, here, when a Broker starts; nothing else in the broker reads the
// environment for them. Unset (as in production), each is off and costs
// nothing on the paths it would disturb:
//
//   ACTORMQ_TEST_CRASH_TOPIC=<topic>
//       A message a client publishes to <topic> ends its session process
//       with reason exception ("injected fault on topic <topic>"), as a
//       handler that throws would: exercises crash cleanup (will, stored
//       session kept, other clients untouched).
//   ACTORMQ_TEST_HANDOVER_DELAY_MS=<ms>
//       A session taking over another holds the handed-over state this long
//       before adopting it: widens the window in which deliveries reach it
//       during a takeover.
//   ACTORMQ_TEST_RETAINED_LOAD_HOLD_MS=<ms>
//       The background load of the retained messages at start takes this
//       much longer: lets tests publish and subscribe while it runs.
//   ACTORMQ_TEST_FORWARD_DELAY_MS=<ms>
//       The node's cluster agent holds what peers forward to it (publishes,
//       and the pongs that come behind them) this long, in order, as a slow
//       inbound link would: messages a peer routed here may then arrive after
//       what other peers sent later (a takeover's release).
//   ACTORMQ_TEST_NO_ADOPTION=1
//       The node's cluster agent ignores the sessions an evacuated peer asks
//       it to take (core/evacuation.hpp), as a node of an earlier version
//       that does not know the request refuses it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::core {

/// What the fault-injection variables asked for; all off by default.
struct FaultInjection {
  /// ACTORMQ_TEST_CRASH_TOPIC; empty: off.
  std::string crash_topic;
  /// ACTORMQ_TEST_HANDOVER_DELAY_MS; 0: off.
  std::uint32_t handover_delay_ms = 0;
  /// ACTORMQ_TEST_RETAINED_LOAD_HOLD_MS; 0: off.
  std::chrono::milliseconds retained_load_hold{0};
  /// ACTORMQ_TEST_NO_ADOPTION; false: off.
  bool no_adoption = false;
  /// ACTORMQ_TEST_FORWARD_DELAY_MS; 0: off.
  std::uint32_t forward_delay_ms = 0;

  /// Some fault is on.
  [[nodiscard]] bool any() const {
    return !crash_topic.empty() || handover_delay_ms != 0 || retained_load_hold.count() != 0 || no_adoption ||
           forward_delay_ms != 0;
  }
  /// One line for the log naming every fault that is on.
  [[nodiscard]] std::string describe() const;

  /// Reads the variables through `lookup`, which has std::getenv's shape
  /// (null: unset). Numbers are read as strtoul reads them (not a number: 0).
  [[nodiscard]] static FaultInjection read(const std::function<const char*(const char*)>& lookup);
  /// Reads the process environment: the broker's one read, at start.
  [[nodiscard]] static FaultInjection from_environment();
};

/// Thread-safe. Makes the crash topic take effect: spawns the process that
/// subscribes to `topic` on every router in `routers` and ends the publisher
/// of whatever it receives. Call before the listeners accept. Returns its
/// pid; the null pid if `topic` is no topic name (no PUBLISH can match it).
///
/// Why a subscriber and not a check in the session's PUBLISH handler: the
/// routers already match every PUBLISH against the routes, so a route that
/// exists only when the variable is set costs nothing otherwise, and the
/// release publish path compares no topic with a test hook. The price, for
/// tests only: the crash comes just after the message is routed (a QoS 1/2
/// PUBLISH may be acknowledged, a retained one is kept) instead of in place
/// of routing it.
sched::Pid install_crash_topic(sched::Runtime& runtime, const std::string& topic,
                               std::span<const sched::Pid> routers);

}  // namespace actormq::core
