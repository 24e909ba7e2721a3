#pragma once
// Memory that goes home to be freed: blocks that one thread allocates and
// another frees (a message built by the publisher's scheduler and destroyed
// by the subscriber's) are handed back to the thread that allocated them,
// which frees them in a batch at the end of its next slice. BEAM does the
// same ("delayed dealloc"). Freed elsewhere, each block took the allocating
// thread's arena lock in glibc's free(), against that thread's own mallocs:
// under QoS 1 fan-in most of the broker's time went to that lock.
//
// Each block has a 16-byte header: the index of its home (or none) and, on
// the way back, the link of the returned list. Threads that are not homes
// (and blocks allocated by them) free at once, as malloc does.

#include <cstddef>
#include <cstdint>

namespace actormq::sched::home_heap {

/// `size` bytes, aligned to 16, owned by the calling thread's home if it has
/// one. Throws std::bad_alloc as operator new does.
[[nodiscard]] void* allocate(std::size_t size);

/// Frees a block of allocate(): at once on its home thread or a thread
/// without one, else queued for its home (which frees it at its next
/// collect()). A home with too many returned blocks queued is not waited
/// for: the thread that finds it so frees them.
void deallocate(void* block) noexcept;

/// The calling thread becomes a home (a scheduler thread). False if every
/// home slot is taken: its blocks are then freed wherever they are.
bool attach() noexcept;

/// Frees the blocks other threads returned to this thread's home.
void collect() noexcept;

/// Collects, and ends this thread's home: blocks returned to it later are
/// freed by the thread that returns them.
void detach() noexcept;

/// Process-wide counts (tests): blocks freed from homes' queues.
struct Counts {
  std::uint64_t collected = 0;
  std::uint64_t freed_for_full = 0;  ///< times a returning thread freed a full home's queue
};
Counts counts() noexcept;

/// At most this many returned blocks wait for one home.
inline constexpr std::uint32_t max_queued = 4096;

/// A standard allocator on the home heap (std::allocate_shared of what is
/// built on one scheduler and let go on another).
template <class T>
struct Allocator {
  using value_type = T;
  Allocator() noexcept = default;
  template <class U>
  Allocator(const Allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(home_heap::allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { home_heap::deallocate(p); }
  template <class U>
  friend bool operator==(const Allocator&, const Allocator<U>&) noexcept {
    return true;
  }
};

}  // namespace actormq::sched::home_heap
