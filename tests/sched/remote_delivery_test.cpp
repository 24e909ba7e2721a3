// Sends to pids of other nodes: never into this node's process table, always
// through the registered RemoteDelivery, counted and reported when dropped;
// links and monitors across an unreachable node fire with noconnection.
#include "sched/remote_delivery.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/sched/test_process.hpp"

namespace actormq::sched {
namespace {
using testing::Fn;

struct Ping {
  int n;
};
struct Do {
  std::function<void(Fn&)> f;
};

// Runs Do messages; records pings, EXIT and DOWN messages.
struct Recorder {
  std::vector<std::string> log;
  Fn::Handler handler() {
    return [this](Fn& self, Message& m) {
      if (auto* d = m.as<Do>()) {
        d->f(self);
      } else if (auto* p = m.as<Ping>()) {
        log.push_back("ping " + std::to_string(p->n));
      } else if (auto* e = m.as<ExitMsg>()) {
        log.push_back("EXIT " + e->from.to_string() + " " + e->reason.to_string());
      } else if (auto* down = m.as<DownMsg>()) {
        log.push_back("DOWN " + down->pid.to_string() + " " + down->reason.to_string());
      }
    };
  }
};

// Records what the runtime hands over, as text, and accepts it or not.
struct FakeRemote : RemoteDelivery {
  bool accept = true;
  std::vector<std::string> got;
  bool send(Pid to, MessagePtr msg) override {
    std::string what = "?";
    if (auto* p = msg->as<Ping>()) {
      what = "ping " + std::to_string(p->n);
    } else if (auto* link = msg->as<signal::Link>()) {
      what = "link from " + link->from.to_string();
    } else if (auto* unlink = msg->as<signal::Unlink>()) {
      what = "unlink from " + unlink->from.to_string();
    } else if (auto* mon = msg->as<signal::Monitor>()) {
      what = "monitor from " + mon->from.to_string();
    } else if (msg->is<signal::Demonitor>()) {
      what = "demonitor";
    } else if (auto* e = msg->as<signal::Exit>()) {
      what = "exit " + e->reason.to_string() + (e->linked ? " linked" : "");
    } else if (auto* down = msg->as<DownMsg>()) {
      what = "DOWN " + down->reason.to_string();
    }
    got.push_back(to.to_string() + " " + what);
    return accept;
  }
  bool is_busy = false;
  std::vector<Pid> waiters;
  bool busy(Pid) const override { return is_busy; }
  void wait(Pid, Pid waiter) override { waiters.push_back(waiter); }
};

RuntimeConfig stepped_node(std::uint16_t node, std::vector<std::string>* warnings = nullptr,
                           std::uint64_t report_interval_ms = 3600 * 1000) {
  RuntimeConfig c = testing::stepped();
  c.node = node;
  c.remote_drop_report_interval_ms = report_interval_ms;
  if (warnings != nullptr) {
    c.on_warning = [warnings](const std::string& line) { warnings->push_back(line); };
  }
  return c;
}
}  // namespace

TEST_CASE("a pid of another node never reaches the local process with the same serial") {
  std::vector<std::string> warnings;
  Runtime rt(stepped_node(3, &warnings));
  CHECK(rt.node() == 3);
  Recorder r;
  Pid local = rt.spawn(std::make_unique<Fn>(r.handler()));
  CHECK(local.node() == 3);
  Pid twin(4, local.serial());  // same serial, other node
  CHECK_FALSE(rt.send<Ping>(twin, 1));
  CHECK_FALSE(rt.exit(twin, ExitReason::kill()));
  // From inside a process too: the fast path of a sender on the target's scheduler.
  bool sent = true;
  rt.send<Do>(local, [&](Fn& self) { sent = self.send<Ping>(twin, 2); });
  rt.run_until_idle();
  CHECK_FALSE(sent);
  CHECK(rt.alive(local));
  CHECK(r.log.empty());
  CHECK_FALSE(rt.alive(twin));
  CHECK(rt.remote_dropped() == 3);
  // The null pid names no process anywhere: not a remote drop.
  CHECK_FALSE(rt.send<Ping>(Pid{}, 3));
  CHECK(rt.remote_dropped() == 3);
  // Reported once for the flood, not once per message.
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("no remote delivery") != std::string::npos);
  CHECK(warnings[0].find(twin.to_string()) != std::string::npos);
  CHECK(rt.send<Ping>(local, 4));  // local sends are untouched
  rt.run_until_idle();
  CHECK(r.log == std::vector<std::string>{"ping 4"});
}

