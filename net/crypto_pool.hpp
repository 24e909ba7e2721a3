#pragma once
// A few threads for the CPU-heavy steps of TLS server handshakes (an ECDSA
// or RSA signature, the ECDHE shared secret: milliseconds each), so that a
// reconnect storm does not hold the scheduler threads, which also carry the
// established sessions. A stream hands its handshake over whole with
// submit() and is handed it back by the job itself (net/tls_stream.hpp);
// the pool knows nothing of TLS.
//
// Lifetime: the pool must outlive every stream that may submit to it, and
// the runtime its jobs send to must outlive the pool (core/broker.cpp
// destroys it after the runtime's shutdown, before the runtime).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace actormq::net {

class CryptoPool {
 public:
  /// Starts `threads` workers; 0: one per core.
  explicit CryptoPool(unsigned threads);
  /// Runs every job still queued, then joins the workers.
  ~CryptoPool();
  CryptoPool(const CryptoPool&) = delete;
  CryptoPool& operator=(const CryptoPool&) = delete;

  /// Thread-safe. Queues `job` for the next free worker (first in, first out).
  void submit(std::function<void()> job);
  /// Thread-safe. Workers started.
  unsigned size() const { return static_cast<unsigned>(workers_.size()); }
  /// Thread-safe. Jobs run to their end, for tests and metrics.
  std::uint64_t completed() const;
  /// Thread-safe. Jobs waiting for a worker.
  std::size_t queued() const;

 private:
  void work();

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  std::uint64_t completed_ = 0;              // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace actormq::net
