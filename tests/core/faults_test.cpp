// Fault injection (core/faults.hpp): the one read of the ACTORMQ_TEST_*
// variables, and the crash topic installed as a route of its own.
#include "core/faults.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "core/messages.hpp"
#include "core/routing/router.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::core {
namespace {
using sched::testing::Fn;

struct Watch {
  sched::Pid pid;
};

FaultInjection read_from(std::map<std::string, std::string> vars) {
  return FaultInjection::read([&vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

void publish(sched::Runtime& rt, sched::Pid router, std::string topic, sched::Pid publisher) {
  auto msg = new_app_message();
  msg->topic = std::move(topic);
  msg->publisher_pid = publisher;
  rt.send<RoutePublish>(router, RoutePublish{std::move(msg), {}});
}
}  // namespace

TEST_CASE("every fault is off unless its variable is set") {
  FaultInjection none = read_from({});
  CHECK_FALSE(none.any());
  CHECK(none.describe().empty());
  CHECK_FALSE(read_from({{"ACTORMQ_TEST_CRASH_TOPIC", ""}, {"ACTORMQ_TEST_HANDOVER_DELAY_MS", "soon"}}).any());

  FaultInjection all = read_from({{"ACTORMQ_TEST_CRASH_TOPIC", "crash/me"},
                                  {"ACTORMQ_TEST_HANDOVER_DELAY_MS", "150"},
                                  {"ACTORMQ_TEST_RETAINED_LOAD_HOLD_MS", "2000"}});
  CHECK(all.any());
  CHECK(all.crash_topic == "crash/me");
  CHECK(all.handover_delay_ms == 150);
  CHECK(all.retained_load_hold == std::chrono::milliseconds(2000));
  CHECK(all.describe().find("crash/me") != std::string::npos);
  CHECK(read_from({{"ACTORMQ_TEST_RETAINED_LOAD_HOLD_MS", "5"}}).any());
  FaultInjection no_adoption = read_from({{"ACTORMQ_TEST_NO_ADOPTION", "1"}});
  CHECK(no_adoption.no_adoption);
  CHECK(no_adoption.any());
  CHECK(no_adoption.describe() == "evacuated sessions are not taken");
  CHECK_FALSE(read_from({{"ACTORMQ_TEST_NO_ADOPTION", "0"}}).any());

  FaultInjection slow = read_from({{"ACTORMQ_TEST_FORWARD_DELAY_MS", "300"}});
  CHECK(slow.forward_delay_ms == 300);
  CHECK(slow.any());
  CHECK(slow.describe() == "what peers forward held 300 ms");
}

TEST_CASE("the crash topic's route ends the process that published there, and only that one") {
  sched::Runtime rt(sched::testing::stepped());
  sched::Pid router = rt.spawn(std::make_unique<Router>(SharedStrategy::round_robin));
  auto idle = [](Fn&, sched::Message&) {};
  sched::Pid victim = rt.spawn(std::make_unique<Fn>(idle));
  sched::Pid bystander = rt.spawn(std::make_unique<Fn>(idle));
  std::vector<std::string> downs;
  sched::Pid watcher = rt.spawn(std::make_unique<Fn>([&](Fn& self, sched::Message& m) {
    if (auto* w = m.as<Watch>()) {
      self.monitor(w->pid);
    } else if (auto* d = m.as<sched::DownMsg>()) {
      downs.push_back(d->pid.to_string() + " " + d->reason.to_string());
    }
  }));
  rt.send<Watch>(watcher, Watch{victim});
  rt.send<Watch>(watcher, Watch{bystander});
  rt.run_until_idle();

  publish(rt, router, "crash/me", victim);  // before the fault is installed: nothing happens
  rt.run_until_idle();
  CHECK(downs.empty());

  CHECK(install_crash_topic(rt, "crash/me", std::span(&router, 1)).valid());
  publish(rt, router, "crash/you", bystander);
  publish(rt, router, "crash/me", sched::Pid{});  // the broker's own publish: no session to end
  rt.run_until_idle();
  CHECK(downs.empty());
  publish(rt, router, "crash/me", victim);
  rt.run_until_idle();
  CHECK(downs == std::vector<std::string>{victim.to_string() + " exception: injected fault on topic crash/me"});
  CHECK_FALSE(rt.alive(victim));
  CHECK(rt.alive(bystander));
}

TEST_CASE("a crash topic that is no topic name matches nothing, as before") {
  sched::Runtime rt(sched::testing::stepped());
  sched::Pid router = rt.spawn(std::make_unique<Router>(SharedStrategy::round_robin));
  CHECK_FALSE(install_crash_topic(rt, "crash/#", std::span(&router, 1)).valid());
}

}  // namespace actormq::core
