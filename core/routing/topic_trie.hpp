#pragma once
// Topic matching rules (MQTT 3.1.1 section 4.7, MQTT 5.0 section 4.7).
//
// FilterTrie (filters stored, a topic name walks them) and RetainedIndex
// (topic names stored, a filter walks them) both implement these rules.
// Filters and topic names arrive already validated by mqtt/topic.hpp; the
// structures here only split levels on '/' and never reject input.
//
// Levels
//   A topic name or filter is a sequence of levels separated by '/'. An empty
//   level is a level: "a//b" has three levels, "/a" two ("" and "a"), "a/" two
//   ("a" and ""). Levels compare byte for byte, so "Sport" != "sport".
//
// '+' matches exactly one level, which may be empty (4.7.1.3)
//   "sport/+"        matches "sport/tennis", "sport/"
//                    not     "sport", "sport/tennis/player1"
//   "+/+"            matches "/finance", "a/b"            not "a", "a/b/c"
//   "/+"             matches "/finance"                   not "finance"
//   "+"              matches "finance"                    not "/finance"
//
// '#' matches the parent level and any number of child levels (4.7.1.2)
//   "sport/#"        matches "sport", "sport/", "sport/tennis/player1"
//                    not     "sports", "sportx/tennis"
//   "sport/tennis/#" matches "sport/tennis"               not "sport"
//   "#"              matches every topic name not starting with '$'
//
// Topics starting with '$' (4.7.2)
//   A filter whose first level is '+' or '#' does not match a topic name whose
//   first level starts with '$'; a filter spelling the '$' level does.
//   "#", "+/monitor/Clients"  do not match "$SYS/monitor/Clients"
//   "$SYS/#"                  matches "$SYS", "$SYS/broker/uptime"
//   "$SYS/monitor/+"          matches "$SYS/monitor/Clients"
//   "a/+"                     matches "a/$b" (only the first level is special)
//
// Invalid filters, rejected before they reach these structures:
//   "sport/tennis#", "sport/#/ranking", "sport+", "" (4.7.1, 4.7.3).
// Shared subscriptions "$share/{group}/{filter}" are parsed by the caller,
// which stores {filter} under a key that names the group (4.8.2).
//
// Depth
//   A topic name of 65535 bytes has up to 65536 levels ("/" repeated), and
//   max_topic_levels may allow them all; what is already stored (retained
//   messages read back from data_dir) was checked against the limit of its
//   day. So no walk here recurses per level, and neither does destroying a
//   subtree: each keeps its pending nodes on the heap.

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/string_hash.hpp"

namespace actormq::core {

/// Position meaning "no level left" in next_level().
inline constexpr std::size_t no_more_levels = std::string_view::npos;

/// The level of `s` starting at `pos` and the start of the following level
/// (no_more_levels after the last one). `pos` must not be no_more_levels.
[[nodiscard]] inline std::pair<std::string_view, std::size_t> next_level(std::string_view s,
                                                                         std::size_t pos) noexcept {
  const std::size_t slash = s.find('/', pos);
  if (slash == std::string_view::npos) {
    return {s.substr(pos), no_more_levels};
  }
  return {s.substr(pos, slash - pos), slash + 1};
}

/// Where erasing the entry at the end of a key's path prunes a trie: the
/// nodes left empty are the chain below the deepest node on the path that
/// keeps something else, remembered on the way down (one walk, no recursion).
template <class Node>
struct TrieCut {
  Node* node = nullptr;        ///< the key's own node
  Node* keep = nullptr;        ///< the deepest node that stays
  std::string_view level;      ///< keep's child on the path, cut if `node` ends empty
  std::size_t nodes = 0;       ///< nodes from that child down to `node`
};

/// Walks `key` from `root`; nullopt if its path is not all there.
/// `child_of(Node&, level)` finds a child; `holds_more(const Node&)` says a
/// node on the path keeps something besides the next node (an entry of its
/// own or another child). The root always stays.
template <class Node, class ChildOf, class HoldsMore>
[[nodiscard]] std::optional<TrieCut<Node>> find_trie_cut(Node& root, std::string_view key, ChildOf&& child_of,
                                                         HoldsMore&& holds_more) {
  TrieCut<Node> cut{&root, &root, {}, 0};
  for (std::size_t pos = 0; pos != no_more_levels;) {
    auto [level, next] = next_level(key, pos);
    Node* child = child_of(*cut.node, level);
    if (!child) {
      return std::nullopt;
    }
    if (cut.node == &root || holds_more(*cut.node)) {
      cut.keep = cut.node;
      cut.level = level;
      cut.nodes = 0;
    }
    ++cut.nodes;
    cut.node = child;
    pos = next;
  }
  return cut;
}

/// True when `filter` contains a '+' or '#' level (validated filters only).
[[nodiscard]] inline bool has_wildcard(std::string_view filter) noexcept {
  return filter.find_first_of("+#") != std::string_view::npos;
}

/// True when the topic's first level starts with '$' (4.7.2).
[[nodiscard]] inline bool is_dollar_topic(std::string_view topic) noexcept {
  return !topic.empty() && topic.front() == '$';
}

/// Children of a trie node, by level string, held by value so that a
/// lookup reaches the child without another pointer hop. A few children are
/// kept in a vector scanned linearly (most nodes have one or two, and a scan
/// of short strings beats hashing); past small_limit they move to a hash map.
/// Any insertion or removal may move the children of this map, so pointers
/// returned by find() and emplace() last only until the next change to this
/// same map (changes below a child do not move it).
/// Owner-only: not thread-safe; const members may run concurrently with each
/// other when nobody mutates.
template <class Node>
class ChildMap {
 public:
  static constexpr std::size_t small_limit = 8;

