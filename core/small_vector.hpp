#pragma once
// A vector that holds its first element inside itself: most route sets and
// client-directory rows hold exactly one entry (one subscriber of a topic,
// one node holding a client id), and a cluster keeps such a row on every
// node for every connection. std::vector puts even one element in a heap
// block of its own (32 bytes with malloc's header); this keeps it in the
// bytes the vector's pointers would take, and moves to the heap from the
// second element on. It comes back inside when one element is left, so churn
// does not leave blocks behind. Iterators are plain pointers; an insertion
// or a removal invalidates them, as std::vector's reallocation does.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace actormq::core {

template <class T>
class SmallVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  SmallVector() noexcept = default;
  ~SmallVector() { release(); }
  SmallVector(SmallVector&& other) noexcept { take(other); }
  SmallVector& operator=(SmallVector&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  SmallVector(const SmallVector& other) {
    reserve(other.size_);
    for (const T& item : other) {
      emplace_back(item);
    }
  }
  SmallVector& operator=(const SmallVector& other) {
    if (this != &other) {
      SmallVector copy(other);
      *this = std::move(copy);
    }
    return *this;
  }

  [[nodiscard]] T* data() noexcept { return inline_() ? std::launder(reinterpret_cast<T*>(bytes_)) : heap(); }
  [[nodiscard]] const T* data() const noexcept {
    return inline_() ? std::launder(reinterpret_cast<const T*>(bytes_)) : heap();
  }
  [[nodiscard]] iterator begin() noexcept { return data(); }
  [[nodiscard]] iterator end() noexcept { return data() + size_; }
  [[nodiscard]] const_iterator begin() const noexcept { return data(); }
  [[nodiscard]] const_iterator end() const noexcept { return data() + size_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] bool on_heap() const noexcept { return !inline_(); }

  /// An element of two pointers or more leaves a word beside the heap
  /// pointer once the elements are on the heap: the owner may keep one of
  /// its own there (RouteSet keeps its index), rather than a member beside
  /// the vector. Null when the elements first move to the heap; kept as
  /// they grow and move; gone when they come back inline (the owner takes
  /// it first).
  static constexpr bool has_spare = sizeof(T) >= 2 * sizeof(void*);
  [[nodiscard]] void* spare() const noexcept requires has_spare {
    void* p;
    std::memcpy(&p, bytes_ + sizeof(T*), sizeof p);
    return p;
  }
  void set_spare(void* p) noexcept requires has_spare { std::memcpy(bytes_ + sizeof(T*), &p, sizeof p); }
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T& back() noexcept { return data()[size_ - 1]; }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) {
      // Made before the move: an argument may be one of our own elements.
      T value(std::forward<Args>(args)...);
      reserve(std::size_t{capacity_} * 2);
      return *::new (data() + size_++) T(std::move(value));
    }
    return *::new (data() + size_++) T(std::forward<Args>(args)...);
  }
  void push_back(T value) { emplace_back(std::move(value)); }

  void pop_back() noexcept {
    data()[--size_].~T();
    if (size_ == 1 && !inline_()) {
      shrink_inside();
    }
  }

  /// Removes every element `pred` holds for, keeping the others' order; how many went.
  template <class Pred>
  std::size_t erase_if(Pred pred) {
    T* first = data();
    T* kept = std::remove_if(first, first + size_, pred);
    const std::size_t gone = static_cast<std::size_t>(first + size_ - kept);
    for (std::size_t i = 0; i < gone; ++i) {
      pop_back();
    }
    return gone;
  }

  void clear() noexcept {
    release();
    size_ = 0;
    capacity_ = 1;
  }

  void reserve(std::size_t n) {
    if (n <= capacity_) {
      return;
    }
    T* fresh = std::allocator<T>{}.allocate(n);
    T* old = data();
    std::uninitialized_move(old, old + size_, fresh);
    std::destroy(old, old + size_);
    const bool was_inline = inline_();
    if (!was_inline) {
      std::allocator<T>{}.deallocate(old, capacity_);
    }
    set_heap(fresh);
    if constexpr (has_spare) {
      if (was_inline) {
        set_spare(nullptr);
      }
    }
    capacity_ = static_cast<std::uint32_t>(n);
  }

 private:
  static constexpr std::size_t room = sizeof(T) > sizeof(T*) ? sizeof(T) : sizeof(T*);

  bool inline_() const noexcept { return capacity_ == 1; }
  T* heap() const noexcept {
    T* p;
    std::memcpy(&p, bytes_, sizeof p);
    return p;
  }
  void set_heap(T* p) noexcept { std::memcpy(bytes_, &p, sizeof p); }

  void shrink_inside() noexcept {
    T* old = heap();
    T last(std::move(old[0]));
    old[0].~T();
    std::allocator<T>{}.deallocate(old, capacity_);
    capacity_ = 1;
    ::new (static_cast<void*>(bytes_)) T(std::move(last));
  }

  void release() noexcept {
    T* first = data();
    std::destroy(first, first + size_);
    if (!inline_()) {
      std::allocator<T>{}.deallocate(first, capacity_);
    }
  }

  void take(SmallVector& other) noexcept {
    size_ = other.size_;
    capacity_ = other.capacity_;
    if (other.inline_()) {
      if (size_ == 1) {
        ::new (static_cast<void*>(bytes_)) T(std::move(other[0]));
        other[0].~T();
      }
    } else {
      std::memcpy(bytes_, other.bytes_, room);  // the heap pointer and the spare word
    }
    other.size_ = 0;
    other.capacity_ = 1;
  }

  alignas(T) alignas(T*) unsigned char bytes_[room];
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 1;  ///< 1: the element (if any) is in bytes_
};

}  // namespace actormq::core
