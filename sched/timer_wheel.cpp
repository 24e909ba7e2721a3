#include "sched/timer_wheel.hpp"

#include <bit>

namespace actormq::sched {

TimerWheel::TimerWheel(std::uint64_t now_ms) : now_(now_ms) {
  heads_.fill(none);
  tails_.fill(none);
}

TimerWheel::~TimerWheel() {
  for (Entry& e : entries_) {
    delete e.msg;
  }
}

TimerRef TimerWheel::add(Pid to, MessagePtr msg, std::uint64_t delay_ms) {
  std::uint32_t e;
  if (!free_.empty()) {
    e = free_.back();
    free_.pop_back();
  } else {
    e = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& entry = entries_[e];
  entry.msg = msg.release();
  entry.to = to;
  entry.deadline = now_ + (delay_ms == 0 ? 1 : delay_ms);
  file(e);
  ++count_;
  return TimerRef{e, entry.generation};
}

bool TimerWheel::cancel(TimerRef ref) {
  if (!ref || ref.index >= entries_.size()) {
    return false;
  }
  Entry& entry = entries_[ref.index];
  if (entry.generation != ref.generation || !entry.filed) {
    return false;
  }
  unfile(ref.index);
  delete entry.msg;
  entry.msg = nullptr;
  release(ref.index);
  return true;
}

void TimerWheel::file(std::uint32_t e) {
  Entry& entry = entries_[e];
  std::uint64_t delta = entry.deadline > now_ ? entry.deadline - now_ : 0;
  int level = 0;
  while (level < levels - 1 && delta >= (std::uint64_t{1} << ((level + 1) * level_bits))) {
    ++level;
  }
  std::uint64_t when = entry.deadline;
  std::uint64_t horizon = std::uint64_t{1} << (levels * level_bits);
  if (delta >= horizon) {
    // Beyond the wheel: park in the top level's farthest slot and re-file later.
    when = now_ + horizon - 1;
  }
  std::uint32_t index = static_cast<std::uint32_t>((when >> (level * level_bits)) & (slots - 1));
  std::uint32_t slot_id = static_cast<std::uint32_t>(level) * slots + index;
  entry.slot = static_cast<std::uint16_t>(slot_id);
  entry.filed = true;
  entry.next = none;
  entry.prev = tails_[slot_id];
  if (entry.prev == none) {
    heads_[slot_id] = e;
  } else {
    entries_[entry.prev].next = e;
  }
  tails_[slot_id] = e;
  occupied_[static_cast<std::size_t>(level)] |= std::uint64_t{1} << index;
}

void TimerWheel::unfile(std::uint32_t e) {
  Entry& entry = entries_[e];
  std::uint32_t slot_id = entry.slot;
  if (entry.prev == none) {
    heads_[slot_id] = entry.next;
  } else {
    entries_[entry.prev].next = entry.next;
  }
  if (entry.next == none) {
    tails_[slot_id] = entry.prev;
  } else {
    entries_[entry.next].prev = entry.prev;
  }
  if (heads_[slot_id] == none) {
    occupied_[slot_id / slots] &= ~(std::uint64_t{1} << (slot_id % slots));
  }
  entry.filed = false;
}

void TimerWheel::release(std::uint32_t e) {
  Entry& entry = entries_[e];
  entry.filed = false;
  // Skip generation 0 on wrap-around: it marks an empty TimerRef.
  entry.generation = entry.generation + 1 == 0 ? 1 : entry.generation + 1;
  free_.push_back(e);
  --count_;
}

std::uint32_t TimerWheel::take_slot(std::uint32_t slot_id) {
  std::uint32_t head = heads_[slot_id];
  heads_[slot_id] = none;
  tails_[slot_id] = none;
  occupied_[slot_id / slots] &= ~(std::uint64_t{1} << (slot_id % slots));
  for (std::uint32_t e = head; e != none; e = entries_[e].next) {
    entries_[e].filed = false;
  }
  return head;
}

void TimerWheel::cascade(int level) {
  auto index = static_cast<std::uint32_t>((now_ >> (level * level_bits)) & (slots - 1));
  std::uint32_t e = take_slot(static_cast<std::uint32_t>(level) * slots + index);
  while (e != none) {
    std::uint32_t next = entries_[e].next;
    file(e);
    e = next;
  }
}

std::optional<std::uint64_t> TimerWheel::next_deadline() const {
  if (count_ == 0) {
    return std::nullopt;
  }
  std::uint64_t best = UINT64_MAX;
  for (int level = 0; level < levels; ++level) {
    std::uint64_t bits = occupied_[static_cast<std::size_t>(level)];
    if (bits == 0) {
      continue;
    }
    int shift = level * level_bits;
    auto current = static_cast<unsigned>((now_ >> shift) & (slots - 1));
    // Distance (1..64) from the current index to the next occupied slot.
    std::uint64_t rotated = std::rotr(bits, static_cast<int>((current + 1) % slots));
    std::uint64_t distance = static_cast<std::uint64_t>(std::countr_zero(rotated)) + 1;
    std::uint64_t when = level == 0 ? now_ + distance : (((now_ >> shift) + distance) << shift);
    best = std::min(best, when);
  }
  return best;
}

}  // namespace actormq::sched
