#pragma once
// max_connection_rate: a token bucket of new connections per second for one
// listener, shared by its listener processes on every scheduler. A burst of
// up to one second's worth is admitted at once; past that, connections are
// refused until tokens come back.

#include <algorithm>
#include <cstdint>
#include <mutex>

namespace actormq::core {

/// Thread-safe.
class ConnectionRate {
 public:
  /// `per_second` 0: every connection is admitted.
  explicit ConnectionRate(std::uint32_t per_second = 0)
      : per_second_(per_second), tokens_(per_second) {}

  struct Admission {
    bool admitted;
    /// > 0: log a refusal line now, covering this many refusals (at most one
    /// line a second, so a flood does not flood the log too).
    std::uint64_t report;
  };

  /// One new connection at `now_ms` (a monotonic clock).
  Admission admit(std::uint64_t now_ms) {
    if (per_second_ == 0) {
      return {true, 0};
    }
    std::lock_guard lock(mutex_);
    if (now_ms > last_ms_) {
      tokens_ = std::min<double>(per_second_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_second_ / 1000.0);
      last_ms_ = now_ms;
    }
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return {true, 0};
    }
    ++refused_;
    if (logged_ms_ != 0 && now_ms < logged_ms_ + 1000) {
      return {false, 0};
    }
    logged_ms_ = std::max<std::uint64_t>(now_ms, 1);
    std::uint64_t report = refused_;
    refused_ = 0;
    return {false, report};
  }

  std::uint32_t per_second() const { return per_second_; }

 private:
  std::mutex mutex_;
  std::uint32_t per_second_;
  double tokens_;
  std::uint64_t last_ms_ = 0;
  std::uint64_t logged_ms_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace actormq::core
