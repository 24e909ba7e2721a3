#pragma once
// Text that several owners keep (a client id in its session and the session
// registry; a topic filter in the session and the route table): one
// immutable, reference-counted allocation instead of a std::string each
// (32 bytes inline and, past 15 characters, a heap copy each).
// Memory per connection is a target (BENCHMARKS.md).
//
// Thread-safe to copy and destroy from several threads (the count is atomic);
// the characters never change once made.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace actormq::core {

class SharedText {
 public:
  /// The empty text.
  SharedText() = default;
  explicit SharedText(std::string_view text) {
    if (!text.empty()) {
      void* mem = ::operator new(sizeof(Rep) + text.size());
      rep_ = new (mem) Rep{{1}, static_cast<std::uint32_t>(text.size())};
      std::memcpy(static_cast<char*>(mem) + sizeof(Rep), text.data(), text.size());
    }
  }
  SharedText(const SharedText& other) noexcept : rep_(other.rep_) {
    if (rep_ != nullptr) {
      rep_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  SharedText(SharedText&& other) noexcept : rep_(std::exchange(other.rep_, nullptr)) {}
  SharedText& operator=(SharedText other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  ~SharedText() {
    if (rep_ != nullptr && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      rep_->~Rep();
      ::operator delete(rep_);
    }
  }

  std::string_view view() const noexcept {
    return rep_ == nullptr ? std::string_view{}
                           : std::string_view(reinterpret_cast<const char*>(rep_ + 1), rep_->size);
  }
  operator std::string_view() const noexcept { return view(); }
  std::string str() const { return std::string(view()); }
  bool empty() const noexcept { return rep_ == nullptr; }

  friend bool operator==(const SharedText& a, const SharedText& b) noexcept { return a.view() == b.view(); }
  friend bool operator==(const SharedText& a, std::string_view b) noexcept { return a.view() == b; }
  friend std::ostream& operator<<(std::ostream& os, const SharedText& t) { return os << t.view(); }

 private:
  // The characters follow the header in the same allocation.
  struct Rep {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
  };
  Rep* rep_ = nullptr;
};

static_assert(sizeof(SharedText) == sizeof(void*));

}  // namespace actormq::core
