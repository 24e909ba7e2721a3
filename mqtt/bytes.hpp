#pragma once
// SharedBytes: an immutable, reference-counted byte buffer, the C++ analogue
// of an Erlang refc binary. A PUBLISH payload is allocated once when parsed and
// then shared by every subscriber's outgoing queue without copying.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace actormq::mqtt {

/// Immutable byte buffer with an intrusive atomic reference count. Copying is
/// one atomic increment; the bytes never change after creation, so any number
/// of threads may read them concurrently. An empty SharedBytes owns nothing.
class SharedBytes {
 public:
  /// Empty buffer; allocates nothing.
  SharedBytes() noexcept = default;

  /// One allocation holding the count and a copy of `data`.
  [[nodiscard]] static SharedBytes copy_of(std::span<const std::uint8_t> data);
  [[nodiscard]] static SharedBytes copy_of(std::string_view data);

  /// Allocates `size` bytes and lets `fill(std::span<std::uint8_t>)` write them
  /// once, before the buffer can be shared (e.g. reading from disk).
  template <class Fill>
  [[nodiscard]] static SharedBytes build(std::size_t size, Fill&& fill) {
    SharedBytes b = allocate(size);
    if (size != 0) {
      std::forward<Fill>(fill)(std::span<std::uint8_t>(b.block_->bytes(), size));
    }
    return b;
  }

  SharedBytes(const SharedBytes& other) noexcept : block_(other.block_) { retain(); }
  SharedBytes(SharedBytes&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  SharedBytes& operator=(const SharedBytes& other) noexcept {
    SharedBytes(other).swap(*this);
    return *this;
  }
  SharedBytes& operator=(SharedBytes&& other) noexcept {
    SharedBytes(std::move(other)).swap(*this);
    return *this;
  }
  ~SharedBytes() { release(); }

  void swap(SharedBytes& other) noexcept { std::swap(block_, other.block_); }

  [[nodiscard]] const std::uint8_t* data() const noexcept {
    return block_ ? block_->bytes() : nullptr;
  }
  [[nodiscard]] std::size_t size() const noexcept { return block_ ? block_->size : 0; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] std::span<const std::uint8_t> span() const noexcept { return {data(), size()}; }
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data()), size()};
  }
  /// Number of SharedBytes sharing this buffer (0 when empty); for tests and metrics.
  [[nodiscard]] std::size_t use_count() const noexcept {
    return block_ ? block_->refs.load(std::memory_order_relaxed) : 0;
  }

  /// Byte-wise equality.
  friend bool operator==(const SharedBytes& a, const SharedBytes& b) noexcept {
    return a.view() == b.view();
  }

 private:
  struct Block {
    std::atomic<std::size_t> refs;
    std::size_t size;
    std::uint8_t* bytes() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
  };

  static SharedBytes allocate(std::size_t size);
  void retain() noexcept {
    if (block_) {
      block_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void release() noexcept;

  Block* block_ = nullptr;
};

}  // namespace actormq::mqtt
