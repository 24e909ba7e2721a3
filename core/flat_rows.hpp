#pragma once
// A multiset of small rows keyed by a keyed hash of a string (siphash.hpp),
// in one flat array: open addressing, linear probing, deletion by backward
// shift (no tombstones). A cluster node keeps a row per connection of every
// other node (their route rows and client ids), and a map node per row with
// the string in it cost ~125 bytes; a row here costs its size over the load
// factor (0.5..0.75: the table grows by half when three quarters full).
//
// A row keeps 96 bits of the 128-bit hash, and a value of up to 4 bytes
// (aligned to 4 at most) fits beside them: such a row is 16 bytes, others
// 16 + the value rounded up to 8. The string itself is not kept: two
// strings are taken as one when their 96 bits are, which with a random key
// of the table's own happens with a chance of about n^2 / 2^97 for n rows
// (1e-17 for ten million), and cannot be aimed at.
// Several rows may share a key (as many as the caller adds).
//
// Not thread-safe: the owner locks.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/siphash.hpp"

namespace actormq::core {

template <class Value>
class FlatRows {
 public:
  struct Row {
    std::uint64_t lo = 0;
    std::uint32_t hi = 0;  // a key of all zero bits is an empty slot
    Value value{};
    [[nodiscard]] bool empty() const noexcept { return lo == 0 && hi == 0; }
  };

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }

  /// f(const Value&) for each row of `key`.
  template <class F>
  void for_each(const Hash128& key, F&& f) const {
    if (size_ == 0) {
      return;
    }
    const Key k = key96(key);
    for (std::size_t i = home(k.lo);; i = next(i)) {
      const Row& r = slots_[i];
      if (r.empty()) {
        return;
      }
      if (k.is(r)) {
        f(r.value);
      }
    }
  }

  /// The value of a row of `key` (the first on its way from its home), or null.
  [[nodiscard]] const Value* find(const Hash128& key) const {
    if (size_ == 0) {
      return nullptr;
    }
    const Key k = key96(key);
    for (std::size_t i = home(k.lo); !slots_[i].empty(); i = next(i)) {
      if (k.is(slots_[i])) {
        return &slots_[i].value;
      }
    }
    return nullptr;
  }

  /// f(const Hash128& key, const Value&) for every row. `key` has the bits
  /// the row keeps (the others zero): it finds the row's key here and in
  /// any other FlatRows.
  template <class F>
  void for_each_row(F&& f) const {
    for (const Row& r : slots_) {
      if (!r.empty()) {
        f(Hash128{r.lo, r.hi}, r.value);
      }
    }
  }

  /// Adds a row (another row of `key` may be there already: see the class).
  void insert(const Hash128& key, const Value& value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) {
      rehash(slots_.empty() ? min_slots : slots_.size() + slots_.size() / 2);
    }
    const Key k = key96(key);
    place(Row{k.lo, k.hi, value});
    ++size_;
  }

  /// Removes the rows of `key` for which pred(const Value&); how many.
  template <class P>
  std::size_t erase_if(const Hash128& key, P&& pred) {
    if (size_ == 0) {
      return 0;
    }
    const Key k = key96(key);
    std::size_t erased = 0;
    for (std::size_t i = home(k.lo); !slots_[i].empty();) {
      if (k.is(slots_[i]) && pred(std::as_const(slots_[i].value))) {
        erase_at(i);  // a later row may have moved into i: look at it again
        ++erased;
      } else {
        i = next(i);
      }
    }
    size_ -= erased;
    return erased;
  }

  /// Removes every row for which pred(const Value&), which is asked twice
  /// per row (it must answer alike); how many. The table
  /// shrinks if few rows are left.
  template <class P>
  std::size_t erase_all_if(P&& pred) {
    std::vector<Row> old;
    old.swap(slots_);
    const std::size_t before = size_;
    size_ = 0;
    std::size_t kept = 0;
    for (const Row& r : old) {
      kept += !r.empty() && !pred(std::as_const(r.value)) ? 1 : 0;
    }
    if (kept != 0) {
      const std::size_t want = std::max(min_slots, kept * 2);
      slots_.assign(std::min(want, old.size()), Row{});
      for (const Row& r : old) {
        if (!r.empty() && !pred(std::as_const(r.value))) {
          place(r);
        }
      }
    }
    size_ = kept;
    return before - kept;
  }

 private:
  static constexpr std::size_t min_slots = 16;

  // The 96 bits a row keeps of a hash; never all zero (an empty slot).
  struct Key {
    std::uint64_t lo;
    std::uint32_t hi;
    [[nodiscard]] bool is(const Row& r) const noexcept { return r.lo == lo && r.hi == hi; }
  };
  static Key key96(const Hash128& h) noexcept {
    const auto hi = static_cast<std::uint32_t>(h.hi);
    return Key{h.lo == 0 && hi == 0 ? 1 : h.lo, hi};
  }

  // Any table size: the home is the hash's fraction of it (Lemire's
  // multiply-shift), so the table grows by half, not double.
  [[nodiscard]] std::size_t home(std::uint64_t lo) const noexcept {
    return static_cast<std::size_t>((static_cast<unsigned __int128>(lo) * slots_.size()) >> 64);
  }
  [[nodiscard]] std::size_t next(std::size_t i) const noexcept { return i + 1 == slots_.size() ? 0 : i + 1; }

  void place(const Row& row) {
    std::size_t i = home(row.lo);
    while (!slots_[i].empty()) {
      i = next(i);
    }
    slots_[i] = row;
  }

  void rehash(std::size_t slots) {
    std::vector<Row> old(slots, Row{});
    old.swap(slots_);
    for (const Row& r : old) {
      if (!r.empty()) {
        place(r);
      }
    }
  }

  // Empties slot i; each row after it in the run that may sit there (its
  // home is not cyclically in (i, j]) moves back, so that every row stays
  // reachable from its home without a gap.
  void erase_at(std::size_t i) {
    for (std::size_t j = next(i);; j = next(j)) {
      if (slots_[j].empty()) {
        break;
      }
      const std::size_t k = home(slots_[j].lo);
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Row{};
  }

  std::vector<Row> slots_;
  std::size_t size_ = 0;
};

}  // namespace actormq::core
