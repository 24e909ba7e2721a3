#pragma once
// A claim of a client id (its session and claim time) in 12 bytes aligned to
// 4, so that a flat row of it (core/flat_rows.hpp) is 24 bytes, not 32: the
// node's own claims and every peer's are a row per connection each. The
// session's node is not kept: a table holds the claims of one node.

#include <algorithm>
#include <cstdint>

#include "sched/pid.hpp"

namespace actormq::cluster {

class PackedClaim {
 public:
  PackedClaim() = default;
  PackedClaim(sched::Pid session, std::uint64_t claimed_ms) {
    constexpr std::uint64_t max_ms = (std::uint64_t{1} << 48) - 1;  // the year 10889
    const std::uint64_t ms = std::min(claimed_ms, max_ms);
    const std::uint64_t serial = session.serial();  // 48 bits
    w_[0] = static_cast<std::uint32_t>(serial);
    w_[1] = static_cast<std::uint32_t>(serial >> 32) | static_cast<std::uint32_t>(ms << 16);
    w_[2] = static_cast<std::uint32_t>(ms >> 16);
  }
  /// The session, on `node` (the node whose claims the table holds).
  [[nodiscard]] sched::Pid session(std::uint16_t node) const noexcept {
    return sched::Pid(node, w_[0] | (std::uint64_t{w_[1] & 0xFFFFu} << 32));
  }
  [[nodiscard]] std::uint64_t claimed_ms() const noexcept {
    return (std::uint64_t{w_[1]} >> 16) | (std::uint64_t{w_[2]} << 16);
  }

 private:
  std::uint32_t w_[3] = {0, 0, 0};
};

static_assert(sizeof(PackedClaim) == 12 && alignof(PackedClaim) == 4);

}  // namespace actormq::cluster
