#pragma once
// BodyRef: the stored copy of one message body, owned by the in-memory
// message it belongs to. A body is written once, by the first session that
// queues the message for a persistent session (every other queue entry refers
// to it by id), and erased when the last in-memory holder of the message
// lets it go: by then every queue entry that referred to it was erased or
// handed to another holder, since entries live as long as their messages.

#include <atomic>
#include <cstdint>
#include <utility>

#include "persist/writer.hpp"

namespace actormq::persist {

class BodyRef {
 public:
  BodyRef() = default;
  /// `id` != 0: the body is stored already under that id (loaded at start).
  explicit BodyRef(Writer* writer, std::uint64_t id = 0) noexcept : writer_(writer), id_(id) {}
  /// A copy is another message: it gets its own body when it is stored.
  BodyRef(const BodyRef& other) noexcept : writer_(other.writer_) {}
  BodyRef& operator=(const BodyRef&) = delete;
  ~BodyRef() {
    std::uint64_t id = id_.load(std::memory_order_relaxed);
    if (writer_ != nullptr && id != 0) {
      writer_->drop_body(id);
    }
  }

  /// Owner-only, before the message is shared: ties it to `writer` (and,
  /// with `id` != 0, to the body stored under that id).
  void attach(Writer* writer, std::uint64_t id = 0) noexcept {
    writer_ = writer;
    id_.store(id, std::memory_order_relaxed);
  }
  [[nodiscard]] Writer* writer() const noexcept { return writer_; }
  /// Thread-safe. The body's id; `first` is true for the one caller that
  /// must write the body (the others only refer to it).
  struct Claim {
    std::uint64_t id;
    bool first;
  };
  Claim claim() const noexcept {
    std::uint64_t id = id_.load(std::memory_order_acquire);
    if (id != 0) {
      return {id, false};
    }
    std::uint64_t fresh = writer_->next_body_id();
    if (id_.compare_exchange_strong(id, fresh, std::memory_order_acq_rel)) {
      return {fresh, true};
    }
    return {id, false};  // another session won; `id` now holds its value
  }

 private:
  Writer* writer_ = nullptr;
  mutable std::atomic<std::uint64_t> id_{0};
};

}  // namespace actormq::persist
