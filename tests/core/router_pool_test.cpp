// RouterPool as the one owner of route changes (core/routing/router.hpp):
// what a session adds and removes is in the routers' one table at once, and
// reaches every observer in the session's order; shared groups' routes
// reach every router. On the stepped runtime (tests/sched/test_process.hpp).
#include "core/routing/router.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/broker_context.hpp"
#include "core/session/session.hpp"
#include "sched/runtime.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::core {
namespace {

using sched::Pid;
using sched::testing::Fn;

std::string name(Pid p) { return std::to_string(p.serial()); }

/// A process that writes down the route messages it receives.
struct Observer {
  std::vector<std::string> log;
  Fn::Handler handler() {
    return [this](Fn&, sched::Message& m) {
      if (auto* a = m.as<RouteAdd>()) {
        std::string line = "add " + a->filter.str() + " " + name(a->session);
        if (!a->group.empty()) {
          line += " group " + a->group;
        }
        if (a->replaces) {
          line += " replaces " + name(a->replaces);
        }
        if (a->first_of_filter) {
          line += " first";
        }
        log.push_back(line);
      } else if (auto* r = m.as<RouteRemove>()) {
        log.push_back("remove " + r->filter + " " + name(r->session) + (r->last_of_filter ? " last" : ""));
      } else if (m.is<RouteSync>()) {
        log.push_back("sync");
      } else if (m.is<RouteSynced>()) {
        log.push_back("synced");
      } else if (m.is<Handover>()) {
        log.push_back("handover");
      }
    };
  }
};

/// Runs a function in a process's handler, as a session would.
struct Do {
  std::function<void()> f;
};

Fn::Handler doer(Observer& o) {
  auto record = o.handler();
  return [record](Fn& self, sched::Message& m) {
    if (auto* d = m.as<Do>()) {
      d->f();
    } else {
      record(self, m);
    }
  };
}

/// One router per scheduler, reading one table of local routes, as the Broker spawns them.
std::vector<Router*> spawn_routers(sched::Runtime& rt, RouterPool& pool) {
  std::vector<Router*> routers;
  pool.local_rows = std::make_shared<LocalRoutes>(rt.scheduler_count());
  for (int s = 0; s < static_cast<int>(rt.scheduler_count()); ++s) {
    auto router = std::make_unique<Router>(SharedStrategy::round_robin, pool.local_rows, nullptr,
                                           static_cast<std::size_t>(s));
    routers.push_back(router.get());
    sched::SpawnOptions o;
    o.scheduler = s;
    o.pinned = true;
    pool.routers.push_back(rt.spawn(std::move(router), o));
  }
  return routers;
}

Pid spawn_on(sched::Runtime& rt, Fn::Handler h, int scheduler) {
  sched::SpawnOptions o;
  o.scheduler = scheduler;
  o.pinned = true;
  return rt.spawn(std::make_unique<Fn>(std::move(h)), o);
}

}  // namespace

TEST_CASE("every observer gets a session's route changes in its order, a filter's first and last route marked, sync asks only the routers") {
  sched::Runtime rt(sched::testing::stepped(2));
  RouterPool pool;
  std::vector<Router*> routers = spawn_routers(rt, pool);
  Observer first;
  Observer second;
  pool.observers.push_back(spawn_on(rt, first.handler(), 1));   // across schedulers
  pool.observers.push_back(spawn_on(rt, second.handler(), 0));  // beside the session
  Observer session_log;
  Pid session = spawn_on(rt, doer(session_log), 0);
  std::size_t syncs = 0;
  rt.send<Do>(session, Do{[&] {
                pool.add_route(rt, RouteAdd{SharedText("a/b"), "", session, "c1", {}, {}, {}});
                pool.add_route(rt, RouteAdd{SharedText("c/#"), "", session, "c1", {}, {}, {}});
                pool.remove_route(rt, RouteRemove{"a/b", "", session});
                pool.add_route(rt, RouteAdd{SharedText("a/b"), "g", session, "c1", {}, {}, {}});
                pool.remove_route(rt, RouteRemove{"c/#", "", session});
                syncs = pool.sync(rt, session);
              }});
  rt.run_until_idle();

  const std::string s = name(session);
  // A shared group's route is not in this node's table: never marked.
  std::vector<std::string> expected{"add a/b " + s + " first", "add c/# " + s + " first", "remove a/b " + s + " last",
                                    "add a/b " + s + " group g", "remove c/# " + s + " last"};
  CHECK(first.log == expected);
  CHECK(second.log == expected);
  // The table holds no route left; each router holds the group's member.
  CHECK(pool.local_rows->route_count() == 0);
  for (Router* r : routers) {
    CHECK(r->route_count() == 1);
  }
  CHECK(syncs == 2);
  CHECK(session_log.log == std::vector<std::string>{"synced", "synced"});
  rt.shutdown(1000);
}