  [[nodiscard]] const Node* find(std::string_view level) const noexcept {
    if (large_) {
      auto it = large_->find(level);
      return it == large_->end() ? nullptr : &it->second;
    }
    for (const auto& [name, child] : small_) {
      if (name == level) {
        return &child;
      }
    }
    return nullptr;
  }
  [[nodiscard]] Node* find(std::string_view level) noexcept {
    return const_cast<Node*>(std::as_const(*this).find(level));
  }

  /// The child for `level`, created when absent; second is true when created.
  std::pair<Node*, bool> emplace(std::string_view level) {
    if (Node* existing = find(level)) {
      return {existing, false};
    }
    if (!large_ && small_.size() == small_limit) {
      grow();
    }
    if (large_) {
      return {&large_->try_emplace(std::string(level)).first->second, true};
    }
    return {&small_.emplace_back(std::string(level), Node{}).second, true};
  }

  /// Removes the child for `level` and its subtree.
  void erase(std::string_view level) {
    if (large_) {
      if (auto it = large_->find(level); it != large_->end()) {
        large_->erase(it);
      }
      return;
    }
    for (auto it = small_.begin(); it != small_.end(); ++it) {
      if (it->first == level) {
        // Order of children carries no meaning, so swap-and-pop.
        if (it != small_.end() - 1) {
          *it = std::move(small_.back());
        }
        small_.pop_back();
        return;
      }
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return large_ ? large_->size() : small_.size(); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  /// Calls f(std::string_view level, const Node& child) for every child,
  /// in no particular order. f must not add or remove children of this map.
  template <class F>
  void for_each(F&& f) const {
    if (large_) {
      for (const auto& [name, child] : *large_) {
        f(std::string_view(name), child);
      }
      return;
    }
    for (const auto& [name, child] : small_) {
      f(std::string_view(name), child);
    }
  }
  /// The same with f(std::string_view level, Node& child): f may change the
  /// children's own members (take their subtrees), not this map.
  template <class F>
  void for_each(F&& f) {
    if (large_) {
      for (auto& [name, child] : *large_) {
        f(std::string_view(name), child);
      }
      return;
    }
    for (auto& [name, child] : small_) {
      f(std::string_view(name), child);
    }
  }

 private:
  using LargeMap = std::unordered_map<std::string, Node, StringHash, std::equal_to<>>;

  void grow() {
    auto large = std::make_unique<LargeMap>();
    large->reserve(small_limit * 2);
    for (auto& [name, child] : small_) {
      large->emplace(std::move(name), std::move(child));
    }
    small_.clear();
    small_.shrink_to_fit();
    large_ = std::move(large);
  }

  std::vector<std::pair<std::string, Node>> small_;
  std::unique_ptr<LargeMap> large_;
};

/// The nodes a trie walk has still to visit, last in first out: the first
/// `Inline` in place, the rest on the heap, so a walk needs neither a stack
/// frame per level nor, when it branches little, an allocation.
template <class T, std::size_t Inline>
class WalkStack {
 public:
  [[nodiscard]] bool empty() const noexcept { return size_ == 0 && spill_.empty(); }
  void push(const T& v) {
    if (size_ < Inline) {
      inline_[size_++] = v;
    } else {
      spill_.push_back(v);  // only once the inline entries are all taken
    }
  }
  /// The entry pushed last; the stack must not be empty.
  T pop() {
    if (!spill_.empty()) {
      T v = spill_.back();
      spill_.pop_back();
      return v;
    }
    return inline_[--size_];
  }

 private:
  std::array<T, Inline> inline_{};
  std::size_t size_ = 0;
  std::vector<T> spill_;
};

/// A trie of wildcard topic filters, one node per level, with dedicated
/// slots for '+' and '#' children (the mosquitto src/subs.c shape). Each
/// stored filter owns a Payload (for the route table, the set of
/// subscribers of that filter). Matching a topic name walks the levels with
/// string_views and allocates nothing unless it branches more than a few
/// times ('+' beside a literal level). No walk recurses per level (see
/// "Depth" at the top of this file).
///
/// Owner-only: not thread-safe. Const members may run concurrently with each
/// other while nobody mutates.
template <class Payload>
class FilterTrie {
 public:
  /// A stored filter and its payload.
  struct Terminal {
    std::string filter;
    Payload payload;
  };

  FilterTrie() = default;
  FilterTrie(const FilterTrie&) = delete;
  FilterTrie& operator=(const FilterTrie&) = delete;
  FilterTrie(FilterTrie&&) noexcept = default;
  FilterTrie& operator=(FilterTrie&&) noexcept = default;

  /// The payload stored for `filter`, default-constructed if the filter was
  /// absent (creating the nodes on its path).
  Payload& emplace(std::string_view filter) {
    Node* node = &root_;
    for (std::size_t pos = 0; pos != no_more_levels;) {
      auto [level, next] = next_level(filter, pos);
      node = &child_or_create(*node, level);
      pos = next;
    }
    if (!node->terminal) {
      node->terminal = std::make_unique<Terminal>(Terminal{std::string(filter), Payload{}});
      ++size_;
    }
    return node->terminal->payload;
  }

  [[nodiscard]] Payload* find(std::string_view filter) noexcept {
    Node* node = find_node(filter);
    return node && node->terminal ? &node->terminal->payload : nullptr;
  }
  [[nodiscard]] const Payload* find(std::string_view filter) const noexcept {
    return const_cast<FilterTrie*>(this)->find(filter);
  }

  /// Removes `filter` and its payload, pruning nodes left without filters
  /// below them. Returns whether the filter was stored.
  bool erase(std::string_view filter) {
    auto cut = find_trie_cut(
        root_, filter, [](Node& n, std::string_view level) { return child_of(n, level); },
        [](const Node& n) { return n.terminal || n.branches() > 1; });
    if (!cut) {
      return false;
    }
    Node* node = cut->node;
    if (!node->terminal) {
      return false;
    }
    node->terminal.reset();
    --size_;
    if (node->empty()) {
      remove_child(*cut->keep, cut->level);
      node_count_ -= cut->nodes;
    }
    return true;
  }

  /// Calls f(const Terminal&) once for every stored filter that matches the
  /// topic name (rules at the top of this file). f must not modify the trie.
  template <class F>
  void match(std::string_view topic, F&& f) const {
    // A leading wildcard does not match '$' topics (4.7.2).
    const bool wildcards_apply = !is_dollar_topic(topic);
    if (wildcards_apply && root_.hash && root_.hash->terminal) {
      f(*root_.hash->terminal);
    }
    // Depth first, a literal level before '+': the '+' branch of a level
    // waits on the stack while the literal one is walked.
    WalkStack<Branch, 16> pending;
    auto [level, next] = next_level(topic, 0);
    if (wildcards_apply && root_.plus) {
      pending.push(Branch{root_.plus.get(), next});
    }
    if (const Node* child = root_.children.find(level)) {
      pending.push(Branch{child, next});
    }
    while (!pending.empty()) {
      walk(pending.pop(), topic, pending, f);
    }
  }

  /// Calls f(const Terminal&) for every stored filter.
  template <class F>
  void for_each(F&& f) const {
    std::vector<const Node*> pending{&root_};
    while (!pending.empty()) {
      const Node* node = pending.back();
      pending.pop_back();
      if (node->terminal) {
        f(std::as_const(*node->terminal));
      }
      node->children.for_each([&](std::string_view, const Node& child) { pending.push_back(&child); });
      if (node->plus) {
        pending.push_back(node->plus.get());
      }
      if (node->hash) {
        pending.push_back(node->hash.get());
      }
    }
  }

  /// Number of stored filters.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Number of nodes, not counting the root: one per distinct filter prefix.
  [[nodiscard]] std::size_t node_count() const noexcept { return node_count_; }

  void clear() {
    root_ = Node{};
    size_ = 0;
    node_count_ = 0;
  }

 private:
  struct Node {
    ChildMap<Node> children;     // literal levels
    std::unique_ptr<Node> plus;  // the '+' level
    std::unique_ptr<Node> hash;  // the '#' level; always a leaf
    std::unique_ptr<Terminal> terminal;

    Node() = default;
    Node(Node&&) noexcept = default;
    Node& operator=(Node&&) noexcept = default;
    // The members' own destructors would recurse once per level.
    ~Node() { dismantle(*this); }

    [[nodiscard]] std::size_t branches() const noexcept {
      return children.size() + (plus ? 1 : 0) + (hash ? 1 : 0);
    }
    [[nodiscard]] bool empty() const noexcept { return branches() == 0 && !terminal; }
  };

  // A node `walk` is to visit: it has consumed the topic levels before `pos`.
  struct Branch {
    const Node* node = nullptr;
    std::size_t pos = 0;
  };

  // Takes the subtree below `top` apart level by level: each node is moved
  // out of its parent before it goes, so no destructor finds children.
  static void dismantle(Node& top) {
    if (top.branches() == 0) {
      return;
    }
    std::vector<Node> pending;
    take_children(top, pending);
    while (!pending.empty()) {
      Node node = std::move(pending.back());
      pending.pop_back();
      take_children(node, pending);
    }
  }
  static void take_children(Node& node, std::vector<Node>& out) {
    node.children.for_each([&](std::string_view, Node& child) {
      if (child.branches() != 0) {
        out.push_back(std::move(child));
      }
    });
    node.children = ChildMap<Node>{};
    for (std::unique_ptr<Node>* slot : {&node.plus, &node.hash}) {
      if (*slot) {
        out.push_back(std::move(**slot));
        slot->reset();
      }
    }
  }

  Node& child_or_create(Node& node, std::string_view level) {
    if (level == "+" || level == "#") {
      auto& slot = level == "+" ? node.plus : node.hash;
      if (!slot) {
        slot = std::make_unique<Node>();
        ++node_count_;
      }
      return *slot;
    }
    auto [child, created] = node.children.emplace(level);
    if (created) {
      ++node_count_;
    }
    return *child;
  }

  static Node* child_of(Node& node, std::string_view level) noexcept {
    if (level == "+") {
      return node.plus.get();
    }
    if (level == "#") {
      return node.hash.get();
    }
    return node.children.find(level);
  }

  void remove_child(Node& node, std::string_view level) {
    if (level == "+") {
      node.plus.reset();
    } else if (level == "#") {
      node.hash.reset();
    } else {
      node.children.erase(level);
    }
  }

  Node* find_node(std::string_view filter) noexcept {
    Node* node = &root_;
    for (std::size_t pos = 0; pos != no_more_levels && node;) {
      auto [level, next] = next_level(filter, pos);
      node = child_of(*node, level);
      pos = next;
    }
    return node;
  }

  // Follows one branch down the topic: a literal level inline, a '+' beside
  // it pushed for later.
  template <class F>
  static void walk(Branch from, std::string_view topic, WalkStack<Branch, 16>& pending, F& f) {
    const Node* node = from.node;
    for (std::size_t pos = from.pos;;) {
      // '#' also matches the parent level (4.7.1.2), so it matches whether
      // or not levels remain.
      if (node->hash && node->hash->terminal) {
        f(std::as_const(*node->hash->terminal));
      }
      if (pos == no_more_levels) {
        if (node->terminal) {
          f(std::as_const(*node->terminal));
        }
        return;
      }
      auto [level, next] = next_level(topic, pos);
      const Node* child = node->children.find(level);
      const Node* plus = node->plus.get();
      if (child && plus) {
        pending.push(Branch{plus, next});
      }
      node = child ? child : plus;
      if (!node) {
        return;
      }
      pos = next;
    }
  }

  Node root_;
  std::size_t size_ = 0;
  std::size_t node_count_ = 0;
};

}  // namespace actormq::core
