#include "sched/dynamic_supervisor.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "tests/sched/test_process.hpp"

namespace actormq::sched {
namespace {
using testing::Fn;

struct Crash {};
struct Quit {};

ChildSpec worker(std::vector<Pid>& started, Restart restart) {
  ChildSpec spec;
  spec.id = "worker";
  spec.restart = restart;
  spec.make = [&started] {
    return std::make_unique<Fn>(
        [](Fn& self, Message& m) {
          if (m.is<Crash>()) {
            throw std::runtime_error("crash");
          }
          if (m.is<Quit>()) {
            self.exit(ExitReason::normal());
          }
        },
        nullptr, [&started](Fn& self) { started.push_back(self.self()); });
  };
  return spec;
}

Pid spawn_dynamic(Runtime& rt, DynamicSupervisorSpec spec = {}) {
  SpawnOptions o;
  o.start = true;
  return rt.spawn(std::make_unique<DynamicSupervisor>(spec), o);
}
}  // namespace

TEST_CASE("dynamic supervisor: 10,000 temporary children come and go, crashes stay contained") {
  Runtime rt(testing::stepped());
  Pid sup = spawn_dynamic(rt);
  std::vector<Pid> started;
  for (int i = 0; i < 10000; ++i) {
    rt.send<StartChild>(sup, StartChild{worker(started, Restart::temporary), Pid{}});
  }
  rt.run_until_idle();
  REQUIRE(started.size() == 10000);
  CHECK(rt.process_count() == 10001);
  for (std::size_t i = 0; i < started.size(); ++i) {
    if (i % 2 == 0) {
      rt.send<Crash>(started[i]);
    } else {
      rt.send<Quit>(started[i]);
    }
  }
  rt.run_until_idle();
  CHECK(started.size() == 10000);     // temporary: none restarted
  CHECK(rt.alive(sup));               // crashes of temporary children do not count
  CHECK(rt.process_count() == 1);
}

TEST_CASE("dynamic supervisor: permanent children are restarted, within the intensity") {
  Runtime rt(testing::stepped());
  Pid sup = spawn_dynamic(rt, DynamicSupervisorSpec{2, 60000});
  std::vector<Pid> started;
  rt.send<StartChild>(sup, StartChild{worker(started, Restart::permanent), Pid{}});
  rt.run_until_idle();
  REQUIRE(started.size() == 1);
  rt.send<Crash>(started.back());
  rt.run_until_idle();
  CHECK(started.size() == 2);
  rt.send<Crash>(started.back());
  rt.run_until_idle();
  CHECK(started.size() == 3);
  CHECK(rt.alive(sup));
  rt.send<Crash>(started.back());  // third restart in the period: too many
  rt.run_until_idle();
  CHECK_FALSE(rt.alive(sup));
  CHECK(rt.process_count() == 0);
}

TEST_CASE("dynamic supervisor: ending it ends its children") {
  Runtime rt(testing::stepped());
  Pid sup = spawn_dynamic(rt);
  std::vector<Pid> started;
  for (int i = 0; i < 3; ++i) {
    rt.send<StartChild>(sup, StartChild{worker(started, Restart::temporary), Pid{}});
  }
  rt.run_until_idle();
  rt.exit(sup, ExitReason::kill());
  rt.run_until_idle();
  CHECK(rt.process_count() == 0);
}

}  // namespace actormq::sched
