#pragma once
// A multiset of small rows keyed by a 128-bit keyed hash of a string
// (siphash.hpp), in one flat array: open addressing, linear probing,
// deletion by backward shift (no tombstones). A cluster node keeps a row
// per connection of every other node (their route rows and client ids),
// and a map node per row with the string in it cost ~125 bytes; a row here
// costs its size over the load factor (~32 bytes / 0.375..0.75).
//
// The string itself is not kept: two strings are taken as one when their
// hashes are, which with a random key of the table's own happens with a
// chance of about n^2 / 2^129 for n rows, and cannot be aimed at.
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
    Hash128 key;
    Value value;
  };

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size(); }

  /// f(const Value&) for each row of `key`.
  template <class F>
  void for_each(const Hash128& key, F&& f) const {
    if (size_ == 0) {
      return;
    }
    for (std::size_t i = home(key);; i = next(i)) {
      const Row& r = slots_[i];
      if (r.key.empty()) {
        return;
      }
      if (r.key == key) {
        f(r.value);
      }
    }
  }

  /// The value of a row of `key` (the first on its way from its home), or null.
  [[nodiscard]] const Value* find(const Hash128& key) const {
    if (size_ == 0) {
      return nullptr;
    }
    for (std::size_t i = home(key); !slots_[i].key.empty(); i = next(i)) {
      if (slots_[i].key == key) {
        return &slots_[i].value;
      }
    }
    return nullptr;
  }

  /// How many keys have rows (a walk of the table).
  [[nodiscard]] std::size_t distinct_keys() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      const Hash128& k = slots_[i].key;
      if (k.empty()) {
        continue;
      }
      // Counted at its first row on the way from its home.
      std::size_t j = home(k);
      while (j != i && slots_[j].key != k) {
        j = next(j);
      }
      n += j == i ? 1 : 0;
    }
    return n;
  }

  /// Adds a row (another row of `key` may be there already: see the class).
  void insert(const Hash128& key, const Value& value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) {
      rehash(slots_.empty() ? min_slots : slots_.size() * 2);
    }
    place(Row{key, value});
    ++size_;
  }

  /// Removes the rows of `key` for which pred(const Value&); how many.
  template <class P>
  std::size_t erase_if(const Hash128& key, P&& pred) {
    if (size_ == 0) {
      return 0;
    }
    std::size_t erased = 0;
    for (std::size_t i = home(key); !slots_[i].key.empty();) {
      if (slots_[i].key == key && pred(std::as_const(slots_[i].value))) {
        erase_at(i);  // a later row may have moved into i: look at it again
        ++erased;
      } else {
        i = next(i);
      }
    }
    size_ -= erased;
    return erased;
  }

  /// Removes every row for which pred(const Hash128&, const Value&), which
  /// is asked twice per row (it must answer alike); how many. The table
  /// shrinks if few rows are left.
  template <class P>
  std::size_t erase_all_if(P&& pred) {
    std::vector<Row> old;
    old.swap(slots_);
    const std::size_t before = size_;
    size_ = 0;
    std::size_t kept = 0;
    for (const Row& r : old) {
      kept += !r.key.empty() && !pred(r.key, std::as_const(r.value)) ? 1 : 0;
    }
    if (kept != 0) {
      std::size_t want = min_slots;
      while (kept * 4 > want * 3) {
        want *= 2;
      }
      slots_.assign(std::min(want, old.size()), Row{});
      for (const Row& r : old) {
        if (!r.key.empty() && !pred(r.key, std::as_const(r.value))) {
          place(r);
        }
      }
    }
    size_ = kept;
    return before - kept;
  }

 private:
  static constexpr std::size_t min_slots = 16;

  [[nodiscard]] std::size_t home(const Hash128& key) const noexcept { return key.lo & (slots_.size() - 1); }
  [[nodiscard]] std::size_t next(std::size_t i) const noexcept { return (i + 1) & (slots_.size() - 1); }

  void place(const Row& row) {
    std::size_t i = home(row.key);
    while (!slots_[i].key.empty()) {
      i = next(i);
    }
    slots_[i] = row;
  }

  void rehash(std::size_t slots) {
    std::vector<Row> old(slots, Row{});
    old.swap(slots_);
    for (const Row& r : old) {
      if (!r.key.empty()) {
        place(r);
      }
    }
  }

  // Empties slot i; each row after it in the run that may sit there (its
  // home is not cyclically in (i, j]) moves back, so that every row stays
  // reachable from its home without a gap.
  void erase_at(std::size_t i) {
    for (std::size_t j = next(i);; j = next(j)) {
      if (slots_[j].key.empty()) {
        break;
      }
      const std::size_t k = home(slots_[j].key);
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
