#include "sched/home_heap.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

namespace actormq::sched {
namespace {

/// Runs `f` on a thread of its own and waits for it.
template <class F>
void on_thread(F&& f) {
  std::thread t(std::forward<F>(f));
  t.join();
}

std::vector<void*> allocate_n(std::size_t n, std::size_t size) {
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < n; ++i) {
    void* p = home_heap::allocate(size);
    std::memset(p, 0xab, size);  // the whole size is usable
    blocks.push_back(p);
  }
  return blocks;
}

}  // namespace

TEST_CASE("home heap: blocks freed on another thread wait for their home, which frees them at collect") {
  std::atomic<int> step{0};
  std::vector<void*> blocks;
  std::uint64_t before = 0;
  std::uint64_t after_return = 0;
  std::uint64_t after_collect = 0;
  std::thread home([&] {
    REQUIRE(home_heap::attach());
    blocks = allocate_n(100, 40);
    before = home_heap::counts().collected;
    step = 1;
    while (step.load() != 2) {
      std::this_thread::yield();
    }
    after_return = home_heap::counts().collected;
    home_heap::collect();
    after_collect = home_heap::counts().collected;
    home_heap::detach();
  });
  while (step.load() != 1) {
    std::this_thread::yield();
  }
  on_thread([&] {
    for (void* p : blocks) {
      home_heap::deallocate(p);
    }
  });
  step = 2;
  home.join();
  CHECK(after_return == before);        // nothing freed by the returning thread
  CHECK(after_collect == before + 100);  // all by their home
}

TEST_CASE("home heap: a thread without a home, or the home itself, frees at once") {
  std::uint64_t before = home_heap::counts().collected;
  std::vector<void*> blocks = allocate_n(10, 16);  // this thread has no home
  on_thread([&] {
    for (void* p : blocks) {
      home_heap::deallocate(p);
    }
  });
  on_thread([] {
    REQUIRE(home_heap::attach());
    for (void* p : allocate_n(10, 300)) {
      home_heap::deallocate(p);
    }
    home_heap::collect();
    home_heap::detach();
  });
  home_heap::deallocate(nullptr);
  CHECK(home_heap::counts().collected == before);
}

TEST_CASE("home heap: blocks returned after their home ended are freed by the thread that returns them") {
  std::vector<void*> blocks;
  on_thread([&] {
    REQUIRE(home_heap::attach());
    blocks = allocate_n(20, 64);
    home_heap::detach();
  });
  std::uint64_t before = home_heap::counts().collected;
  for (void* p : blocks) {
    home_heap::deallocate(p);  // LeakSanitizer: none may stay queued
  }
  CHECK(home_heap::counts().collected == before);
  // The slot is taken again by a new home: it starts with nothing queued.
  on_thread([] {
    REQUIRE(home_heap::attach());
    std::uint64_t start = home_heap::counts().collected;
    home_heap::collect();
    CHECK(home_heap::counts().collected == start);
    home_heap::detach();
  });
}

TEST_CASE("home heap: a home that does not collect keeps at most max_queued blocks waiting") {
  constexpr std::size_t n = home_heap::max_queued * 3;
  std::atomic<int> step{0};
  std::vector<void*> blocks;
  std::uint64_t collected_at_home = 0;
  std::thread home([&] {
    REQUIRE(home_heap::attach());
    blocks = allocate_n(n, 24);
    step = 1;
    while (step.load() != 2) {
      std::this_thread::yield();
    }
    std::uint64_t before = home_heap::counts().collected;
    home_heap::collect();
    collected_at_home = home_heap::counts().collected - before;
    home_heap::detach();
  });
  while (step.load() != 1) {
    std::this_thread::yield();
  }
  std::uint64_t full_before = home_heap::counts().freed_for_full;
  on_thread([&] {
    for (void* p : blocks) {
      home_heap::deallocate(p);
    }
  });
  CHECK(home_heap::counts().freed_for_full - full_before >= 2);
  step = 2;
  home.join();
  CHECK(collected_at_home <= home_heap::max_queued);
  CHECK(collected_at_home > 0);
}

TEST_CASE("home heap: threads freeing each other's blocks at once lose none (run under the sanitizers)") {
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::vector<std::atomic<void*>> slots(1024);
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      bool home = t % 2 == 0 && home_heap::attach();  // two homes, two threads without
      while (!go.load()) {
        std::this_thread::yield();
      }
      for (int i = 0; i < per_thread; ++i) {
        void* mine = home_heap::allocate(static_cast<std::size_t>(16 + (i % 7) * 24));
        void* theirs = slots[static_cast<std::size_t>((i * 7 + t) % 1024)].exchange(mine);
        home_heap::deallocate(theirs);
        if (home && i % 64 == 0) {
          home_heap::collect();
        }
      }
      if (home) {
        home_heap::detach();
      }
    });
  }
  go = true;
  for (auto& t : ts) {
    t.join();
  }
  for (auto& s : slots) {
    home_heap::deallocate(s.exchange(nullptr));
  }
}

}  // namespace actormq::sched
