#pragma once
// What one bridge counts, in one place: written by its process, read by
// anyone ($SYS/broker/bridge/<name>/..., and the HTTP API). All relaxed
// atomics: each value is exact on its own, a set of them only close.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace actormq::bridge {

/// Where a bridge's connection is.
enum class BridgeState : std::uint8_t { down, connecting, up, disabled };
inline constexpr std::array<std::string_view, 4> bridge_state_names{"down", "connecting", "up", "disabled"};

struct BridgeCounters {
  std::atomic<std::uint64_t> messages_in{0};   ///< from the remote, routed here
  std::atomic<std::uint64_t> messages_out{0};  ///< taken by the remote (QoS 0 written, QoS 1/2 acknowledged)
  std::atomic<std::uint64_t> buffered{0};      ///< messages owed to the remote now, waiting or in flight
  std::atomic<std::uint64_t> buffered_bytes{0};
  std::atomic<std::uint64_t> dropped{0};       ///< messages for the remote given up, all told
  std::atomic<BridgeState> state{BridgeState::down};
  /// What an operator asked for last (the HTTP API): written by the
  /// service at once, carried out by the process when it reads BridgeEnable.
  std::atomic<bool> enabled{true};

  [[nodiscard]] std::string_view state_name() const noexcept {
    return bridge_state_names[static_cast<std::size_t>(state.load(std::memory_order_relaxed))];
  }
};

}  // namespace actormq::bridge
