#pragma once
// The in-memory index of retained messages: topic name -> entry, stored as a
// trie over topic levels so that a new subscription's filter finds every
// retained topic it matches by walking the filter, not by testing every
// stored topic (matching rules at the top of core/routing/topic_trie.hpp). The
// durable copy lives in persist/; this index is rebuilt from it at start.
//
// Memory: with a million retained messages the index is mostly leaves, so a
// node holds its value inline (no entry allocation), a leaf's children cost
// one null pointer, a shared_ptr value needs no "present" flag beside it, and
// no node stores its topic name: walks rebuild it from the levels they pass.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/routing/topic_trie.hpp"

namespace actormq::core {

/// Where a trie node keeps its value, if it has one: a std::optional.
template <class Value>
class ValueSlot {
 public:
  [[nodiscard]] explicit operator bool() const noexcept { return v_.has_value(); }
  [[nodiscard]] const Value& get() const noexcept { return *v_; }
  void set(Value v) { v_ = std::move(v); }
  void reset() noexcept { v_.reset(); }

 private:
  std::optional<Value> v_;
};

/// A shared_ptr is its own flag (null: no value), 8 bytes less per node;
/// so a null shared_ptr cannot be stored.
template <class T>
class ValueSlot<std::shared_ptr<T>> {
 public:
  [[nodiscard]] explicit operator bool() const noexcept { return v_ != nullptr; }
  [[nodiscard]] const std::shared_ptr<T>& get() const noexcept { return v_; }
  void set(std::shared_ptr<T> v) noexcept { v_ = std::move(v); }
  void reset() noexcept { v_.reset(); }

 private:
  std::shared_ptr<T> v_;
};

/// Topic name -> Value (a retained message, or a handle to one; a
/// std::shared_ptr value must not be null). Topic names must be valid
/// (mqtt/topic.hpp): no '+' or '#'. No walk recurses per level, and
/// neither does destruction: a topic may have 65536 levels (see "Depth" in
/// core/routing/topic_trie.hpp).
///
/// Owner-only: not thread-safe. Const members may run concurrently with each
/// other while nobody mutates.
template <class Value>
class RetainedIndex {
 public:
  RetainedIndex() = default;
  RetainedIndex(const RetainedIndex&) = delete;
  RetainedIndex& operator=(const RetainedIndex&) = delete;
  RetainedIndex(RetainedIndex&&) noexcept = default;
  RetainedIndex& operator=(RetainedIndex&&) noexcept = default;

  /// Stores `value` for `topic`, replacing any previous one (3.3.1.3: a new
  /// retained message replaces the old). Returns true when the topic was new.
  bool set(std::string_view topic, Value value) {
    Node* node = &root_;
    for (std::size_t pos = 0; pos != no_more_levels;) {
      auto [level, next] = next_level(topic, pos);
      if (!node->children) {
        node->children = std::make_unique<ChildMap<Node>>();
      }
      auto [child, created] = node->children->emplace(level);
      if (created) {
        ++node_count_;
      }
      node = child;
      pos = next;
    }
    bool is_new = !node->value;
    node->value.set(std::move(value));
    if (is_new) {
      ++size_;
    }
    return is_new;
  }

  /// Removes the entry of `topic` (a retained PUBLISH with an empty payload,
  /// 3.3.1.3), pruning nodes left empty. Returns whether it existed.
  bool erase(std::string_view topic) {
    auto cut = find_trie_cut(
        root_, topic,
        [](Node& n, std::string_view level) { return n.children ? n.children->find(level) : nullptr; },
        [](const Node& n) { return n.value || n.children->size() > 1; });
    if (!cut) {
      return false;
    }
    Node* node = cut->node;
    if (!node->value) {
      return false;
    }
    node->value.reset();
    --size_;
    if (!node->children) {
      cut->keep->children->erase(cut->level);
      node_count_ -= cut->nodes;
      if (cut->keep->children->empty()) {
        cut->keep->children.reset();
      }
    }
    return true;
  }

  [[nodiscard]] const Value* find(std::string_view topic) const noexcept {
    const Node* node = &root_;
    for (std::size_t pos = 0; pos != no_more_levels && node;) {
      auto [level, next] = next_level(topic, pos);
      node = child_of(*node, level);
      pos = next;
    }
    return node && node->value ? &node->value.get() : nullptr;
  }

  /// Calls f(std::string_view topic, const Value&) once for every stored
  /// topic the filter matches. '#' visits a whole subtree; a leading wildcard
  /// skips '$' topics (4.7.2). f must not modify the index.
  template <class F>
  void match(std::string_view filter, F&& f) const {
    std::string topic;
    std::vector<Visit> pending;
    pending.push_back(Visit{&root_, 0, 0, {}, true});
    while (!pending.empty()) {
      Visit v = pending.back();
      pending.pop_back();
      if (v.node != &root_) {
        enter(topic, v);
      }
      match_from(v.node, v.pos, filter, topic, pending, f);
    }
  }

