#pragma once
// Timers for many long deadlines that may fire a little late: keep-alive
// checks of 10^5-10^6 idle connections. A ring of 250 ms buckets per
// scheduler holds a 16-byte entry per timer and no message until it fires
// (a send_after costs a wheel entry plus the message, ~100 bytes). No
// cancel: the receiver ignores a stale firing by its argument (a generation).

#include <uv.h>

#include <cstdint>
#include <vector>

#include "sched/message.hpp"
#include "sched/pid.hpp"
#include "sched/scheduler.hpp"

namespace actormq::sched {

/// Owner-only: used on its scheduler's thread. Use CoarseTimers<T>.
class CoarseTimerRing : public Scheduler::Service {
 public:
  static constexpr std::uint64_t tick_ms = 250;
  static constexpr std::uint32_t ring_size = 256;  // 64 s; later deadlines go round again

  using Fire = void (*)(Runtime& runtime, Pid to, std::uint32_t arg);
  CoarseTimerRing(Scheduler& scheduler, Fire fire);
  CoarseTimerRing(const CoarseTimerRing&) = delete;
  CoarseTimerRing& operator=(const CoarseTimerRing&) = delete;

  /// Fires for `to` with `arg` no sooner than `delay_ms` from now, and at
  /// most one tick later.
  void add(Pid to, std::uint32_t arg, std::uint64_t delay_ms);
  std::size_t size() const { return count_; }

 private:
  struct Entry {
    Pid to;
    std::uint32_t arg;
    std::uint32_t due;  // tick number, wrapping (ticks are compared as differences)
  };
  static void on_tick(uv_timer_t* handle);
  void tick();

  Scheduler& scheduler_;
  Fire fire_;
  uv_timer_t timer_{};
  std::vector<std::vector<Entry>> ring_;
  std::uint32_t now_tick_ = 0;  // ticks since the ring was made
  std::uint64_t start_ms_;
  std::size_t count_ = 0;
};

/// Delivers `T{arg}` (T constructible from one std::uint32_t).
template <class T>
class CoarseTimers : public CoarseTimerRing {
 public:
  explicit CoarseTimers(Scheduler& scheduler) : CoarseTimerRing(scheduler, &fire) {}

  /// The ring of `scheduler` for T, made on first use.
  static CoarseTimers& of(Scheduler& scheduler) { return scheduler.service<CoarseTimers<T>>(scheduler); }

 private:
  static void fire(Runtime& runtime, Pid to, std::uint32_t arg);
};

}  // namespace actormq::sched

#include "sched/runtime.hpp"

namespace actormq::sched {
template <class T>
void CoarseTimers<T>::fire(Runtime& runtime, Pid to, std::uint32_t arg) {
  runtime.send<T>(to, T{arg});
}
}  // namespace actormq::sched
