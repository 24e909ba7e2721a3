#pragma once
// The in-memory index of retained messages: topic name -> entry, stored as a
// trie over topic levels so that a new subscription's filter finds every
// retained topic it matches by walking the filter, not by testing every
// stored topic (matching rules at the top of core/topic_trie.hpp). The
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

#include "core/topic_trie.hpp"

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
/// (mqtt/topic.hpp): no '+' or '#'. Walks recurse once per
/// level, so callers bound the depth by enforcing max_topic_levels.
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
  bool erase(std::string_view topic) { return erase_below(root_, topic, 0); }

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
    match_below(root_, filter, 0, topic, f);
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
  };

  static const Node* child_of(const Node& node, std::string_view level) noexcept {
    return node.children ? std::as_const(*node.children).find(level) : nullptr;
  }
  template <class F>
  static void for_each_child(const Node& node, F&& f) {
    if (node.children) {
      node.children->for_each(f);
    }
  }

  // Appends a level to the topic name of `node` (empty at the root) and
  // removes it again when the walk leaves the child.
  class Descend {
   public:
    Descend(std::string& topic, const Node& node, const Node& root, std::string_view level) : topic_(topic) {
      size_ = topic.size();
      if (&node != &root) {
        topic.push_back('/');
      }
      topic.append(level);
    }
    ~Descend() { topic_.resize(size_); }
    Descend(const Descend&) = delete;
    Descend& operator=(const Descend&) = delete;

   private:
    std::string& topic_;
    std::size_t size_;
  };

  bool erase_below(Node& node, std::string_view topic, std::size_t pos) {
    if (pos == no_more_levels) {
      if (!node.value) {
        return false;
      }
      node.value.reset();
      --size_;
      return true;
    }
    auto [level, next] = next_level(topic, pos);
    Node* child = node.children ? node.children->find(level) : nullptr;
    if (!child || !erase_below(*child, topic, next)) {
      return false;
    }
    if (!child->value && !child->children) {
      node.children->erase(level);
      --node_count_;
      if (node.children->empty()) {
        node.children.reset();
      }
    }
    return true;
  }

  // `node` has consumed the filter levels before `pos`; `topic` is its
  // topic name (empty for the root, whose children are first levels).
  template <class F>
  void match_below(const Node& node, std::string_view filter, std::size_t pos, std::string& topic, F& f) const {
    if (pos == no_more_levels) {
      if (node.value) {
        f(std::string_view(topic), node.value.get());
      }
      return;
    }
    const bool at_root = &node == &root_;
    // Not a structured binding: the lambda below captures `next`, which
    // clang before 16 refuses for a binding.
    const auto [level, after] = next_level(filter, pos);
    const std::size_t next = after;
    if (level == "#") {
      // '#' includes the parent level (4.7.1.2): "sport/#" matches "sport".
      collect(node, at_root, topic, f);
    } else if (level == "+") {
      for_each_child(node, [&](std::string_view name, const Node& child) {
        if (!(at_root && is_dollar_topic(name))) {
          Descend d(topic, node, root_, name);
          match_below(child, filter, next, topic, f);
        }
      });
    } else if (const Node* child = child_of(node, level)) {
      Descend d(topic, node, root_, level);
      match_below(*child, filter, next, topic, f);
    }
  }

  // Every value at and below `node`; skip_dollar drops first levels starting with '$'.
  template <class F>
  void collect(const Node& node, bool skip_dollar, std::string& topic, F& f) const {
    if (node.value) {
      f(std::string_view(topic), node.value.get());
    }
    for_each_child(node, [&](std::string_view name, const Node& child) {
      if (!(skip_dollar && is_dollar_topic(name))) {
        Descend d(topic, node, root_, name);
        collect(child, false, topic, f);
      }
    });
  }

  Node root_;
  std::size_t size_ = 0;
  std::size_t node_count_ = 0;
};

}  // namespace actormq::core
