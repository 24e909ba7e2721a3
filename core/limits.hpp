#pragma once
// The protocol limits and features of a broker, each a config key (see
// README): what sessions and their channels enforce. Apart from
// broker_context.hpp so that the channel (core/session/channel.hpp) reads
// them without the processes the context names.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rate_limit.hpp"

namespace actormq::core {

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

/// The limits in force. A reload replaces them as a whole (set); a
/// connection reads them once, when it is accepted, and keeps the number of
/// that version (2 bytes in a session, where a reference would take 8): a
/// client's negotiated maximums never change under it. Every version stays
/// alive as long as this does (reloads are rare, a version is small), up to
/// max_versions.
class LimitsInForce {
 public:
  static constexpr std::size_t max_versions = 4096;

  LimitsInForce() : table_(std::make_unique<std::atomic<const Limits*>[]>(max_versions)) { (void)set(Limits{}); }
  LimitsInForce(const LimitsInForce&) = delete;
  LimitsInForce& operator=(const LimitsInForce&) = delete;

  /// Thread-safe.
  [[nodiscard]] const Limits& get() const noexcept { return at(current()); }
  /// Thread-safe: the version in force.
  [[nodiscard]] std::uint16_t current() const noexcept { return current_.load(std::memory_order_acquire); }
  /// Thread-safe: version `v`, as current() named it.
  [[nodiscard]] const Limits& at(std::uint16_t v) const noexcept { return *table_[v].load(std::memory_order_acquire); }
  /// Owner-only (the Broker, at start and reload). False, nothing changed:
  /// max_versions were set since the start.
  [[nodiscard]] bool set(Limits limits) {
    if (versions_.size() == max_versions) {
      return false;
    }
    versions_.push_back(std::make_unique<const Limits>(std::move(limits)));
    const auto v = static_cast<std::uint16_t>(versions_.size() - 1);
    table_[v].store(versions_.back().get(), std::memory_order_release);
    current_.store(v, std::memory_order_release);
    return true;
  }

 private:
  std::vector<std::unique_ptr<const Limits>> versions_;      // the owner's
  std::unique_ptr<std::atomic<const Limits*>[]> table_;      // readers', never reallocated
  std::atomic<std::uint16_t> current_{0};
};

}  // namespace actormq::core
