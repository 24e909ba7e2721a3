#pragma once
// A hierarchical timing wheel (one per scheduler) for send_after.
//
// Four levels of 64 slots at 1 ms resolution cover 64^4 ms (4.6 hours);
// later deadlines wait in the top level and are re-filed as time passes.
// Insert and cancel are O(1), so 10^5-10^6 keepalive and expiry timers cost
// one small entry each and no libuv handle: the scheduler arms a single
// uv_timer for next_deadline().

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "sched/message.hpp"
#include "sched/pid.hpp"

namespace actormq::sched {

/// Names one pending timer; stale refs (fired or cancelled) are recognised.
struct TimerRef {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;
  explicit operator bool() const { return generation != 0; }
};

/// Owner-only: used by one scheduler thread.
class TimerWheel {
 public:
  static constexpr int level_bits = 6;
  static constexpr int levels = 4;
  static constexpr std::uint32_t slots = 1u << level_bits;

  explicit TimerWheel(std::uint64_t now_ms);
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  /// Files `msg` for `to` at now + delay (at least 1 ms from the wheel's time).
  TimerRef add(Pid to, MessagePtr msg, std::uint64_t delay_ms);
  /// True if the timer was pending; its message is destroyed.
  bool cancel(TimerRef ref);
  /// Moves time to `now_ms`, calling fire(Pid, MessagePtr) for each due timer
  /// in deadline order (ties in insertion order).
  template <class F>
  void advance(std::uint64_t now_ms, F&& fire);
  /// The earliest time something needs doing (a timer due, or a level to
  /// re-file), or nullopt if the wheel is empty.
  std::optional<std::uint64_t> next_deadline() const;
  std::size_t size() const { return count_; }
  std::uint64_t now() const { return now_; }

 private:
  static constexpr std::uint32_t none = 0xFFFFFFFFu;
  struct Entry {
    Message* msg = nullptr;
    std::uint64_t deadline = 0;
    Pid to;
    std::uint32_t prev = none;
    std::uint32_t next = none;
    std::uint32_t generation = 1;
    std::uint16_t slot = 0;  // level * slots + index, while filed
    bool filed = false;
  };

  void file(std::uint32_t e);
  void unfile(std::uint32_t e);
  void release(std::uint32_t e);
  void cascade(int level);
  std::uint32_t take_slot(std::uint32_t slot_id);

  std::vector<Entry> entries_;
  std::vector<std::uint32_t> free_;
  std::array<std::uint32_t, levels * slots> heads_;
  std::array<std::uint32_t, levels * slots> tails_;
  std::array<std::uint64_t, levels> occupied_{};  // bit i: slot i non-empty
  std::uint64_t now_;
  std::size_t count_ = 0;
};

template <class F>
void TimerWheel::advance(std::uint64_t now_ms, F&& fire) {
  while (now_ < now_ms) {
    if (count_ == 0) {
      now_ = now_ms;
      return;
    }
    ++now_;
    // Re-file coarser levels whose slot comes due at this tick, coarsest first.
    for (int level = levels - 1; level >= 1; --level) {
      if ((now_ & ((std::uint64_t{1} << (level * level_bits)) - 1)) == 0) {
        cascade(level);
      }
    }
    std::uint32_t e = take_slot(static_cast<std::uint32_t>(now_ & (slots - 1)));
    while (e != none) {
      std::uint32_t next = entries_[e].next;
      Pid to = entries_[e].to;
      MessagePtr msg(entries_[e].msg);
      entries_[e].msg = nullptr;
      release(e);
      fire(to, std::move(msg));
      e = next;
    }
  }
}

}  // namespace actormq::sched
