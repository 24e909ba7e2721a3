#include "sched/supervisor.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <map>

#include "tests/sched/test_process.hpp"

namespace actormq::sched {
namespace {
using testing::Fn;

struct Crash {};
struct Quit {};

// Children that count their starts and die on request.
struct Family {
  std::map<std::string, int> starts;
  std::map<std::string, Pid> pids;

  ChildSpec child(const std::string& id, Restart restart = Restart::permanent) {
    ChildSpec spec;
    spec.id = id;
    spec.restart = restart;
    spec.make = [this, id] {
      ++starts[id];
      return std::make_unique<Fn>(
          [](Fn& self, Message& m) {
            if (m.is<Crash>()) {
              throw std::runtime_error("crash");
            }
            if (m.is<Quit>()) {
              self.exit(ExitReason::normal());
            }
          },
          nullptr, [this, id](Fn& self) { pids[id] = self.self(); });
    };
    return spec;
  }
};

SupervisorSpec spec_of(Strategy s, Family& f, std::uint32_t max_restarts = 10) {
  SupervisorSpec spec;
  spec.strategy = s;
  spec.max_restarts = max_restarts;
  spec.period_ms = 60000;
  spec.children = {f.child("a"), f.child("b"), f.child("c")};
  return spec;
}
}  // namespace

TEST_CASE("one_for_one restarts only the child that crashed") {
  Runtime rt(testing::stepped());
  Family f;
  spawn_supervisor(rt, spec_of(Strategy::one_for_one, f));
  rt.run_until_idle();
  CHECK(f.starts == std::map<std::string, int>{{"a", 1}, {"b", 1}, {"c", 1}});
  Pid old_b = f.pids["b"];
  rt.send<Crash>(old_b);
  rt.run_until_idle();
  CHECK(f.starts == std::map<std::string, int>{{"a", 1}, {"b", 2}, {"c", 1}});
  CHECK(f.pids["b"] != old_b);
  CHECK(rt.alive(f.pids["b"]));
}

TEST_CASE("one_for_all restarts every child") {
  Runtime rt(testing::stepped());
  Family f;
  spawn_supervisor(rt, spec_of(Strategy::one_for_all, f));
  rt.run_until_idle();
  Pid old_a = f.pids["a"];
  rt.send<Crash>(f.pids["b"]);
  rt.run_until_idle();
  CHECK(f.starts == std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}});
  CHECK_FALSE(rt.alive(old_a));
  CHECK(rt.process_count() == 4);
}

TEST_CASE("rest_for_one restarts the child and those started after it") {
  Runtime rt(testing::stepped());
  Family f;
  spawn_supervisor(rt, spec_of(Strategy::rest_for_one, f));
  rt.run_until_idle();
  rt.send<Crash>(f.pids["b"]);
  rt.run_until_idle();
  CHECK(f.starts == std::map<std::string, int>{{"a", 1}, {"b", 2}, {"c", 2}});
  CHECK(rt.process_count() == 4);
}

TEST_CASE("transient children are restarted only after an abnormal end, temporary never") {
  Runtime rt(testing::stepped());
  Family f;
  SupervisorSpec spec;
  spec.children = {f.child("t", Restart::transient), f.child("tmp", Restart::temporary)};
  spawn_supervisor(rt, std::move(spec));
  rt.run_until_idle();
  rt.send<Quit>(f.pids["t"]);
  rt.send<Crash>(f.pids["tmp"]);
  rt.run_until_idle();
  CHECK(f.starts == std::map<std::string, int>{{"t", 1}, {"tmp", 1}});
  CHECK(rt.process_count() == 1);  // only the supervisor
}

TEST_CASE("transient child crashing is restarted") {
  Runtime rt(testing::stepped());
  Family f;
  SupervisorSpec spec;
  spec.children = {f.child("t", Restart::transient)};
  spawn_supervisor(rt, std::move(spec));
  rt.run_until_idle();
  rt.send<Crash>(f.pids["t"]);
  rt.run_until_idle();
  CHECK(f.starts["t"] == 2);
}

TEST_CASE("more restarts than the intensity allows end the supervisor, and its parent sees why") {
  Runtime rt(testing::stepped());
  Family f;
  std::vector<ExitReason> seen;
  Pid parent = rt.spawn(std::make_unique<Fn>([&](Fn&, Message& m) {
    if (auto* e = m.as<ExitMsg>()) {
      seen.push_back(e->reason);
    }
  }));
  struct StartSup {};
  (void)parent;
  Pid sup;
  rt.spawn(std::make_unique<Fn>(
               [&](Fn& self, Message& m) {
                 if (auto* e = m.as<ExitMsg>()) {
                   seen.push_back(e->reason);
                 }
                 (void)self;
               },
               nullptr,
               [&](Fn& self) {
                 self.trap_exit(true);
                 SpawnOptions o;
                 o.start = true;
                 sup = self.spawn_link(
                     std::make_unique<Supervisor>(spec_of(Strategy::one_for_one, f, 2)), o);
               }),
           SpawnOptions{.start = true});
  rt.run_until_idle();
  for (int i = 0; i < 3; ++i) {
    rt.send<Crash>(f.pids["a"]);
    rt.run_until_idle();
  }
  CHECK(f.starts["a"] == 3);  // two restarts allowed, the third crash ends it
  CHECK_FALSE(rt.alive(sup));
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == ExitReason::shutdown("reached max restart intensity"));
  // Its children went down with it.
  CHECK_FALSE(rt.alive(f.pids["b"]));
  CHECK_FALSE(rt.alive(f.pids["c"]));
}

TEST_CASE("start_child adds a child at run time and replies with its pid") {
  Runtime rt(testing::stepped());
  Family f;
  SupervisorSpec spec;
  Pid sup = spawn_supervisor(rt, std::move(spec));
  std::vector<Pid> started;
  Pid asker = rt.spawn(std::make_unique<Fn>([&](Fn&, Message& m) {
    if (auto* s = m.as<ChildStarted>()) {
      started.push_back(s->pid);
    }
  }));
  rt.run_until_idle();
  rt.send<StartChild>(sup, StartChild{f.child("dyn"), asker});
  rt.run_until_idle();
  REQUIRE(started.size() == 1);
  CHECK(started[0] == f.pids["dyn"]);
  CHECK(rt.alive(started[0]));
}

}  // namespace actormq::sched
