#pragma once
// The restored sessions' routes before anything is routed. At start the
// Broker spawns a session for each persistent session in the store; each
// takes its routes back in its on_start, on its scheduler. A message routed
// before then misses them: a bridge's remote resends what it has no
// acknowledgement for the moment the bridge connects, and those messages,
// acknowledged, were lost (test_bridge_store.py SyncIncoming under ASan).
// Each restored session arrives here once its route changes are on their
// way to the routers; the Broker waits for all of them before its listeners
// accept and its services are told that it serves (Service::serving).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace actormq::core {

class RestoreLatch {
 public:
  /// Thread-safe: a restored session's routes are sent.
  void arrive() {
    std::lock_guard lock(mu_);
    ++arrived_;
    cv_.notify_all();
  }
  /// Thread-safe: true once `count` sessions arrived, false at `timeout`.
  bool wait(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return arrived_ >= count; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t arrived_ = 0;
};

}  // namespace actormq::core
