// Process semantics on a stepped (deterministic, thread-free) runtime.
#include "sched/process.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "tests/sched/test_process.hpp"

namespace actormq::sched {
namespace {
using testing::Fn;

struct Ping {
  int n;
};
struct Boom {};
struct Do {
  std::function<void(Fn&)> f;
};

// A process that runs Do messages and records everything else it receives.
struct Recorder {
  std::vector<std::string> log;
  Fn::Handler handler() {
    return [this](Fn& self, Message& m) {
      if (auto* d = m.as<Do>()) {
        d->f(self);
      } else if (auto* p = m.as<Ping>()) {
        log.push_back("ping " + std::to_string(p->n));
      } else if (m.is<Boom>()) {
        throw std::runtime_error("boom");
      } else if (auto* e = m.as<ExitMsg>()) {
        log.push_back("EXIT " + e->reason.to_string());
      } else if (auto* d2 = m.as<DownMsg>()) {
        log.push_back("DOWN " + d2->reason.to_string());
      }
    };
  }
};

Pid spawn_recorder(Runtime& rt, Recorder& r, SpawnOptions o = {}) {
  return rt.spawn(std::make_unique<Fn>(r.handler()), o);
}
}  // namespace

TEST_CASE("messages arrive in order and a process with no mail costs no run") {
  Runtime rt(testing::stepped());
  Recorder r;
  Pid p = spawn_recorder(rt, r);
  CHECK(p.valid());
  CHECK(rt.run_until_idle() == 0);
  for (int i = 0; i < 3; ++i) {
    CHECK(rt.send<Ping>(p, i));
  }
  CHECK(rt.run_until_idle() == 1);  // one run handles all three
  CHECK(r.log == std::vector<std::string>{"ping 0", "ping 1", "ping 2"});
}

TEST_CASE("a handler that throws ends its process with reason exception") {
  Runtime rt(testing::stepped());
  Recorder watcher;
  Recorder victim;
  Pid v = spawn_recorder(rt, victim);
  Pid w = spawn_recorder(rt, watcher);
  rt.send<Do>(w, [v](Fn& self) { self.monitor(v); });
  rt.run_until_idle();
  rt.send<Boom>(v);
  rt.send<Ping>(v, 1);  // never handled
  rt.run_until_idle();
  CHECK_FALSE(rt.alive(v));
  CHECK(victim.log.empty());
  CHECK(watcher.log == std::vector<std::string>{"DOWN exception: boom"});
  CHECK_FALSE(rt.send<Ping>(v, 2));  // sends to the dead fail
  CHECK(rt.process_count() == 1);
}

TEST_CASE("a stale pid does not reach the process that reuses its slot, which is the oldest freed one") {
  Runtime rt(testing::stepped());
  Recorder a;
  Pid old = spawn_recorder(rt, a);
  rt.exit(old, ExitReason::kill());
  rt.run_until_idle();
  // Until enough slots are free, every spawn takes a new one: a slot is not
  // reused at once, however often processes come and go.
  for (std::size_t i = 1; i < ProcessTable::reuse_after_free; ++i) {
    Pid p = rt.spawn(std::make_unique<Fn>([](Fn&, Message&) {}));
    REQUIRE(p.index() != old.index());
    rt.exit(p, ExitReason::kill());
    rt.run_until_idle();
  }
  Recorder b;
  Pid fresh = spawn_recorder(rt, b);
  CHECK(fresh.index() == old.index());
  CHECK(fresh.generation() == old.generation() + 1);
  CHECK(fresh != old);
  CHECK_FALSE(rt.send<Ping>(old, 1));
  rt.run_until_idle();
  CHECK(b.log.empty());
}

TEST_CASE("pids carry the runtime's creation: a pid of an earlier run reaches no process of this one") {
  RuntimeConfig first_run = testing::stepped();
  first_run.node = 3;
  first_run.creation = 7;
  RuntimeConfig second_run = first_run;
  second_run.creation = 8;
  Runtime before(first_run);
  Recorder a;
  Pid old = spawn_recorder(before, a);
  CHECK(old.node() == 3);
  CHECK(old.creation() == 7);
  before.shutdown();

  Runtime now(second_run);
  Recorder b;
  Pid fresh = spawn_recorder(now, b);
  // Same node, slot and generation: only the creation tells them apart.
  CHECK(fresh.index() == old.index());
  CHECK(fresh.generation() == old.generation());
  CHECK(fresh.creation() == 8);
  CHECK(fresh != old);
  CHECK_FALSE(now.send<Ping>(old, 1));
  Recorder watcher;
  Pid w = spawn_recorder(now, watcher);
  now.send<Do>(w, [old](Fn& self) { self.monitor(old); });
  now.run_until_idle();
  CHECK(b.log.empty());
  REQUIRE(watcher.log.size() == 1);
  CHECK(watcher.log[0] == "DOWN noproc");
}

TEST_CASE("links: an abnormal exit kills linked processes, a trapping one gets EXIT") {
  Runtime rt(testing::stepped());
  Recorder a, b, c;
  Pid pa = spawn_recorder(rt, a);
  Pid pb = spawn_recorder(rt, b);
  Pid pc = spawn_recorder(rt, c);
  rt.send<Do>(pb, [pa](Fn& self) { self.link(pa); });
  rt.send<Do>(pc, [pb](Fn& self) {
    self.trap_exit(true);
    self.link(pb);
  });
  rt.run_until_idle();
  rt.send<Boom>(pa);
  rt.run_until_idle();
  CHECK_FALSE(rt.alive(pa));
  CHECK_FALSE(rt.alive(pb));  // died of pa's exit, along the link
  CHECK(rt.alive(pc));
  CHECK(c.log == std::vector<std::string>{"EXIT exception: boom"});
}

TEST_CASE("links: a normal exit does not propagate, unlink stops propagation") {
  Runtime rt(testing::stepped());
  Recorder a, b, c;
  Pid pa = spawn_recorder(rt, a);
  Pid pb = spawn_recorder(rt, b);
  Pid pc = spawn_recorder(rt, c);
  rt.send<Do>(pb, [pa](Fn& self) { self.link(pa); });
  rt.send<Do>(pc, [pa](Fn& self) {
    self.link(pa);
    self.unlink(pa);
  });
  rt.run_until_idle();
  rt.send<Do>(pa, [](Fn& self) { self.exit(ExitReason::normal()); });
  rt.run_until_idle();
  CHECK_FALSE(rt.alive(pa));
  CHECK(rt.alive(pb));
  CHECK(rt.alive(pc));
}

TEST_CASE("linking to or monitoring a dead pid gives noproc") {
  Runtime rt(testing::stepped());
  Recorder dead, r;
  Pid pd = spawn_recorder(rt, dead);
  rt.exit(pd, ExitReason::kill());
  Pid pr = spawn_recorder(rt, r);
  rt.run_until_idle();
  rt.send<Do>(pr, [pd](Fn& self) {
    self.trap_exit(true);
    self.link(pd);
    self.monitor(pd);
  });
  rt.run_until_idle();
  std::vector<std::string> want{"EXIT noproc", "DOWN noproc"};
  CHECK(r.log == want);
}

TEST_CASE("exit/2: kill is untrappable, shutdown is trapped, normal is ignored") {
  Runtime rt(testing::stepped());
  Recorder t;
  Pid p = spawn_recorder(rt, t);
  rt.send<Do>(p, [](Fn& self) { self.trap_exit(true); });
  rt.run_until_idle();
  rt.exit(p, ExitReason::normal());
  rt.exit(p, ExitReason::shutdown());
  rt.run_until_idle();
  CHECK(rt.alive(p));
  CHECK(t.log == std::vector<std::string>{"EXIT normal", "EXIT shutdown"});
  Recorder w;
  Pid pw = spawn_recorder(rt, w);
  rt.send<Do>(pw, [p](Fn& self) { self.monitor(p); });
  rt.run_until_idle();
  rt.exit(p, ExitReason::kill());
  rt.run_until_idle();
  CHECK_FALSE(rt.alive(p));
  CHECK(w.log == std::vector<std::string>{"DOWN killed"});
}

TEST_CASE("demonitor: no DOWN after it, and the target forgets the watcher") {
  Runtime rt(testing::stepped());
  Recorder target, w;
  Pid pt = spawn_recorder(rt, target);
  Pid pw = spawn_recorder(rt, w);
  rt.send<Do>(pw, [pt](Fn& self) {
    MonitorRef ref = self.monitor(pt);
    self.demonitor(ref);
  });
  rt.run_until_idle();
  rt.send<Boom>(pt);
  rt.run_until_idle();
  CHECK(w.log.empty());
}

TEST_CASE("signals overtake queued messages") {
  Runtime rt(testing::stepped());
  Recorder r;
  Pid p = spawn_recorder(rt, r);
  rt.send<Ping>(p, 1);
  rt.exit(p, ExitReason::kill());
  rt.run_until_idle();
  CHECK(r.log.empty());
  CHECK_FALSE(rt.alive(p));
}

TEST_CASE("registry: names are unique and freed when the process exits") {
  Runtime rt(testing::stepped());
  Recorder a, b;
  Pid pa = spawn_recorder(rt, a);
  Pid pb = spawn_recorder(rt, b);
  bool a_ok = false, b_ok = true;
  rt.send<Do>(pa, [&](Fn& self) { a_ok = self.register_name("router"); });
  rt.run_until_idle();
  rt.send<Do>(pb, [&](Fn& self) { b_ok = self.register_name("router"); });
  rt.run_until_idle();
  CHECK(a_ok);
  CHECK_FALSE(b_ok);
  CHECK(rt.registry().whereis("router") == pa);
  rt.exit(pa, ExitReason::kill());
  rt.run_until_idle();
  CHECK_FALSE(rt.registry().whereis("router"));
  CHECK(rt.registry().size() == 0);
}

TEST_CASE("fairness: a process flooding itself cannot delay another by more than one budget") {
  RuntimeConfig cfg = testing::stepped();
  cfg.reduction_budget = 100;
  Runtime rt(cfg);
  std::uint64_t hog_handled = 0;
  std::uint64_t hog_at_ping = 0;
  Pid hog = rt.spawn(std::make_unique<Fn>([&](Fn& self, Message&) {
    ++hog_handled;
    self.send<Ping>(self.self(), 0);  // forever
  }));
  rt.send<Ping>(hog, 0);
  Scheduler& s = rt.scheduler(0);
  s.run_once();
  s.run_once();
  Recorder other;
  Pid po = spawn_recorder(rt, other);
  std::uint64_t before = hog_handled;
  rt.send<Do>(po, [&](Fn&) { hog_at_ping = hog_handled; });
  // Run slices one at a time until the other process has run.
  for (int i = 0; i < 10 && hog_at_ping == 0; ++i) {
    s.run_once();
  }
  REQUIRE(hog_at_ping != 0);
  CHECK(hog_at_ping - before <= 100);
  rt.shutdown();
}

TEST_CASE("a high priority process runs before every runnable normal process") {
  RuntimeConfig cfg = testing::stepped();
  cfg.reduction_budget = 10;
  Runtime rt(cfg);
  std::uint64_t hogs_handled = 0;
  std::vector<Pid> hogs;
  for (int i = 0; i < 3; ++i) {
    hogs.push_back(rt.spawn(std::make_unique<Fn>([&](Fn& self, Message&) {
      ++hogs_handled;
      self.send<Ping>(self.self(), 0);  // forever
    })));
    rt.send<Ping>(hogs.back(), 0);
  }
  Scheduler& s = rt.scheduler(0);
  s.run_once();
  std::vector<std::uint64_t> hogs_at_urgent;
  SpawnOptions o;
  o.high_priority = true;
  Pid urgent = rt.spawn(std::make_unique<Fn>([&](Fn&, Message&) { hogs_at_urgent.push_back(hogs_handled); }), o);
  for (int round = 0; round < 3; ++round) {
    std::uint64_t before = hogs_handled;
    rt.send<Ping>(urgent, round);
    s.run_once();
    // Three hogs were runnable, each worth a budget of 10 messages: the
    // urgent process ran first, before any of them.
    REQUIRE(hogs_at_urgent.size() == static_cast<std::size_t>(round + 1));
    CHECK(hogs_at_urgent.back() == before);
    CHECK(hogs_handled > before);  // and the hogs still ran in the slice
  }
  rt.shutdown();
}

TEST_CASE("defer: one Deferred message, after everything runnable has run") {
  RuntimeConfig cfg = testing::stepped();
  Runtime rt(cfg);
  std::vector<std::string> order;
  Pid last = rt.spawn(std::make_unique<Fn>([&](Fn&, Message& m) {
    order.push_back("last " + std::to_string(m.as<Ping>()->n));
  }));
  Pid first = rt.spawn(std::make_unique<Fn>([&](Fn& self, Message& m) {
    if (m.is<Deferred>()) {
      order.push_back("deferred");
      return;
    }
    order.push_back("first " + std::to_string(m.as<Ping>()->n));
    self.defer();
    self.defer();  // already pending: no second message
    self.send<Ping>(last, m.as<Ping>()->n);  // what the deferred work must follow
  }));
  rt.send<Ping>(first, 1);
  rt.send<Ping>(first, 2);
  rt.scheduler(0).run_until_idle();
  CHECK(order == std::vector<std::string>{"first 1", "first 2", "last 1", "last 2", "deferred"});
  // Once delivered, it can be asked for again.
  rt.send<Ping>(first, 3);
  rt.scheduler(0).run_until_idle();
  CHECK(order.size() == 8);
  CHECK(order.back() == "deferred");
  rt.shutdown();
}

TEST_CASE("mailbox_backlog counts what a slice took in, mailbox_within sees later mail too") {
  RuntimeConfig cfg = testing::stepped();
  Runtime rt(cfg);
  std::vector<std::uint32_t> backlog;
  std::vector<int> within;
  Pid p = rt.spawn(std::make_unique<Fn>([&](Fn& self, Message& m) {
    backlog.push_back(self.mailbox_backlog());
    within.push_back(self.mailbox_within(2) ? 1 : 0);
    if (m.as<Ping>()->n == 0) {
      self.send<Ping>(self.self(), 99);  // arrives after this slice's fetch
    }
  }));
  for (int i = 0; i < 5; ++i) {
    rt.send<Ping>(p, i);
  }
  rt.scheduler(0).run_until_idle();
  REQUIRE(backlog.size() == 6);
  CHECK(backlog[0] == 4);  // the other four of the first fetch
  CHECK(backlog[2] == 2);
  CHECK(within[0] == 0);
  CHECK(within[2] == 0);  // two left in the lanes, but one waits on the stack
  CHECK(backlog[4] == 0);
  CHECK(within[4] == 0);  // the lanes are empty; the message sent to itself is not fetched yet
  CHECK(backlog[5] == 0);
  CHECK(within[5] == 1);
  rt.shutdown();
}

TEST_CASE("1,000,000 idle processes spawned and torn down") {
  RuntimeConfig cfg = testing::stepped(2);
  Runtime rt(cfg);
  constexpr int n = 1000000;
  std::atomic<int> exits{0};
  for (int i = 0; i < n; ++i) {
    rt.spawn(std::make_unique<Fn>([](Fn&, Message&) {},
                                  [&](Fn&, const ExitReason&) { exits.fetch_add(1); }));
  }
  CHECK(rt.process_count() == n);
  CHECK(rt.shutdown() == 0);
  CHECK(exits.load() == n);
  CHECK(rt.process_count() == 0);
}

}  // namespace actormq::sched
