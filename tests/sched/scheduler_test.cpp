// The runtime on real scheduler threads: cross-scheduler sends, links and
// monitors across threads, work sharing, timers, shutdown.
#include "sched/scheduler.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <vector>

#include "tests/sched/test_process.hpp"

namespace actormq::sched {
namespace {
using testing::Fn;
using testing::wait_until;

struct Item {
  std::uint32_t sender;
  std::uint32_t seq;
};
struct Go {};
struct Do {
  std::function<void(Fn&)> f;
};
struct Tick {
  int n;
};

Fn::Handler runs_do() {
  return [](Fn& self, Message& m) {
    if (auto* d = m.as<Do>()) {
      d->f(self);
    }
  };
}
}  // namespace

TEST_CASE("send storm across schedulers: every message arrives once, in per-sender order") {
  Runtime rt(testing::threaded(2));
  constexpr std::uint32_t senders = 8;
  constexpr std::uint32_t per_sender = 100000;
  std::vector<std::uint32_t> next(senders, 0);
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> out_of_order{0};
  std::vector<Pid> receivers;
  for (int r = 0; r < 2; ++r) {
    SpawnOptions o;
    o.scheduler = r;
    o.pinned = true;
    receivers.push_back(rt.spawn(
        std::make_unique<Fn>([&](Fn&, Message& m) {
          auto* it = m.as<Item>();
          // Each sender sends to one receiver, so per-receiver state is per-sender.
          if (it->seq != next[it->sender]) {
            out_of_order.fetch_add(1);
          }
          next[it->sender] = it->seq + 1;
          // Not relaxed: the test thread reads `next` once it sees the count.
          received.fetch_add(1);
        }),
        o));
  }
  for (std::uint32_t s = 0; s < senders; ++s) {
    SpawnOptions o;
    o.scheduler = static_cast<int>(s % 2);
    Pid target = receivers[(s / 2) % 2];  // half the senders send across schedulers
    Pid p = rt.spawn(std::make_unique<Fn>([=](Fn& self, Message&) {
                       for (std::uint32_t i = 0; i < per_sender; ++i) {
                         self.send<Item>(target, Item{s, i});
                       }
                     }),
                     o);
    rt.send<Go>(p);
  }
  REQUIRE(wait_until([&] { return received.load() == std::uint64_t{senders} * per_sender; }, 30000));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(received.load() == std::uint64_t{senders} * per_sender);  // and no more
  CHECK(out_of_order.load() == 0);
  for (std::uint32_t s = 0; s < senders; ++s) {
    CHECK(next[s] == per_sender);
  }
}

TEST_CASE("links and monitors work across schedulers") {
  Runtime rt(testing::threaded(2));
  std::atomic<int> downs{0};
  std::atomic<int> exits{0};
  SpawnOptions on0;
  on0.scheduler = 0;
  SpawnOptions on1;
  on1.scheduler = 1;
  Pid victim = rt.spawn(std::make_unique<Fn>(runs_do()), on1);
  Pid linked = rt.spawn(std::make_unique<Fn>(runs_do(), [&](Fn&, const ExitReason& r) {
                          if (r == ExitReason::error("bad")) {
                            exits.fetch_add(1);
                          }
                        }),
                        on0);
  Pid watcher = rt.spawn(std::make_unique<Fn>([&](Fn& self, Message& m) {
                           if (auto* d = m.as<Do>()) {
                             d->f(self);
                           } else if (auto* down = m.as<DownMsg>()) {
                             if (down->pid == victim && down->reason == ExitReason::error("bad")) {
                               downs.fetch_add(1);
                             }
                           }
                         }),
                         on0);
  std::atomic<int> ready{0};
  rt.send<Do>(linked, [&](Fn& self) {
    self.link(victim);
    ready.fetch_add(1);
  });
  rt.send<Do>(watcher, [&](Fn& self) {
    self.monitor(victim);
    ready.fetch_add(1);
  });
  REQUIRE(wait_until([&] { return ready.load() == 2; }));
  // The link and monitor signals were sent before `ready`, so they are queued ahead.
  rt.send<Do>(victim, [](Fn& self) { self.exit(ExitReason::error("bad")); });
  REQUIRE(wait_until([&] { return downs.load() == 1 && exits.load() == 1; }));
  CHECK(wait_until([&] { return rt.process_count() == 1; }));  // only the watcher is left
}

TEST_CASE("work sharing: an idle scheduler takes unpinned processes from a busy one") {
  Runtime rt(testing::threaded(2));
  constexpr int workers = 8;
  std::atomic<int> done{0};
  std::vector<std::atomic<int>> ran_on(2);
  for (int i = 0; i < workers; ++i) {
    SpawnOptions o;
    o.scheduler = 0;
    auto count = std::make_shared<int>(0);
    Pid p = rt.spawn(std::make_unique<Fn>([&, count](Fn& self, Message&) {
                       ran_on[Scheduler::current()->id()].fetch_add(1, std::memory_order_relaxed);
                       // Busy work: a few microseconds per message, 20000 messages.
                       volatile std::uint64_t x = 0;
                       for (int k = 0; k < 2000; ++k) {
                         x = x + static_cast<std::uint64_t>(k);
                       }
                       if (++*count < 20000) {
                         self.send<Go>(self.self());
                       } else {
                         done.fetch_add(1);
                       }
                     }),
                     o);
    rt.send<Go>(p);
  }
  REQUIRE(wait_until([&] { return done.load() == workers; }, 60000));
  CHECK(ran_on[1].load() > 0);
  CHECK(rt.scheduler(0).processes_stolen() > 0);
}

TEST_CASE("pinned processes are never moved") {
  Runtime rt(testing::threaded(2));
  constexpr int workers = 4;
  std::atomic<int> done{0};
  std::atomic<int> wrong{0};
  for (int i = 0; i < workers; ++i) {
    SpawnOptions o;
    o.scheduler = 0;
    o.pinned = true;
    auto count = std::make_shared<int>(0);
    Pid p = rt.spawn(std::make_unique<Fn>([&, count](Fn& self, Message&) {
                       if (Scheduler::current()->id() != 0) {
                         wrong.fetch_add(1);
                       }
                       if (++*count < 20000) {
                         self.send<Go>(self.self());
                       } else {
                         done.fetch_add(1);
                       }
                     }),
                     o);
    rt.send<Go>(p);
  }
  REQUIRE(wait_until([&] { return done.load() == workers; }, 60000));
  CHECK(wrong.load() == 0);
}

TEST_CASE("send_after delivers after the delay, a cancelled timer never fires") {
  Runtime rt(testing::threaded(2));
  std::atomic<int> got{0};
  std::atomic<int> got_cancelled{0};
  std::atomic<std::int64_t> elapsed_ms{-1};
  auto start = std::chrono::steady_clock::now();
  Pid p = rt.spawn(std::make_unique<Fn>([&](Fn& self, Message& m) {
    if (auto* d = m.as<Do>()) {
      d->f(self);
    } else if (auto* t = m.as<Tick>()) {
      if (t->n == 1) {
        got.fetch_add(1);
        elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
      } else {
        got_cancelled.fetch_add(1);
      }
    }
  }));
  rt.send<Do>(p, [](Fn& self) {
    self.send_after(self.self(), make_message<Tick>(1), 50);
    TimerRef r = self.send_after(self.self(), make_message<Tick>(2), 20);
    CHECK(self.cancel_timer(r));
  });
  REQUIRE(wait_until([&] { return got.load() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(got_cancelled.load() == 0);
  CHECK(elapsed_ms.load() >= 49);  // never early (late is only noise)
}

TEST_CASE("100,000 timers on one scheduler all fire, once each") {
  Runtime rt(testing::threaded(1));
  constexpr int n = 100000;
  std::atomic<int> fired{0};
  Pid sink = rt.spawn(std::make_unique<Fn>([&](Fn& self, Message& m) {
    if (auto* d = m.as<Do>()) {
      d->f(self);
    } else if (m.is<Tick>()) {
      fired.fetch_add(1, std::memory_order_relaxed);
    }
  }));
  rt.send<Do>(sink, [&](Fn& self) {
    for (int i = 0; i < n; ++i) {
      self.send_after(self.self(), make_message<Tick>(i), 1 + static_cast<std::uint64_t>(i % 300));
    }
  });
  REQUIRE(wait_until([&] { return fired.load() == n; }, 20000));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(fired.load() == n);
}

TEST_CASE("shutdown ends busy and idle processes, running on_exit for each") {
  Runtime rt(testing::threaded(2));
  std::atomic<int> exits{0};
  for (int i = 0; i < 100; ++i) {
    Pid p = rt.spawn(std::make_unique<Fn>([](Fn& self, Message&) { self.send<Go>(self.self()); },
                                          [&](Fn&, const ExitReason& r) {
                                            if (r.kind == ExitReason::Kind::shutdown) {
                                              exits.fetch_add(1);
                                            }
                                          }));
    if (i % 2 == 0) {
      rt.send<Go>(p);  // busy forever
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(rt.shutdown(10000) == 0);
  CHECK(exits.load() == 100);
}

}  // namespace actormq::sched
