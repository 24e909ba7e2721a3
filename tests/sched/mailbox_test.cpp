#include "sched/mailbox.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

namespace actormq::sched {
namespace {
struct Num {
  int n;
};
struct Sig {
  int n;
};
int num(Message* m) { return m->as<Num>() ? m->as<Num>()->n : m->as<Sig>()->n; }
}  // namespace

TEST_CASE("a new mailbox is blocked: the first push wakes the reader, later ones do not") {
  Mailbox mb;
  CHECK(mb.push(make_message<Num>(1)) == Mailbox::PushResult::woke_reader);
  CHECK(mb.push(make_message<Num>(2)) == Mailbox::PushResult::queued);
  mb.fetch();
  MessagePtr a(mb.pop());
  MessagePtr b(mb.pop());
  CHECK(num(a.get()) == 1);
  CHECK(num(b.get()) == 2);
  CHECK(mb.pop() == nullptr);
  CHECK(mb.try_block());
  CHECK(mb.push(make_message<Num>(3)) == Mailbox::PushResult::woke_reader);
}

TEST_CASE("try_block fails and fetches when mail arrived after the lanes ran dry") {
  Mailbox mb;
  (void)mb.push(make_message<Num>(1));
  mb.fetch();
  MessagePtr a(mb.pop());
  (void)mb.push(make_message<Num>(2));
  CHECK_FALSE(mb.try_block());
  MessagePtr b(mb.pop());
  REQUIRE(b);
  CHECK(num(b.get()) == 2);
}

TEST_CASE("signals overtake ordinary messages, each lane keeps arrival order") {
  Mailbox mb;
  (void)mb.push(make_message<Num>(1));
  (void)mb.push(make_signal<Sig>(10));
  (void)mb.push(make_message<Num>(2));
  (void)mb.push(make_signal<Sig>(11));
  mb.fetch();
  std::vector<int> order;
  while (Message* m = mb.pop()) {
    order.push_back(num(m));
    delete m;
  }
  CHECK(order == std::vector<int>{10, 11, 1, 2});
}

TEST_CASE("a closed mailbox refuses pushes and returns what was queued, in order") {
  Mailbox mb;
  (void)mb.push(make_message<Num>(1));
  mb.fetch();
  (void)mb.push(make_message<Num>(2));
  (void)mb.push(make_signal<Sig>(3));
  Message* rest = mb.close();
  std::vector<int> order;
  while (rest != nullptr) {
    MessagePtr m = Mailbox::take_front(rest);
    order.push_back(num(m.get()));
  }
  CHECK(order == std::vector<int>{1, 2, 3});
  CHECK(mb.push(make_message<Num>(4)) == Mailbox::PushResult::closed);
  CHECK(mb.closed());
}

TEST_CASE("many writers, one reader: nothing lost, nothing doubled, one wake per block") {
  Mailbox mb;
  constexpr int writers = 4;
  constexpr int per_writer = 50000;
  std::atomic<int> wakes{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_writer; ++i) {
        if (mb.push(make_message<Num>(w * per_writer + i)) == Mailbox::PushResult::woke_reader) {
          wakes.fetch_add(1);
        }
      }
    });
  }
  std::vector<int> last(writers, -1);
  int received = 0;
  int blocks = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (received < writers * per_writer && std::chrono::steady_clock::now() < deadline) {
    mb.fetch();
    while (Message* m = mb.pop()) {
      int n = num(m);
      int w = n / per_writer;
      CHECK(n > last[static_cast<std::size_t>(w)]);  // per-writer FIFO
      last[static_cast<std::size_t>(w)] = n;
      ++received;
      delete m;
    }
    if (mb.try_block()) {
      ++blocks;
      while (wakes.load() < blocks + 1 && received < writers * per_writer &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
    }
  }
  for (auto& t : threads) {
    t.join();
  }
  mb.fetch();
  while (Message* m = mb.pop()) {
    ++received;
    delete m;
  }
  CHECK(received == writers * per_writer);
  // The initial blocked state plus every successful try_block produced exactly one wake.
  CHECK(wakes.load() <= blocks + 1);
  CHECK(wakes.load() >= blocks);
}

}  // namespace actormq::sched
