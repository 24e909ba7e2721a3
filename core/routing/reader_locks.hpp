#pragma once
// The locks of a table that every router reads and few write (the local
// routes, the rows to other nodes): each reader takes its own lock, on its
// own cache line, so readers never meet; a writer takes all of them, in
// order (no deadlock between writers).

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace actormq::core {

class ReaderLocks {
 public:
  /// `readers`: how many readers (reader 0 .. readers-1); 0 is taken as 1.
  explicit ReaderLocks(std::size_t readers)
      : readers_(readers == 0 ? 1 : readers), locks_(std::make_unique<Lock[]>(readers_)) {}

  [[nodiscard]] std::size_t readers() const noexcept { return readers_; }
  /// Reader `reader`'s lock.
  [[nodiscard]] std::mutex& reader(std::size_t reader) const { return locks_[reader].mutex; }
  /// Every reader's lock, in order.
  [[nodiscard]] std::vector<std::unique_lock<std::mutex>> all() const {
    std::vector<std::unique_lock<std::mutex>> held;
    held.reserve(readers_);
    for (std::size_t i = 0; i < readers_; ++i) {
      held.emplace_back(locks_[i].mutex);
    }
    return held;
  }

 private:
  struct alignas(64) Lock {
    mutable std::mutex mutex;
  };
  std::size_t readers_;
  std::unique_ptr<Lock[]> locks_;
};

}  // namespace actormq::core
