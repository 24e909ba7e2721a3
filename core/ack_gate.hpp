#pragma once
// Durability sync: an acknowledgement (PUBACK, PUBREC, SUBACK, UNSUBACK) goes
// out only once what it acknowledges is on disk. The session makes an AckGate
// for it and hands shared copies to every write the packet causes (the
// retained message, each subscriber's queue or in-flight entry, the session
// record); the writer releases its copy after the commit, and when the last
// copy goes the session is told (AckReady) and sends the packet. A write
// that is not needed (a subscriber online and not persistent) just drops its
// copy, so the count of copies is the barrier, wherever the message went.

#include <atomic>
#include <cstdint>
#include <memory>

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
  /// Thread-safe.
  void ready(sched::Pid session, std::uint64_t token);

 private:
  sched::Runtime& runtime_;
  std::atomic<bool> open_{true};
};

/// The session's acknowledgement `token` may go out.
struct AckReady {
  std::uint64_t token;
};

class AckGate {
 public:
  AckGate(std::shared_ptr<AckSink> sink, sched::Pid session, std::uint64_t token)
      : sink_(std::move(sink)), session_(session), token_(token) {}
  ~AckGate() { sink_->ready(session_, token_); }
  AckGate(const AckGate&) = delete;
  AckGate& operator=(const AckGate&) = delete;

 private:
  std::shared_ptr<AckSink> sink_;
  sched::Pid session_;
  std::uint64_t token_;
};

inline void AckSink::ready(sched::Pid session, std::uint64_t token) {
  if (open_.load(std::memory_order_acquire)) {
    runtime_.send(session, sched::make_message<AckReady>(AckReady{token}));
  }
}

}  // namespace actormq::core
