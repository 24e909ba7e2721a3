#include "sched/timer_wheel.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <vector>

namespace actormq::sched {
namespace {
struct Tag {
  int n;
};

struct Fired {
  std::vector<std::pair<std::uint64_t, int>> at;  // (wheel time, tag)
};

void advance(TimerWheel& w, std::uint64_t to, Fired& f) {
  w.advance(to, [&](Pid, MessagePtr m) { f.at.emplace_back(w.now(), m->as<Tag>()->n); });
}
}  // namespace

TEST_CASE("timers fire at their deadline, in deadline order") {
  TimerWheel w(1000);
  Fired f;
  w.add(Pid(0, 1), make_message<Tag>(3), 30);
  w.add(Pid(0, 1), make_message<Tag>(1), 10);
  w.add(Pid(0, 1), make_message<Tag>(2), 10);
  CHECK(w.size() == 3);
  CHECK(w.next_deadline() == 1010);
  advance(w, 1009, f);
  CHECK(f.at.empty());
  advance(w, 1030, f);
  REQUIRE(f.at.size() == 3);
  CHECK(f.at[0] == std::pair<std::uint64_t, int>{1010, 1});
  CHECK(f.at[1] == std::pair<std::uint64_t, int>{1010, 2});
  CHECK(f.at[2] == std::pair<std::uint64_t, int>{1030, 3});
  CHECK(w.size() == 0);
  CHECK_FALSE(w.next_deadline());
}

TEST_CASE("a zero delay fires on the next tick") {
  TimerWheel w(0);
  Fired f;
  w.add(Pid(0, 1), make_message<Tag>(1), 0);
  advance(w, 1, f);
  CHECK(f.at.size() == 1);
}

TEST_CASE("cancel removes a pending timer once, stale refs are refused") {
  TimerWheel w(0);
  Fired f;
  TimerRef a = w.add(Pid(0, 1), make_message<Tag>(1), 5);
  TimerRef b = w.add(Pid(0, 1), make_message<Tag>(2), 5);
  CHECK(w.cancel(a));
  CHECK_FALSE(w.cancel(a));
  advance(w, 10, f);
  CHECK(f.at.size() == 1);
  CHECK_FALSE(w.cancel(b));  // already fired
  TimerRef c = w.add(Pid(0, 1), make_message<Tag>(3), 5);  // reuses a freed entry
  CHECK((c.index == a.index || c.index == b.index));
  CHECK_FALSE(w.cancel(a));
  CHECK_FALSE(w.cancel(b));
  CHECK(w.cancel(c));
}

TEST_CASE("deadlines on every level and beyond the wheel fire exactly on time") {
  const std::uint64_t start = 123456;
  TimerWheel w(start);
  std::vector<std::uint64_t> delays = {1, 63, 64, 65, 4095, 4096, 4097, 262143, 262144,
                                       262145, 16777215, 16777216, 16777217, 40000000};
  for (std::size_t i = 0; i < delays.size(); ++i) {
    w.add(Pid(0, 1), make_message<Tag>(static_cast<int>(i)), delays[i]);
  }
  Fired f;
  // Jump from deadline to deadline as a scheduler would.
  while (auto next = w.next_deadline()) {
    CHECK(*next > w.now());
    advance(w, *next, f);
  }
  REQUIRE(f.at.size() == delays.size());
  for (std::size_t i = 0; i < delays.size(); ++i) {
    CHECK(f.at[i].first == start + delays[i]);
    CHECK(f.at[i].second == static_cast<int>(i));
  }
}

TEST_CASE("random timers with cancellations match a reference model") {
  std::mt19937_64 rng(42);
  TimerWheel w(0);
  std::map<int, std::pair<std::uint64_t, TimerRef>> pending;
  std::multimap<std::uint64_t, int> expected;
  Fired f;
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t delay = rng() % (rng() % 2 ? 100 : 500000);
    TimerRef ref = w.add(Pid(0, 1), make_message<Tag>(i), delay);
    pending[i] = {std::max<std::uint64_t>(delay, 1), ref};
  }
  for (int i = 0; i < 20000; i += 3) {
    CHECK(w.cancel(pending[i].second));
    pending.erase(i);
  }
  for (auto& [tag, p] : pending) {
    expected.emplace(p.first, tag);
  }
  while (auto next = w.next_deadline()) {
    advance(w, *next, f);
  }
  REQUIRE(f.at.size() == expected.size());
  std::size_t k = 0;
  for (auto& [when, tag] : expected) {
    CHECK(f.at[k].first == when);
    ++k;
  }
  CHECK(w.size() == 0);
}

}  // namespace actormq::sched
