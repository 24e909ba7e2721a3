#pragma once
// A map for the few entries a session holds (its subscriptions), in one
// allocation: one pointer while empty, then a header and the entries in a
// dense array, found by a scan; past `index_threshold` entries a hash index
// (hash -> position) is made beside them.
//
// A session with one subscription paid ~290 bytes for it in a LazyMap (the
// unordered_map, 13 buckets, a node); here it is one 32-byte chunk (an
// 8-byte header and a 16-byte entry) and the key's own heap (memory per
// connection is a target; see BENCHMARKS.md).
//
// Unlike std::unordered_map, an insertion may move the entries (pointers
// and iterators into the map do not survive it), and erase() moves the last
// entry into the hole: `it = erase(it)` visits every entry once.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace actormq::core {

template <class K, class V, class Hash = std::hash<K>>
class SmallMap {
 public:
  using value_type = std::pair<K, V>;
  using iterator = value_type*;
  using const_iterator = const value_type*;
  /// Above this many entries, lookups go through a hash index.
  static constexpr std::uint32_t index_threshold = 16;

  SmallMap() = default;
  ~SmallMap() { release(); }
  SmallMap(SmallMap&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  SmallMap& operator=(SmallMap&& other) noexcept {
    if (this != &other) {
      release();
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  SmallMap(const SmallMap& other) { copy_from(other); }
  SmallMap& operator=(const SmallMap& other) {
    if (this != &other) {
      release();
      copy_from(other);
    }
    return *this;
  }

  iterator begin() { return block_ ? entries() : nullptr; }
  iterator end() { return block_ ? entries() + block_->size : nullptr; }
  const_iterator begin() const { return block_ ? entries() : nullptr; }
  const_iterator end() const { return block_ ? entries() + block_->size : nullptr; }
  [[nodiscard]] bool empty() const { return !block_ || block_->size == 0; }
  [[nodiscard]] std::size_t size() const { return block_ ? block_->size : 0; }
  [[nodiscard]] bool indexed() const { return block_ && index() != nullptr; }

  // Lookups take anything Hash hashes and K compares equal with (a
  // std::string or a string_view for a SharedText key): no K is made.
  template <class Q>
  iterator find(const Q& key) {
    return begin() + position(key);
  }
  template <class Q>
  const_iterator find(const Q& key) const {
    return begin() + position(key);
  }
  template <class Q>
  [[nodiscard]] bool contains(const Q& key) const {
    return position(key) != size();
  }
  template <class Q>
  [[nodiscard]] std::size_t count(const Q& key) const {
    return contains(key) ? 1 : 0;
  }
  /// Throws std::out_of_range when absent, as std::unordered_map::at.
  template <class Q>
  const V& at(const Q& key) const {
    const std::size_t at = position(key);
    if (at == size()) {
      throw std::out_of_range("SmallMap::at");
    }
    return entries()[at].second;
  }
  template <class Q>
  V& at(const Q& key) {
    return const_cast<V&>(std::as_const(*this).at(key));
  }

  /// Adds (K(key), value) unless the key is there; the entry and whether it was added.
  template <class Q, class Value>
  std::pair<iterator, bool> emplace(Q&& key, Value&& value) {
    const std::size_t at = position(key);
    if (at != size()) {
      return {begin() + at, false};
    }
    return {append(K(std::forward<Q>(key)), V(std::forward<Value>(value))), true};
  }
  /// Adds or replaces the value of `key`; the entry and whether it was added.
  template <class Q, class M>
  std::pair<iterator, bool> insert_or_assign(Q&& key, M&& value) {
    const std::size_t at = position(key);
    if (at != size()) {
      entries()[at].second = std::forward<M>(value);
      return {begin() + at, false};
    }
    return {append(K(std::forward<Q>(key)), V(std::forward<M>(value))), true};
  }

  template <class Q>
  std::size_t erase(const Q& key) {
    const std::size_t at = position(key);
    if (at == size()) {
      return 0;
    }
    erase_at(at);
    return 1;
  }
  /// Removes the entry; the last one moves into its place, which is returned.
  iterator erase(const_iterator it) {
    const std::size_t at = static_cast<std::size_t>(it - begin());
    erase_at(at);
    return block_ ? entries() + at : nullptr;
  }
  iterator erase(iterator it) { return erase(const_iterator(it)); }
  /// Frees the map: an emptied session is as small as a new one.
  void clear() { release(); }

 private:
  using Index = std::unordered_multimap<std::size_t, std::uint32_t>;
  // The header; the entries follow it, then, in a block of more than
  // index_threshold entries, the index's pointer (null while there is none).
  struct alignas(value_type) Block {
    std::uint32_t size = 0;
    std::uint32_t capacity = 0;
  };
  static_assert(alignof(value_type) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

  static std::size_t index_offset(std::uint32_t capacity) {
    const std::size_t end = sizeof(Block) + capacity * sizeof(value_type);
    return (end + alignof(Index*) - 1) / alignof(Index*) * alignof(Index*);
  }
  static bool has_index_slot(std::uint32_t capacity) { return capacity > index_threshold; }
  Index*& index_slot() const {
    return *reinterpret_cast<Index**>(reinterpret_cast<char*>(block_) + index_offset(block_->capacity));
  }
  Index* index() const { return has_index_slot(block_->capacity) ? index_slot() : nullptr; }

  value_type* entries() const { return reinterpret_cast<value_type*>(block_ + 1); }

  template <class Q>
  std::size_t position(const Q& key) const {
    if (!block_) {
      return 0;
    }
    if (Index* ix = index()) {
      auto [lo, hi] = ix->equal_range(Hash{}(key));
      for (auto it = lo; it != hi; ++it) {
        if (entries()[it->second].first == key) {
          return it->second;
        }
      }
      return block_->size;
    }
    std::size_t i = 0;
    while (i < block_->size && !(entries()[i].first == key)) {
      ++i;
    }
    return i;
  }

  static Block* allocate(std::uint32_t capacity) {
    const std::size_t bytes = has_index_slot(capacity) ? index_offset(capacity) + sizeof(Index*)
                                                       : sizeof(Block) + capacity * sizeof(value_type);
    Block* b = new (::operator new(bytes)) Block;
    b->capacity = capacity;
    if (has_index_slot(capacity)) {
      new (reinterpret_cast<char*>(b) + index_offset(capacity)) Index*(nullptr);
    }
    return b;
  }

  iterator append(K&& key, V&& value) {
    if (!block_ || block_->size == block_->capacity) {
      grow();
    }
    const std::uint32_t at = block_->size;
    new (entries() + at) value_type(std::move(key), std::move(value));
    ++block_->size;
    if (Index* ix = index()) {
      ix->emplace(Hash{}(entries()[at].first), at);
    } else if (block_->size > index_threshold) {
      build_index();
    }
    return entries() + at;
  }

  void grow() {
    const std::uint32_t size = block_ ? block_->size : 0;
    Block* b = allocate(size == 0 ? 1 : size * 2);
    auto* to = reinterpret_cast<value_type*>(b + 1);
    for (std::uint32_t i = 0; i < size; ++i) {
      new (to + i) value_type(std::move(entries()[i]));
      entries()[i].~value_type();
    }
    b->size = size;
    if (block_) {
      Index* ix = index();  // a block with one has more than index_threshold slots, as b has
      ::operator delete(block_);
      block_ = b;
      if (ix != nullptr) {
        index_slot() = ix;
      }
      return;
    }
    block_ = b;
  }

  void build_index() {
    auto ix = std::make_unique<Index>();
    ix->reserve(block_->size * 2);
    for (std::uint32_t i = 0; i < block_->size; ++i) {
      ix->emplace(Hash{}(entries()[i].first), i);
    }
    index_slot() = ix.release();
  }

  // Drops position `at` from the index entries of `hash`.
  void unindex(std::size_t hash, std::uint32_t at) {
    auto [lo, hi] = index()->equal_range(hash);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == at) {
        index()->erase(it);
        return;
      }
    }
  }

  void erase_at(std::size_t at) {
    const auto pos = static_cast<std::uint32_t>(at);
    const std::uint32_t last = block_->size - 1;
    if (Index* ix = index()) {
      unindex(Hash{}(entries()[pos].first), pos);
      if (pos != last) {
        const std::size_t moved = Hash{}(entries()[last].first);
        unindex(moved, last);
        ix->emplace(moved, pos);
      }
    }
    if (pos != last) {
      entries()[pos] = std::move(entries()[last]);
    }
    entries()[last].~value_type();
    block_->size = last;
    if (last == 0) {
      release();
    } else if (index() != nullptr && last < index_threshold / 2) {
      // Hysteresis: a map hovering around the threshold keeps its index.
      delete index();
      index_slot() = nullptr;
    }
  }

  void copy_from(const SmallMap& other) {
    if (other.empty()) {
      return;
    }
    block_ = allocate(other.block_->size);
    try {
      for (std::uint32_t i = 0; i < other.block_->size; ++i) {
        new (entries() + i) value_type(other.entries()[i]);
        block_->size = i + 1;
      }
      if (has_index_slot(block_->capacity) && other.index() != nullptr) {
        build_index();  // a copy of fewer entries than the threshold scans
      }
    } catch (...) {
      release();
      throw;
    }
  }

  void release() noexcept {
    if (!block_) {
      return;
    }
    for (std::uint32_t i = 0; i < block_->size; ++i) {
      entries()[i].~value_type();
    }
    delete index();
    ::operator delete(block_);
    block_ = nullptr;
  }

  Block* block_ = nullptr;
};

}  // namespace actormq::core
