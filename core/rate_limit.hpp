#pragma once
// Per-client publish rate limits: two token buckets (messages per second and
// bytes per second), each holding at most one second's worth, so a client may
// burst up to its rate and then sustain it. Owner-only (one session's state;
// it exists only for clients that publish while a limit is configured).

#include <algorithm>
#include <cstdint>

namespace actormq::core {

struct RateLimits {
  std::uint32_t messages_per_s = 0;  ///< 0: unlimited
  std::uint32_t bytes_per_s = 0;     ///< 0: unlimited
  [[nodiscard]] bool any() const noexcept { return messages_per_s != 0 || bytes_per_s != 0; }
};

class RateLimiter {
 public:
  /// Takes one message of `bytes` if both buckets hold enough; else takes nothing.
  [[nodiscard]] bool try_take(std::uint64_t now_ms, std::uint64_t bytes, const RateLimits& limits) noexcept {
    refill(now_ms, limits);
    if (!fits(messages_, 1, limits.messages_per_s) || !fits(bytes_, bytes, limits.bytes_per_s)) {
      return false;
    }
    (void)take(now_ms, bytes, limits);  // it fits: no debt
    return true;
  }

  /// Takes one message of `bytes`, into debt if need be; returns how many
  /// milliseconds until neither bucket is in debt (0: none).
  [[nodiscard]] std::uint64_t take(std::uint64_t now_ms, std::uint64_t bytes, const RateLimits& limits) noexcept {
    refill(now_ms, limits);
    if (limits.messages_per_s != 0) {
      messages_ -= unit;
    }
    if (limits.bytes_per_s != 0) {
      bytes_ -= static_cast<std::int64_t>(bytes) * unit;
    }
    return std::max(wait(messages_, limits.messages_per_s), wait(bytes_, limits.bytes_per_s));
  }

  /// Reading from the client is paused until the debt is paid (3.1.1 clients).
  bool paused = false;

 private:
  // Tokens in thousandths, refilled by `rate` per millisecond.
  static constexpr std::int64_t unit = 1000;
  // Keeps elapsed * rate far from overflow; any debt is paid long before.
  static constexpr std::uint64_t max_elapsed_ms = 86'400'000;

  void refill(std::uint64_t now_ms, const RateLimits& limits) noexcept {
    if (!started_) {
      started_ = true;
      last_ms_ = now_ms;
      messages_ = std::int64_t{limits.messages_per_s} * unit;
      bytes_ = std::int64_t{limits.bytes_per_s} * unit;
      return;
    }
    auto elapsed = static_cast<std::int64_t>(std::min<std::uint64_t>(now_ms - last_ms_, max_elapsed_ms));
    last_ms_ = now_ms;
    messages_ = std::min(messages_ + elapsed * limits.messages_per_s, std::int64_t{limits.messages_per_s} * unit);
    bytes_ = std::min(bytes_ + elapsed * limits.bytes_per_s, std::int64_t{limits.bytes_per_s} * unit);
  }
  static bool fits(std::int64_t tokens, std::uint64_t cost, std::uint32_t rate) noexcept {
    return rate == 0 || tokens >= static_cast<std::int64_t>(cost) * unit;
  }
  static std::uint64_t wait(std::int64_t tokens, std::uint32_t rate) noexcept {
    if (rate == 0 || tokens >= 0) {
      return 0;
    }
    return static_cast<std::uint64_t>((-tokens + rate - 1) / rate);
  }

  std::int64_t messages_ = 0;
  std::int64_t bytes_ = 0;
  std::uint64_t last_ms_ = 0;
  bool started_ = false;
};

}  // namespace actormq::core
