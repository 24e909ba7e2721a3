#pragma once
// An unordered_map that costs one pointer until its first element.
//
// std::unordered_map is 56 bytes even when empty, and most sessions hold no
// in-flight message and few subscriptions: with two maps in every session
// that was ~100 bytes of each idle connection (memory per idle connection
// is a target; see BENCHMARKS.md). The map is made on first insertion and
// kept afterwards. Iterators of an empty LazyMap come from one shared empty
// map, so `find(k) == end()` holds as with the real container.

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>

namespace actormq::core {

template <class K, class V, class Hash = std::hash<K>>
class LazyMap {
 public:
  using map_type = std::unordered_map<K, V, Hash>;
  using iterator = typename map_type::iterator;
  using const_iterator = typename map_type::const_iterator;
  using value_type = typename map_type::value_type;

  LazyMap() = default;
  LazyMap(LazyMap&&) noexcept = default;
  LazyMap& operator=(LazyMap&&) noexcept = default;
  LazyMap(const LazyMap& other) : map_(other.map_ ? std::make_unique<map_type>(*other.map_) : nullptr) {}
  LazyMap& operator=(const LazyMap& other) {
    if (this != &other) {
      map_ = other.map_ ? std::make_unique<map_type>(*other.map_) : nullptr;
    }
    return *this;
  }

  iterator begin() { return map_ ? map_->begin() : empty_map().begin(); }
  iterator end() { return map_ ? map_->end() : empty_map().end(); }
  const_iterator begin() const { return map_ ? map_->cbegin() : empty_map().cbegin(); }
  const_iterator end() const { return map_ ? map_->cend() : empty_map().cend(); }

  bool empty() const { return !map_ || map_->empty(); }
  std::size_t size() const { return map_ ? map_->size() : 0; }

  iterator find(const K& key) { return map_ ? map_->find(key) : end(); }
  const_iterator find(const K& key) const { return map_ ? map_->find(key) : end(); }
  bool contains(const K& key) const { return map_ && map_->contains(key); }
  std::size_t count(const K& key) const { return map_ ? map_->count(key) : 0; }
  /// Throws std::out_of_range when absent, as std::unordered_map::at.
  V& at(const K& key) { return made().at(key); }
  const V& at(const K& key) const {
    return map_ ? map_->at(key) : empty_map().at(key);
  }
  V& operator[](const K& key) { return made()[key]; }

  template <class... Args>
  std::pair<iterator, bool> emplace(Args&&... args) {
    return made().emplace(std::forward<Args>(args)...);
  }
  template <class... Args>
  std::pair<iterator, bool> try_emplace(const K& key, Args&&... args) {
    return made().try_emplace(key, std::forward<Args>(args)...);
  }
  template <class M>
  std::pair<iterator, bool> insert_or_assign(const K& key, M&& value) {
    return made().insert_or_assign(key, std::forward<M>(value));
  }
  std::size_t erase(const K& key) { return map_ ? map_->erase(key) : 0; }
  iterator erase(iterator it) { return map_->erase(it); }
  iterator erase(const_iterator it) { return map_->erase(it); }
  /// Frees the map: an emptied session is as small as a new one.
  void clear() { map_.reset(); }

 private:
  map_type& made() {
    if (!map_) {
      map_ = std::make_unique<map_type>();
    }
    return *map_;
  }
  // Never modified: begin() == end() on it, and find() answers end().
  static map_type& empty_map() {
    static map_type empty;
    return empty;
  }

  std::unique_ptr<map_type> map_;
};

}  // namespace actormq::core
