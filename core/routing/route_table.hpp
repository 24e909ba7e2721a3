#pragma once
// The routing table: topic filter -> subscribers (EMQX emqx_router model).
// Wildcard-free filters live in a hash map keyed by the filter, so a publish
// to a topic with only exact subscribers costs one hash lookup; filters with
// '+' or '#' live in a FilterTrie (matching rules in core/routing/topic_trie.hpp).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/routing/topic_trie.hpp"
#include "core/small_vector.hpp"

namespace actormq::core {

/// The routes of one filter: subscriber key -> value, in a dense vector so
/// fan-out iterates contiguous memory; a filter's only route (the common
/// case: one subscriber of a topic, one node with it) is held inline
/// (core/small_vector.hpp). Once a filter has more than
/// index_threshold subscribers a hash index keeps insert and erase O(1).
/// Owner-only: not thread-safe.
template <class Key, class Value, class KeyHash = std::hash<Key>, class KeyEqual = std::equal_to<Key>>
class RouteSet {
 public:
  static constexpr std::size_t index_threshold = 16;
  using Entry = std::pair<Key, Value>;

  RouteSet() = default;
  ~RouteSet() { delete index(); }
  RouteSet(RouteSet&& other) noexcept
      : entries_(std::move(other.entries_)), own_index_(std::exchange(other.own_index_, {})) {}
  RouteSet& operator=(RouteSet&& other) noexcept {
    if (this != &other) {
      delete index();
      entries_ = std::move(other.entries_);
      own_index_ = std::exchange(other.own_index_, {});
    }
    return *this;
  }

  /// Adds the route or replaces its value; true when the key was new.
  bool insert_or_assign(const Key& key, Value value) {
    if (auto at = position(key)) {
      entries_[*at].second = std::move(value);
      return false;
    }
    entries_.emplace_back(key, std::move(value));
    if (Index* ix = index()) {
      ix->emplace(key, entries_.size() - 1);
    } else if (entries_.size() > index_threshold) {
      build_index();
    }
    return true;
  }

  /// Removes the route; true when it existed. Order of the other routes may change.
  bool erase(const Key& key) {
    auto at = position(key);
    if (!at) {
      return false;
    }
    Index* ix = index();
    if (ix != nullptr) {
      ix->erase(key);
    }
    if (*at != entries_.size() - 1) {
      entries_[*at] = std::move(entries_.back());
      if (ix != nullptr) {
        (*ix)[entries_[*at].first] = *at;
      }
    }
    entries_.pop_back();
    // Hysteresis: drop the index well below the threshold, not at it, so a
    // filter hovering around the threshold does not rebuild it every time.
    if (ix != nullptr && entries_.size() < index_threshold / 2) {
      delete ix;
      set_index(nullptr);
    }
    return true;
  }

  [[nodiscard]] const Value* find(const Key& key) const {
    auto at = position(key);
    return at ? &entries_[*at].second : nullptr;
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] bool indexed() const noexcept { return index() != nullptr; }
  [[nodiscard]] auto begin() const noexcept { return entries_.begin(); }
  [[nodiscard]] auto end() const noexcept { return entries_.end(); }

 private:
  using Index = std::unordered_map<Key, std::size_t, KeyHash, KeyEqual>;
  // The index (past index_threshold routes, so the entries are on the heap)
  // is kept in the vector's spare word when it has one: a route table holds
  // a RouteSet per filter, and 8 bytes each count (a subscription per
  // device on a fleet).
  static constexpr bool spare_index = SmallVector<Entry>::has_spare;
  struct NoIndex {};

  [[nodiscard]] Index* index() const noexcept {
    if constexpr (spare_index) {
      return entries_.on_heap() ? static_cast<Index*>(entries_.spare()) : nullptr;
    } else {
      return own_index_;
    }
  }
  void set_index(Index* ix) noexcept {
    if constexpr (spare_index) {
      entries_.set_spare(ix);
    } else {
      own_index_ = ix;
    }
  }

  std::optional<std::size_t> position(const Key& key) const {
    if (Index* ix = index()) {
      auto it = ix->find(key);
      return it == ix->end() ? std::nullopt : std::optional<std::size_t>(it->second);
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (KeyEqual{}(entries_[i].first, key)) {
        return i;
      }
    }
    return std::nullopt;
  }

  void build_index() {
    auto ix = std::make_unique<Index>();
    ix->reserve(entries_.size() * 2);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      ix->emplace(entries_[i].first, i);
    }
    set_index(ix.release());
  }

  SmallVector<Entry> entries_;
  [[no_unique_address]] std::conditional_t<spare_index, NoIndex, Index*> own_index_{};
};

/// Topic filter -> routes, where a route is (subscriber key, value). Key is
/// opaque to the table (a process id, a node id, a shared-group id); Value is
/// whatever the caller needs at fan-out (subscription options, QoS). Filters
/// must be validated (mqtt/topic.hpp) and, for shared subscriptions, already
/// stripped of their "$share/{group}/" prefix.
///
/// Owner-only: not thread-safe. Const members (match, find, counts) may run
/// concurrently with each other while nobody mutates.
///
/// Text is what keeps an exact filter: a std::string, or a SharedText that
/// the subscriber's session keeps too (core/shared_text.hpp).
template <class Key, class Value, class KeyHash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Text = std::string>
class RouteTable {
 public:
  using Routes = RouteSet<Key, Value, KeyHash, KeyEqual>;