TEST_CASE("a route a session adds is in every router's table before its handler returns, a takeover's in one step") {
  sched::Runtime rt(sched::testing::stepped(2));
  RouterPool pool;
  std::vector<Router*> routers = spawn_routers(rt, pool);
  // Two stand-in sessions, one per scheduler, counting their deliveries.
  std::size_t delivered_old = 0;
  std::size_t delivered_new = 0;
  Pid counter_old = spawn_on(rt, [&](Fn&, sched::Message& m) { delivered_old += m.is<Deliver>() ? 1 : 0; }, 0);
  Pid counter_new = spawn_on(rt, [&](Fn&, sched::Message& m) { delivered_new += m.is<Deliver>() ? 1 : 0; }, 1);
  auto publish_via = [&](std::size_t router) {
    auto msg = new_app_message();
    msg->topic = "dev/1";
    msg->payload = mqtt::SharedBytes::copy_of(std::string_view("x"));
    msg->qos = mqtt::QoS::at_least_once;
    rt.send<RoutePublish>(pool.routers[router], RoutePublish{std::move(msg), {}});
  };
  // No process ran between the add and the publishes: the table has it.
  pool.add_route(rt, RouteAdd{SharedText("dev/1"), "", counter_old, "c1", {}, {}, {}});
  CHECK(pool.local_rows->route_count() == 1);
  publish_via(0);
  publish_via(1);
  rt.run_until_idle();
  CHECK(delivered_old == 2);
  // Taken over: the route moves to the new session in one step.
  pool.add_route(rt, RouteAdd{SharedText("dev/1"), "", counter_new, "c1", {}, counter_old, {}});
  CHECK(pool.local_rows->route_count() == 1);
  publish_via(1);
  rt.run_until_idle();
  CHECK(delivered_old == 2);
  CHECK(delivered_new == 1);
  pool.remove_route(rt, RouteRemove{"dev/1", "", counter_new});
  publish_via(0);
  rt.run_until_idle();
  CHECK(delivered_new == 1);
  CHECK(pool.local_rows->route_count() == 0);
  CHECK(routers.size() == 2);
  rt.shutdown(1000);
}

TEST_CASE("an observer sees a session's routes: restored, moved by a takeover, removed as it ends") {
  sched::Runtime rt(sched::testing::stepped(1));
  BrokerContext ctx(rt);
  std::vector<Router*> routers = spawn_routers(rt, ctx.routers);
  Observer observer;
  ctx.routers.observers.push_back(spawn_on(rt, observer.handler(), 0));

  auto restore = [&](const std::string& client_id, const std::string& filter) {
    SessionState state;
    state.subscriptions.insert_or_assign(filter, Subscription::of(filter, SubInfo{mqtt::QoS::at_least_once}));
    sched::SpawnOptions o;
    o.pinned = true;
    o.start = true;
    return rt.spawn(std::make_unique<Session>(ctx, Session::Restored{client_id, mqtt::ProtocolVersion::v3_1_1,
                                                                     0xFFFFFFFFu, std::move(state), 0, nullptr}),
                    o);
  };

  // Restored, it adds its route; taken over by its own user's connection,
  // it moves the route to the new session (and hands its state over once
  // the routers, not the observer, have confirmed the move).
  Pid kept = restore("kept", "x/+");
  rt.run_until_idle();
  Observer successor_log;
  Pid successor = spawn_on(rt, successor_log.handler(), 0);
  rt.send<Takeover>(kept, Takeover{successor, false, nullptr});
  rt.run_until_idle();
  CHECK(successor_log.log == std::vector<std::string>{"handover"});

  // Taken over by a clean start, it ends and removes its route.
  Pid ended = restore("ended", "y/#");
  rt.run_until_idle();
  rt.send<Takeover>(ended, Takeover{successor, true, nullptr});
  rt.run_until_idle();
  CHECK(!rt.alive(ended));

  CHECK(observer.log == std::vector<std::string>{"add x/+ " + name(kept) + " first",
                                                 "add x/+ " + name(successor) + " replaces " + name(kept),
                                                 "add y/# " + name(ended) + " first",
                                                 "remove y/# " + name(ended) + " last"});
  for (Router* r : routers) {
    CHECK(r->route_count() == 1);  // x/+ to the successor
  }
  rt.shutdown(1000);
}

}  // namespace actormq::core
