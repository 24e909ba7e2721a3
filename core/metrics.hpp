#pragma once
// Broker counters, sharded per scheduler so the publish path never bounces a
// shared cache line between cores; readers add the shards up.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace actormq::core {

enum class Counter : std::uint8_t {
  messages_received,  ///< PUBLISH packets from clients
  messages_sent,      ///< PUBLISH packets to clients
  bytes_received,
  bytes_sent,
  publish_dropped,    ///< deliveries dropped, for any of the reasons below
  connects,           ///< CONNECT packets accepted
  malformed,          ///< connections closed for a malformed packet or protocol error
  auth_failures,      ///< CONNECTs refused for their credentials or authentication
  clients_connected,  ///< gauge: current connections with a CONNECT accepted
  clients_maximum,    ///< gauge: highest clients_connected seen (updated on read)
  subscriptions,      ///< gauge: current subscriptions
  session_crashes,    ///< session processes that ended by an exception
  retained_messages,  ///< gauge: topics with a retained message
  acl_denied,         ///< publishes, subscriptions and deliveries refused by the ACL
  publish_rate_limited,  ///< publishes over a client's rate limit (v5 refused, 3.1.1 slowed)
  store_failures,     ///< connections closed because a write they waited on (durability sync) failed
  auth_successes,     ///< CONNECTs whose credentials (or enhanced authentication) were accepted
  acl_allowed,        ///< publishes and subscriptions the ACL allowed
  dropped_expired,    ///< deliveries dropped: their message expiry interval passed
  dropped_queue_full, ///< deliveries dropped: the session's queue or backlog was full
  dropped_qos0_offline,  ///< QoS 0 deliveries for a session whose client is away (queue_qos0 off)
  dropped_too_large,  ///< deliveries larger than the client's Maximum Packet Size
  count_
};

/// Name of a counter, as used in metrics output.
std::string_view counter_name(Counter c);

/// Which way an MQTT control packet went, for the per-type packet counts.
enum class PacketFlow : std::uint8_t { received, sent };

/// Thread-safe.
class Metrics {
 public:
  static constexpr std::size_t max_shards = 64;
  /// Packet types are 1..15 (MQTT 2.1.2); 0 is never counted.
  static constexpr std::size_t packet_types = 16;

  void add(Counter c, std::int64_t n = 1);
  std::int64_t get(Counter c) const;
  /// Counts one packet of `type` (1..15; others are ignored).
  void add_packet(PacketFlow flow, std::uint8_t type);
  std::int64_t packets(PacketFlow flow, std::uint8_t type) const;

 private:
  struct alignas(64) Shard {
    std::array<std::atomic<std::int64_t>, static_cast<std::size_t>(Counter::count_)> values{};
    std::array<std::atomic<std::int64_t>, 2 * packet_types> packets{};  // [flow * 16 + type]
  };
  Shard& local();
  std::array<Shard, max_shards> shards_{};
};

}  // namespace actormq::core
