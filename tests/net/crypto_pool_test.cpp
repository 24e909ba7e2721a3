// The handshake workers: every job runs once, on a worker (never on the
// caller), first in first out on one worker, and the destructor runs what is
// still queued before it joins (a queued job may own a stream to free).
#include "net/crypto_pool.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace actormq::net {

TEST_CASE("crypto pool: 0 threads is one per core, at least one") {
  CryptoPool pool(0);
  CHECK(pool.size() == std::max(1u, std::thread::hardware_concurrency()));
  CryptoPool two(2);
  CHECK(two.size() == 2);
}

TEST_CASE("crypto pool: jobs submitted from several threads each run once, on a worker") {
  std::atomic<int> ran{0};
  std::atomic<int> on_caller{0};
  {
    CryptoPool pool(3);
    std::vector<std::thread> submitters;
    for (int t = 0; t < 4; ++t) {
      submitters.emplace_back([&] {
        std::thread::id self = std::this_thread::get_id();
        for (int i = 0; i < 250; ++i) {
          pool.submit([&, self] {
            ran.fetch_add(1);
            on_caller.fetch_add(std::this_thread::get_id() == self ? 1 : 0);
          });
        }
      });
    }
    for (std::thread& t : submitters) {
      t.join();
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);  // watchdog
    while (pool.completed() < 1000 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    CHECK(pool.completed() == 1000);
    CHECK(pool.queued() == 0);
  }
  CHECK(ran.load() == 1000);
  CHECK(on_caller.load() == 0);
}

TEST_CASE("crypto pool: one worker runs jobs in order, and the destructor runs what is queued, then joins") {
  std::vector<int> order;  // written by the one worker only, read after the join
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  {
    CryptoPool pool(1);
    pool.submit([open] { open.wait(); });
    for (int i = 0; i < 5; ++i) {
      pool.submit([&order, i] { order.push_back(i); });
    }
    CHECK(pool.queued() >= 5);
    gate.set_value();
  }
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

}  // namespace actormq::net