  /// Calls f(std::string_view topic, const Value&) for every stored topic.
  template <class F>
  void for_each(F&& f) const {
    std::string topic;
    collect(root_, false, topic, f);
  }

  /// Number of stored topics.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Number of trie nodes, root excluded: one per distinct topic prefix.
  [[nodiscard]] std::size_t node_count() const noexcept { return node_count_; }

  void clear() {
    root_ = Node{};
    size_ = 0;
    node_count_ = 0;
  }

 private:
  struct Node {
    std::unique_ptr<ChildMap<Node>> children;  ///< null or non-empty
    ValueSlot<Value> value;                    ///< set when a message is retained at this topic

    Node() = default;
    Node(Node&&) noexcept = default;
    Node& operator=(Node&&) noexcept = default;
    // The members' own destructors would recurse once per level: the
    // subtree is taken apart level by level, each node's children moved out
    // before the node goes.
    ~Node() {
      if (!children) {
        return;
      }
      std::vector<std::unique_ptr<ChildMap<Node>>> pending;
      pending.push_back(std::move(children));
      while (!pending.empty()) {
        std::unique_ptr<ChildMap<Node>> map = std::move(pending.back());
        pending.pop_back();
        map->for_each([&](std::string_view, Node& child) {
          if (child.children) {
            pending.push_back(std::move(child.children));
          }
        });
      }
    }
  };

  // A node a walk is to visit, and how to rebuild its topic name: `topic`
  // cut back to its parent's (parent_size bytes), then '/' (unless it is a
  // first level) and `level`. `pos`: where match() is in the filter.
  struct Visit {
    const Node* node = nullptr;
    std::size_t pos = 0;
    std::size_t parent_size = 0;
    std::string_view level;
    bool first_level = false;
  };

  static void enter(std::string& topic, const Visit& v) {
    topic.resize(v.parent_size);
    if (!v.first_level) {
      topic.push_back('/');
    }
    topic.append(v.level);
  }

  static const Node* child_of(const Node& node, std::string_view level) noexcept {
    return node.children ? std::as_const(*node.children).find(level) : nullptr;
  }
  template <class F>
  static void for_each_child(const Node& node, F&& f) {
    if (node.children) {
      std::as_const(*node.children).for_each(f);
    }
  }

  // Follows the filter down from `node` (which has consumed the filter
  // levels before `pos`; `topic` is its name): literal levels inline, the
  // children a '+' matches pushed for later, a '#' collected here.
  template <class F>
  void match_from(const Node* node, std::size_t pos, std::string_view filter, std::string& topic,
                  std::vector<Visit>& pending, F& f) const {
    for (;;) {
      if (pos == no_more_levels) {
        if (node->value) {
          f(std::string_view(topic), node->value.get());
        }
        return;
      }
      const bool at_root = node == &root_;
      auto [level, next] = next_level(filter, pos);
      if (level == "#") {
        // '#' includes the parent level (4.7.1.2): "sport/#" matches "sport".
        collect(*node, at_root, topic, f);
        return;
      }
      if (level == "+") {
        const std::size_t size = topic.size();
        for_each_child(*node, [&, next = next](std::string_view name, const Node& child) {
          if (!(at_root && is_dollar_topic(name))) {
            pending.push_back(Visit{&child, next, size, name, at_root});
          }
        });
        return;
      }
      const Node* child = child_of(*node, level);
      if (!child) {
        return;
      }
      enter(topic, Visit{child, next, topic.size(), level, at_root});
      node = child;
      pos = next;
    }
  }

  // Every value at and below `start` (whose name is `topic`, which is left
  // as it was); skip_dollar drops first levels starting with '$'.
  template <class F>
  void collect(const Node& start, bool skip_dollar, std::string& topic, F& f) const {
    const std::size_t start_size = topic.size();
    if (start.value) {
      f(std::string_view(topic), start.value.get());
    }
    std::vector<Visit> pending;
    const bool first_level = &start == &root_;
    for_each_child(start, [&](std::string_view name, const Node& child) {
      if (!(skip_dollar && is_dollar_topic(name))) {
        pending.push_back(Visit{&child, 0, start_size, name, first_level});
      }
    });
    while (!pending.empty()) {
      Visit v = pending.back();
      pending.pop_back();
      enter(topic, v);
      if (v.node->value) {
        f(std::string_view(topic), v.node->value.get());
      }
      const std::size_t size = topic.size();
      for_each_child(*v.node, [&](std::string_view name, const Node& child) {
        pending.push_back(Visit{&child, 0, size, name, false});
      });
    }
    topic.resize(start_size);
  }

  Node root_;
  std::size_t size_ = 0;
  std::size_t node_count_ = 0;
};

}  // namespace actormq::core
