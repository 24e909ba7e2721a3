#pragma once
// A vector that costs one pointer until its first element (as LazyMap does
// for maps): std::vector is 24 bytes even when empty, and most sessions hold
// nothing in the few vectors every session has (memory per idle connection
// is a target; see BENCHMARKS.md). Iterators are plain pointers. The vector
// is freed again when the last element goes.

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <vector>

namespace actormq::core {

template <class T>
class LazyVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  LazyVector() = default;
  LazyVector(std::initializer_list<T> items) { *this = items; }
  LazyVector(LazyVector&&) noexcept = default;
  LazyVector& operator=(LazyVector&&) noexcept = default;
  LazyVector(const LazyVector& other) : v_(other.v_ ? std::make_unique<std::vector<T>>(*other.v_) : nullptr) {}
  LazyVector& operator=(const LazyVector& other) {
    if (this != &other) {
      v_ = other.v_ ? std::make_unique<std::vector<T>>(*other.v_) : nullptr;
    }
    return *this;
  }
  LazyVector& operator=(std::initializer_list<T> items) {
    v_ = items.size() == 0 ? nullptr : std::make_unique<std::vector<T>>(items);
    return *this;
  }

  iterator begin() { return v_ ? v_->data() : nullptr; }
  iterator end() { return v_ ? v_->data() + v_->size() : nullptr; }
  const_iterator begin() const { return v_ ? v_->data() : nullptr; }
  const_iterator end() const { return v_ ? v_->data() + v_->size() : nullptr; }
  bool empty() const { return !v_; }
  std::size_t size() const { return v_ ? v_->size() : 0; }

  void push_back(T value) {
    if (!v_) {
      v_ = std::make_unique<std::vector<T>>();
    }
    v_->push_back(std::move(value));
  }
  iterator erase(const_iterator it) {
    auto at = v_->begin() + (it - v_->data());
    std::size_t index = static_cast<std::size_t>(at - v_->begin());
    v_->erase(at);
    if (v_->empty()) {
      v_.reset();
      return nullptr;
    }
    return v_->data() + index;
  }
  void clear() { v_.reset(); }

  friend bool operator==(const LazyVector& a, const LazyVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::unique_ptr<std::vector<T>> v_;  ///< null or not empty
};

}  // namespace actormq::core