TEST_CASE("dropped remote sends are reported with the count since the last report") {
  std::vector<std::string> warnings;
  Runtime rt(stepped_node(0, &warnings, 0));  // no rate limit: every drop reports
  Pid far(9, 77);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(rt.send<Ping>(far, i));
  }
  CHECK(rt.remote_dropped() == 3);
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[2].rfind("dropped 1 message(s)", 0) == 0);
  CHECK(warnings[2].find("3 in all") != std::string::npos);
}

TEST_CASE("every message and signal for another node goes to the registered RemoteDelivery, in order") {
  std::vector<std::string> warnings;
  Runtime rt(stepped_node(1, &warnings));
  FakeRemote remote;
  rt.set_remote_delivery(&remote);
  Recorder r;
  Pid p = rt.spawn(std::make_unique<Fn>(r.handler()));
  Pid far(2, p.serial());
  CHECK(rt.send<Ping>(far, 1));
  rt.send<Do>(p, [far](Fn& self) {
    self.send<Ping>(far, 2);
    self.link(far);
    MonitorRef ref = self.monitor(far);
    self.unlink(far);
    self.demonitor(ref);
    self.link(far);
    self.exit(far, ExitReason::shutdown());
    self.exit(ExitReason::error("done"));  // tells its remote link
  });
  rt.run_until_idle();
  std::string from = p.to_string();
  CHECK(remote.got == std::vector<std::string>{
                          far.to_string() + " ping 1",
                          far.to_string() + " ping 2",
                          far.to_string() + " link from " + from,
                          far.to_string() + " monitor from " + from,
                          far.to_string() + " unlink from " + from,
                          far.to_string() + " demonitor",
                          far.to_string() + " link from " + from,
                          far.to_string() + " exit shutdown",
                          far.to_string() + " exit error: done linked",
                      });
  CHECK(r.log.empty());  // no DOWN, no EXIT: the remote side answers for itself
  CHECK(rt.remote_dropped() == 0);
  CHECK(warnings.empty());
}

TEST_CASE("a link or monitor to an unreachable node fires at once with noconnection") {
  std::vector<std::string> warnings;
  Runtime rt(stepped_node(0, &warnings));
  Pid far(5, 1234);
  std::string f = far.to_string();
  FakeRemote refusing;
  refusing.accept = false;
  for (bool registered : {false, true}) {
    CAPTURE(registered);
    rt.set_remote_delivery(registered ? &refusing : nullptr);
    Recorder watcher;
    Recorder trapper;
    Recorder victim;
    Pid w = rt.spawn(std::make_unique<Fn>(watcher.handler()));
    Pid t = rt.spawn(std::make_unique<Fn>(trapper.handler()));
    Pid v = rt.spawn(std::make_unique<Fn>(victim.handler()));
    rt.send<Do>(w, [&](Fn& self) {
      self.monitor(far);
      self.monitor(v);
    });
    rt.run_until_idle();
    rt.send<Do>(t, [&](Fn& self) {
      self.trap_exit(true);
      self.link(far);
    });
    rt.send<Do>(v, [&](Fn& self) { self.link(far); });  // not trapping: dies of it
    rt.run_until_idle();
    CHECK(watcher.log == std::vector<std::string>{"DOWN " + f + " noconnection",
                                                  "DOWN " + v.to_string() + " noconnection"});
    CHECK(trapper.log == std::vector<std::string>{"EXIT " + f + " noconnection"});
    CHECK_FALSE(rt.alive(v));
    CHECK(rt.alive(t));
  }
  CHECK(refusing.got.size() == 3);  // monitor, link, link
  CHECK(rt.remote_dropped() == 6);
  REQUIRE(warnings.size() == 1);  // the second round is within the interval
}

