#include "sched/coarse_timers.hpp"

namespace actormq::sched {

CoarseTimerRing::CoarseTimerRing(Scheduler& scheduler, Fire fire)
    : scheduler_(scheduler), fire_(fire), ring_(ring_size), start_ms_(uv_now(scheduler.loop())) {
  uv_timer_init(scheduler.loop(), &timer_);
  timer_.data = this;
}

void CoarseTimerRing::add(Pid to, std::uint32_t arg, std::uint64_t delay_ms) {
  // Ticks from the ring's start, rounded up so that a timer never fires early.
  std::uint64_t at_ms = uv_now(scheduler_.loop()) + delay_ms - start_ms_;
  auto due = static_cast<std::uint32_t>((at_ms + tick_ms - 1) / tick_ms);
  if (static_cast<std::int32_t>(due - now_tick_) <= 0) {
    due = now_tick_ + 1;
  }
  ring_[due % ring_size].push_back(Entry{to, arg, due});
  if (count_++ == 0) {
    uv_timer_start(&timer_, &CoarseTimerRing::on_tick, tick_ms, tick_ms);
  }
}

void CoarseTimerRing::on_tick(uv_timer_t* handle) { static_cast<CoarseTimerRing*>(handle->data)->tick(); }

void CoarseTimerRing::tick() {
  // Catch up by loop time, not by callbacks counted: a late callback fires
  // every bucket it skipped.
  auto target = static_cast<std::uint32_t>((uv_now(scheduler_.loop()) - start_ms_) / tick_ms);
  Runtime& runtime = scheduler_.runtime();
  while (static_cast<std::int32_t>(target - now_tick_) > 0) {
    ++now_tick_;
    std::vector<Entry> bucket;
    bucket.swap(ring_[now_tick_ % ring_size]);
    for (const Entry& e : bucket) {
      if (static_cast<std::int32_t>(e.due - now_tick_) > 0) {
        ring_[e.due % ring_size].push_back(e);  // a later lap of the ring
        continue;
      }
      --count_;
      fire_(runtime, e.to, e.arg);
    }
  }
  if (count_ == 0) {
    uv_timer_stop(&timer_);
  }
}

}  // namespace actormq::sched
