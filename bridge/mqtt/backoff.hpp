#pragma once
// Reconnect backoff of a bridge (mosquitto's restart_timeout base cap): the
// wait before attempt n (n = 1 after the first failure) is base * 2^(n-1),
// capped at cap, then jittered down by up to half, so that bridges that
// lost the same remote do not all come back at the same moment. A success
// starts over from base.

#include <algorithm>
#include <cstdint>
#include <random>

namespace actormq::bridge {

class Backoff {
 public:
  Backoff(std::uint64_t base_ms, std::uint64_t cap_ms, std::uint64_t seed)
      : base_(std::max<std::uint64_t>(base_ms, 1)), cap_(std::max(cap_ms, base_ms)), rng_(seed) {}

  /// The wait before the next attempt, milliseconds: in [ceiling/2, ceiling].
  [[nodiscard]] std::uint64_t next() {
    const std::uint64_t ceiling = this->ceiling();
    failures_ = std::min(failures_ + 1, 63u);
    std::uniform_int_distribution<std::uint64_t> jitter(0, ceiling / 2);
    return ceiling - jitter(rng_);
  }
  /// The wait's upper bound for the next attempt, milliseconds.
  [[nodiscard]] std::uint64_t ceiling() const {
    std::uint64_t wait = base_;
    for (unsigned i = 0; i < failures_ && wait < cap_; ++i) {
      wait *= 2;
    }
    return std::min(wait, cap_);
  }
  /// Connected: the next loss waits base again.
  void reset() noexcept { failures_ = 0; }

 private:
  std::uint64_t base_;
  std::uint64_t cap_;
  unsigned failures_ = 0;
  std::minstd_rand rng_;
};

}  // namespace actormq::bridge