TEST_CASE("a dead local process still gives noproc, not noconnection") {
  Runtime rt(stepped_node(2));
  Recorder watcher;
  Pid gone = rt.spawn(std::make_unique<Fn>([](Fn&, Message&) {}));
  rt.exit(gone, ExitReason::kill());
  rt.run_until_idle();
  Pid w = rt.spawn(std::make_unique<Fn>(watcher.handler()));
  rt.send<Do>(w, [&](Fn& self) { self.monitor(gone); });
  rt.run_until_idle();
  CHECK(watcher.log == std::vector<std::string>{"DOWN " + gone.to_string() + " noproc"});
  CHECK(rt.remote_dropped() == 0);
}

}  // namespace actormq::sched

namespace actormq::sched {
TEST_CASE("monitor references carry the node id, so that nodes never hand out the same one") {
  RuntimeConfig c1 = testing::stepped();
  c1.node = 1;
  RuntimeConfig c2 = testing::stepped();
  c2.node = 2;
  Runtime one(c1);
  Runtime two(c2);
  MonitorRef a = one.next_monitor_ref();
  MonitorRef b = two.next_monitor_ref();
  CHECK(a != b);
  CHECK((a >> 48) == 1);
  CHECK((b >> 48) == 2);
  CHECK(one.next_monitor_ref() == a + 1);
}
}  // namespace actormq::sched

namespace actormq::sched {
namespace {
/// A process on node 1 and a remote delivery that says node 2 is busy.
struct Suspension {
  Runtime rt{stepped_node(1)};
  FakeRemote remote;
  Recorder r;
  Pid p;
  Pid far{2, 9};
  Suspension() {
    remote.is_busy = true;
    rt.set_remote_delivery(&remote);
    p = rt.spawn(std::make_unique<Fn>(r.handler()));
  }
  ~Suspension() { rt.set_remote_delivery(nullptr); }
};
}  // namespace

TEST_CASE("a process that sends to a busy remote delivery is suspended after that message until resumed") {
  Suspension f;
  auto& [rt, remote, r, p, far] = f;
  rt.send<Do>(p, [&](Fn& self) { self.send<Ping>(far, 1); });
  rt.send<Ping>(p, 2);  // queued behind: must wait for the resume
  rt.run_until_idle();
  CHECK(remote.got == std::vector<std::string>{far.to_string() + " ping 1"});
  REQUIRE(remote.waiters == std::vector<Pid>{p});
  CHECK(r.log.empty());
  rt.send<Ping>(p, 3);  // more mail does not wake it
  rt.run_until_idle();
  CHECK(r.log.empty());
  remote.is_busy = false;
  rt.resume(p);
  rt.run_until_idle();
  CHECK(r.log == std::vector<std::string>{"ping 2", "ping 3"});
  rt.resume(p);  // not suspended: nothing happens
  rt.run_until_idle();
  CHECK(r.log.size() == 2);
  // An exit signal reaches a suspended process.
  remote.is_busy = true;
  rt.send<Do>(p, [&](Fn& self) { self.send<Ping>(far, 4); });
  rt.run_until_idle();
  CHECK(rt.alive(p));
  rt.exit(p, ExitReason::kill());
  rt.run_until_idle();
  CHECK_FALSE(rt.alive(p));
}

TEST_CASE("a resume that comes before the process is parked keeps it running") {
  Suspension f;
  auto& [rt, remote, r, p, far] = f;
  // The remote drains while the handler still runs: the resume comes first.
  rt.send<Do>(p, [&](Fn& self) {
    self.send<Ping>(far, 1);
    rt.resume(self.self());
  });
  rt.send<Ping>(p, 2);
  rt.run_until_idle();
  CHECK(r.log == std::vector<std::string>{"ping 2"});
}
}  // namespace actormq::sched
