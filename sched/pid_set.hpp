#pragma once
// A set of pids in one flat array: open addressing, linear probing,
// backward-shift deletion (no tombstones), the null pid as the empty slot.
//
// A supervisor links to each of its thousands of sessions: a vector made every
// unlink a scan, and std::unordered_set costs ~32 bytes a link where this
// costs 8 bytes a slot at a load of at most 3/4.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sched/pid.hpp"

namespace actormq::sched {

class PidSet {
 public:
  PidSet() = default;
  PidSet(PidSet&&) noexcept = default;
  PidSet& operator=(PidSet&&) noexcept = default;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  bool contains(Pid pid) const { return pid && capacity_ != 0 && slots_[find_slot(pid)] == pid; }

  /// False if it was already there. `pid` must not be the null pid.
  bool insert(Pid pid) {
    if ((size_ + 1) * 4 > capacity_ * 3) {
      grow();
    }
    std::size_t i = find_slot(pid);
    if (slots_[i] == pid) {
      return false;
    }
    slots_[i] = pid;
    ++size_;
    return true;
  }

  /// False if it was not there.
  bool erase(Pid pid) {
    if (!pid || capacity_ == 0) {
      return false;
    }
    std::size_t i = find_slot(pid);
    if (slots_[i] != pid) {
      return false;
    }
    // Backward shift: pull later members of the probe run into the hole, so
    // every lookup still reaches its pid before an empty slot.
    std::size_t mask = capacity_ - 1;
    std::size_t j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (!slots_[j]) {
        break;
      }
      std::size_t home = hash(slots_[j]) & mask;
      // Move slots_[j] to the hole at i if its home is not in (i, j] (cyclically).
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Pid{};
    --size_;
    return true;
  }

  /// Calls f(Pid) for each member, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < capacity_; ++i) {
      if (slots_[i]) {
        f(slots_[i]);
      }
    }
  }

 private:
  static std::size_t hash(Pid pid) {
    std::uint64_t x = pid.bits();  // splitmix64's finaliser: serials are sequential
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(x ^ (x >> 31));
  }
  // The slot holding `pid`, or the empty slot where it would go.
  std::size_t find_slot(Pid pid) const {
    std::size_t mask = capacity_ - 1;
    std::size_t i = hash(pid) & mask;
    while (slots_[i] && slots_[i] != pid) {
      i = (i + 1) & mask;
    }
    return i;
  }
  void grow() {
    std::size_t old_capacity = capacity_;
    std::unique_ptr<Pid[]> old = std::move(slots_);
    capacity_ = old_capacity == 0 ? 4 : old_capacity * 2;
    slots_ = std::make_unique<Pid[]>(capacity_);
    size_ = 0;
    for (std::size_t i = 0; i < old_capacity; ++i) {
      if (old[i]) {
        slots_[find_slot(old[i])] = old[i];
        ++size_;
      }
    }
  }

  std::unique_ptr<Pid[]> slots_;
  std::size_t capacity_ = 0;  // 0 or a power of two
  std::size_t size_ = 0;
};

}  // namespace actormq::sched
