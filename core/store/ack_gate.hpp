#pragma once
// Durability sync: an acknowledgement (PUBACK, PUBREC, SUBACK, UNSUBACK) goes
// out only once what it acknowledges is on disk. The session makes an AckGate
// for it and hands shared copies to every write the packet causes (the
// retained message, each subscriber's queue or in-flight entry, the session
// record); the writer releases its copy after the commit, and when the last
// copy goes the session is told (AckReady) and sends the packet. A write
// that is not needed (a subscriber online and not persistent) just drops its
// copy, so the count of copies is the barrier, wherever the message went.
//
// A commit that fails marks the gate (persist::Hold::failed): the session is
// then told that its acknowledgement must never go out, and closes the
// connection so that the client sends the packet again.

#include <atomic>
#include <cstdint>
#include <memory>

#include "persist/hold.hpp"
#include "sched/pid.hpp"
#include "sched/runtime.hpp"

namespace actormq::core {

/// Where gates report to. Closed before the runtime goes away, so a gate
/// released late (by the writer thread at shutdown) sends nothing.
class AckSink {
 public:
  explicit AckSink(sched::Runtime& runtime) : runtime_(runtime) {}
  /// Thread-safe.
  void close() noexcept { open_.store(false, std::memory_order_release); }
  /// Thread-safe. `store_error`: 0, or the code of a failed write.
  void ready(sched::Pid session, std::uint64_t token, int store_error);

 private:
  sched::Runtime& runtime_;
  std::atomic<bool> open_{true};
};

/// The session's acknowledgement `token` may go out, or (store_error != 0)
/// must not: a write it acknowledges was not stored.
struct AckReady {
  std::uint64_t token;
  int store_error;  ///< LMDB or errno code of the failed commit; 0: stored
};

class AckGate final : public persist::Hold {
 public:
  AckGate(std::shared_ptr<AckSink> sink, sched::Pid session, std::uint64_t token)
      : sink_(std::move(sink)), session_(session), token_(token) {}
  ~AckGate() override { sink_->ready(session_, token_, error_.load(std::memory_order_acquire)); }

  /// Thread-safe. The first failure is the one reported.
  void failed(int rc) noexcept override {
    int none = 0;
    error_.compare_exchange_strong(none, rc, std::memory_order_acq_rel);
  }

 private:
  std::shared_ptr<AckSink> sink_;
  sched::Pid session_;
  std::uint64_t token_;
  std::atomic<int> error_{0};
};

inline void AckSink::ready(sched::Pid session, std::uint64_t token, int store_error) {
  if (open_.load(std::memory_order_acquire)) {
    runtime_.send(session, sched::make_message<AckReady>(AckReady{token, store_error}));
  }
}

}  // namespace actormq::core
