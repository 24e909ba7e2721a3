#pragma once
// A list that costs one pointer until its first element (as LazyMap and
// LazyVector do): std::list is 24 bytes even when empty, and an idle
// session's queue is empty (memory per idle connection is a target; see
// BENCHMARKS.md). pop_front() frees the list with its last element, which is
// how a queue drains; erase() keeps it, so that the iterator it returns and
// end() stay comparable.

#include <cstddef>
#include <list>
#include <memory>
#include <utility>

namespace actormq::core {

template <class T>
class LazyList {
 public:
  using list_type = std::list<T>;
  using value_type = T;
  using iterator = typename list_type::iterator;
  using const_iterator = typename list_type::const_iterator;

  LazyList() = default;
  LazyList(LazyList&&) noexcept = default;
  LazyList& operator=(LazyList&&) noexcept = default;

  iterator begin() { return list_ ? list_->begin() : empty_list().begin(); }
  iterator end() { return list_ ? list_->end() : empty_list().end(); }
  const_iterator begin() const { return list_ ? list_->cbegin() : empty_list().cbegin(); }
  const_iterator end() const { return list_ ? list_->cend() : empty_list().cend(); }
  bool empty() const { return !list_ || list_->empty(); }
  std::size_t size() const { return list_ ? list_->size() : 0; }

  T& front() { return list_->front(); }
  const T& front() const { return list_->front(); }
  T& back() { return list_->back(); }
  const T& back() const { return list_->back(); }

  void push_back(T value) {
    if (!list_) {
      list_ = std::make_unique<list_type>();
    }
    list_->push_back(std::move(value));
  }
  void pop_front() {
    list_->pop_front();
    if (list_->empty()) {
      list_.reset();
    }
  }
  iterator erase(const_iterator it) { return list_->erase(it); }
  /// Moves every element of `other` to the end of this list, in order.
  void append(LazyList&& other) {
    if (other.empty()) {
      return;
    }
    if (empty()) {
      list_ = std::move(other.list_);
      return;
    }
    list_->splice(list_->end(), *other.list_);
    other.list_.reset();
  }

 private:
  // Never modified: begin() == end() on it.
  static list_type& empty_list() {
    static list_type empty;
    return empty;
  }

  std::unique_ptr<list_type> list_;
};

}  // namespace actormq::core