  /// Adds route (filter, key) with `value`, or replaces the value of an
  /// existing one (a repeated SUBSCRIBE replaces the subscription, 3.8.4).
  /// Returns true when the route is new. A new exact filter is kept as
  /// Text(filter), or as `filter` itself when it is a Text.
  template <class Filter>
  bool insert(const Filter& filter, const Key& key, Value value) {
    const std::string_view f(filter);
    Routes& routes = has_wildcard(f) ? trie_.emplace(f) : exact_routes(filter);
    const bool added = routes.insert_or_assign(key, std::move(value));
    if (added) {
      ++route_count_;
    }
    return added;
  }

  /// Removes route (filter, key); the filter goes (and its trie nodes are
  /// pruned) with its last route. Returns whether the route existed.
  bool erase(std::string_view filter, const Key& key) {
    if (has_wildcard(filter)) {
      Routes* routes = trie_.find(filter);
      if (!routes || !routes->erase(key)) {
        return false;
      }
      if (routes->empty()) {
        trie_.erase(filter);
      }
    } else {
      auto it = exact_.find(filter);
      if (it == exact_.end() || !it->second.erase(key)) {
        return false;
      }
      if (it->second.empty()) {
        exact_.erase(it);
      }
    }
    --route_count_;
    return true;
  }

  /// Removes every route of `key`, whatever its filter, calling
  /// on_erase(const Value&) for each just before it goes; filters left
  /// without routes go too. Returns how many went. Walks the whole table:
  /// for rare purges (a subscriber gone with all its routes), not per route.
  template <class F>
  std::size_t erase_key(const Key& key, F&& on_erase) {
    std::size_t erased = 0;
    for (auto it = exact_.begin(); it != exact_.end();) {
      const Value* value = it->second.find(key);
      if (value == nullptr) {
        ++it;
        continue;
      }
      on_erase(*value);
      it->second.erase(key);
      --route_count_;
      ++erased;
      it = it->second.empty() ? exact_.erase(it) : std::next(it);
    }
    // The trie cannot change while it is walked: its filters first.
    std::vector<std::string> wildcards;
    trie_.for_each([&](const auto& terminal) {
      if (terminal.payload.find(key) != nullptr) {
        wildcards.push_back(terminal.filter);
      }
    });
    for (const std::string& filter : wildcards) {
      on_erase(*find(filter, key));
      erase(filter, key);
      ++erased;
    }
    return erased;
  }

  /// The value of route (filter, key), or null.
  [[nodiscard]] const Value* find(std::string_view filter, const Key& key) const {
    const Routes* set = routes(filter);
    return set ? set->find(key) : nullptr;
  }

  /// All routes of one filter, or null when the filter has none.
  [[nodiscard]] const Routes* routes(std::string_view filter) const {
    if (has_wildcard(filter)) {
      return trie_.find(filter);
    }
    auto it = exact_.find(filter);
    return it == exact_.end() ? nullptr : &it->second;
  }

  /// Calls f(std::string_view filter, const Key&, const Value&) once for
  /// every route whose filter matches the topic name. Allocates nothing.
  /// f must not modify the table.
  template <class F>
  void match(std::string_view topic, F&& f) const {
    if (auto it = exact_.find(topic); it != exact_.end()) {
      emit(it->first, it->second, f);
    }
    if (!trie_.empty()) {
      trie_.match(topic, [&](const auto& terminal) { emit(terminal.filter, terminal.payload, f); });
    }
  }

  /// Calls f(std::string_view filter, const Routes&) once per matching
  /// filter, for callers that pick one route per filter (shared groups).
  template <class F>
  void match_filters(std::string_view topic, F&& f) const {
    if (auto it = exact_.find(topic); it != exact_.end()) {
      f(std::string_view(it->first), it->second);
    }
    if (!trie_.empty()) {
      trie_.match(topic, [&](const auto& terminal) { f(std::string_view(terminal.filter), terminal.payload); });
    }
  }

  /// Calls f(std::string_view filter, const Key&, const Value&) for every route.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [filter, routes] : exact_) {
      emit(filter, routes, f);
    }
    trie_.for_each([&](const auto& terminal) { emit(terminal.filter, terminal.payload, f); });
  }

  [[nodiscard]] std::size_t filter_count() const noexcept { return exact_.size() + trie_.size(); }
  [[nodiscard]] std::size_t exact_filter_count() const noexcept { return exact_.size(); }
  [[nodiscard]] std::size_t wildcard_filter_count() const noexcept { return trie_.size(); }
  [[nodiscard]] std::size_t route_count() const noexcept { return route_count_; }
  /// Nodes of the wildcard trie, root excluded.
  [[nodiscard]] std::size_t trie_node_count() const noexcept { return trie_.node_count(); }
  [[nodiscard]] bool empty() const noexcept { return route_count_ == 0; }

  void clear() {
    exact_.clear();
    trie_.clear();
    route_count_ = 0;
  }

 private:
  template <class Filter>
  Routes& exact_routes(const Filter& filter) {
    auto it = exact_.find(std::string_view(filter));
    if (it == exact_.end()) {
      if constexpr (std::is_same_v<Filter, Text>) {
        it = exact_.emplace(filter, Routes{}).first;
      } else {
        it = exact_.emplace(Text(std::string_view(filter)), Routes{}).first;
      }
    }
    return it->second;
  }

  template <class F>
  static void emit(std::string_view filter, const Routes& routes, F& f) {
    for (const auto& [key, value] : routes) {
      f(filter, key, value);
    }
  }

  std::unordered_map<Text, Routes, StringHash, std::equal_to<>> exact_;
  FilterTrie<Routes> trie_;
  std::size_t route_count_ = 0;
};

}  // namespace actormq::core
