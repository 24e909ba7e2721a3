#pragma once
// A client id as the session that has it and the session registry both keep
// it: one immutable, reference-counted allocation instead of a std::string
// each (32 bytes inline and, past 15 characters, a heap copy each).
// Memory per idle connection is a target (BENCHMARKS.md).
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

class ClientId {
 public:
  /// The empty id.
  ClientId() = default;
  explicit ClientId(std::string_view id) {
    if (!id.empty()) {
      void* mem = ::operator new(sizeof(Rep) + id.size());
      rep_ = new (mem) Rep{{1}, static_cast<std::uint32_t>(id.size())};
      std::memcpy(static_cast<char*>(mem) + sizeof(Rep), id.data(), id.size());
    }
  }
  ClientId(const ClientId& other) noexcept : rep_(other.rep_) {
    if (rep_ != nullptr) {
      rep_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  ClientId(ClientId&& other) noexcept : rep_(std::exchange(other.rep_, nullptr)) {}
  ClientId& operator=(ClientId other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  ~ClientId() {
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

  friend bool operator==(const ClientId& a, std::string_view b) noexcept { return a.view() == b; }
  friend std::ostream& operator<<(std::ostream& os, const ClientId& id) { return os << id.view(); }

 private:
  // The characters follow the header in the same allocation.
  struct Rep {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
  };
  Rep* rep_ = nullptr;
};

static_assert(sizeof(ClientId) == sizeof(void*));

}  // namespace actormq::core
