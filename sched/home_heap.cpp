#include "sched/home_heap.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace actormq::sched::home_heap {

namespace {

constexpr std::uint32_t no_home = UINT32_MAX;
constexpr std::uint32_t max_homes = 256;

struct alignas(16) Header {
  std::uint32_t home;  ///< index into homes, or no_home
  Header* next;        ///< on a returned list: the one returned before
};
static_assert(sizeof(Header) == 16);

/// A returned list that no longer takes blocks (its home detached).
Header* const closed = reinterpret_cast<Header*>(alignof(Header));

struct alignas(64) Home {
  std::atomic<Header*> returned{closed};
  std::atomic<std::uint32_t> queued{0};  ///< about how many are on returned
  std::atomic<bool> taken{false};
};

Home homes[max_homes];
thread_local std::uint32_t tl_home = no_home;
std::atomic<std::uint64_t> collected_total{0};
std::atomic<std::uint64_t> freed_for_full{0};

void free_list(Header* h) noexcept {
  std::uint64_t n = 0;
  while (h != nullptr) {
    Header* next = h->next;
    std::free(h);
    h = next;
    ++n;
  }
  collected_total.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace

void* allocate(std::size_t size) {
  void* raw = std::malloc(sizeof(Header) + size);
  if (raw == nullptr) {
    throw std::bad_alloc();
  }
  auto* h = static_cast<Header*>(raw);
  h->home = tl_home;
  return h + 1;
}

void deallocate(void* block) noexcept {
  if (block == nullptr) {
    return;
  }
  Header* h = static_cast<Header*>(block) - 1;
  const std::uint32_t home = h->home;
  if (home == no_home || home == tl_home) {
    std::free(h);
    return;
  }
  Home& to = homes[home];
  Header* head = to.returned.load(std::memory_order_relaxed);
  if (to.queued.fetch_add(1, std::memory_order_relaxed) >= max_queued && head != closed && head != nullptr) {
    // Its home has not run for a while: do not keep its memory waiting.
    // (A CAS, not an exchange: a home that closed meanwhile stays closed.)
    if (to.returned.compare_exchange_strong(head, nullptr, std::memory_order_acquire, std::memory_order_relaxed)) {
      to.queued.store(0, std::memory_order_relaxed);
      free_list(head);
      freed_for_full.fetch_add(1, std::memory_order_relaxed);
      std::free(h);
      return;
    }
  }
  for (;;) {
    if (head == closed) {
      std::free(h);
      return;
    }
    h->next = head;  // never read through head: its home may be freeing it
    if (to.returned.compare_exchange_weak(head, h, std::memory_order_release, std::memory_order_relaxed)) {
      return;
    }
  }
}

bool attach() noexcept {
  if (tl_home != no_home) {
    return true;
  }
  for (std::uint32_t i = 0; i < max_homes; ++i) {
    bool expected = false;
    if (homes[i].taken.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      Header* left = homes[i].returned.exchange(nullptr, std::memory_order_acq_rel);
      free_list(left == closed ? nullptr : left);
      homes[i].queued.store(0, std::memory_order_relaxed);
      tl_home = i;
      return true;
    }
  }
  return false;
}

void collect() noexcept {
  if (tl_home == no_home) {
    return;
  }
  std::atomic<Header*>& returned = homes[tl_home].returned;
  if (returned.load(std::memory_order_relaxed) == nullptr) {
    return;
  }
  homes[tl_home].queued.store(0, std::memory_order_relaxed);
  free_list(returned.exchange(nullptr, std::memory_order_acquire));
}

void detach() noexcept {
  if (tl_home == no_home) {
    return;
  }
  Home& home = homes[tl_home];
  Header* left = home.returned.exchange(closed, std::memory_order_acq_rel);
  free_list(left == closed ? nullptr : left);
  tl_home = no_home;
  home.taken.store(false, std::memory_order_release);
}

Counts counts() noexcept {
  return Counts{collected_total.load(std::memory_order_relaxed), freed_for_full.load(std::memory_order_relaxed)};
}

}  // namespace actormq::sched::home_heap
