#pragma once
// What every session process of a broker shares: limits, the router pool, the
// retainer, the client registry and the counters. Built before the first
// listener opens and immutable afterwards, apart from its thread-safe members.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/faults.hpp"
#include "core/metrics.hpp"
#include "core/rate_limit.hpp"
#include "core/routing/router.hpp"
#include "core/session_registry.hpp"
#include "core/store/ack_gate.hpp"
#include "persist/writer.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {
class Runtime;
}

namespace actormq::core {

class Security;

/// Protocol limits and features, each a config key (see README).
struct Limits {
  std::uint32_t max_packet_size = 2097152;         ///< bytes, both directions
  std::uint16_t max_inflight = 20;                 ///< outgoing QoS 1/2 unacknowledged, per session
  std::uint32_t max_queued = 1000;                 ///< messages queued per session
  std::size_t max_queued_bytes = 8u << 20;         ///< unsent bytes per session (out queue)
  bool queue_qos0 = false;                         ///< queue QoS 0 for offline sessions
  std::uint32_t max_topic_levels = 128;
  std::uint32_t max_subscriptions_per_client = 0;  ///< 0: unlimited
  std::uint16_t topic_alias_maximum = 10;          ///< inbound aliases we accept (v5)
  std::uint16_t receive_maximum = 65535;           ///< inbound QoS 1/2 in flight (v5)
  std::uint16_t max_keepalive = 65535;             ///< seconds; larger requests are lowered (v5)
  std::uint16_t server_keep_alive = 0;             ///< seconds imposed on v5 clients; 0: theirs
  std::uint32_t session_expiry_max = 0xFFFFFFFF;   ///< seconds
  std::uint32_t message_expiry_max = 0;            ///< seconds; 0: no cap
  bool retain_available = true;
  bool wildcard_subscription_available = true;
  bool shared_subscription_available = true;
  bool subscription_identifiers_available = true;
  std::int64_t max_connections = -1;               ///< -1: unlimited
  std::string server_reference;                    ///< v5: sent with 0x9C/0x9D when set
  std::string response_information;                ///< v5: for clients that request it; %c: client id
  std::uint32_t connect_timeout_ms = 10000;        ///< CONNECT must arrive within this
  RateLimits publish_rate;                         ///< per client; 0: unlimited
};

struct BrokerContext {
  explicit BrokerContext(sched::Runtime& rt) : runtime(rt) {}
  BrokerContext(const BrokerContext&) = delete;
  BrokerContext& operator=(const BrokerContext&) = delete;

  sched::Runtime& runtime;
  Limits limits;
  RouterPool routers;
  sched::Pid retainer;
  SessionRegistry registry;
  Metrics metrics;
  /// Authentication and ACL rules, per listener (owned by the Broker).
  Security* security = nullptr;
  std::atomic<std::int64_t> connections{0};  ///< open client sockets
  /// The persistence process; nullptr: memory only (durability none).
  persist::Writer* store = nullptr;
  /// durability sync: acknowledgements wait for the commit of what they acknowledge.
  bool durable_acks = false;
  /// Where the acknowledgement gates of durability sync report (core/store/ack_gate.hpp).
  std::shared_ptr<AckSink> ack_sink;
  /// Test-only fault injection (core/faults.hpp), read once by the Broker at
  /// start; all off unless an ACTORMQ_TEST_* variable is set.
  FaultInjection faults;
};

}  // namespace actormq::core
