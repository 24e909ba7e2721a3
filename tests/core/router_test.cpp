// The router process on a stepped runtime: what one publish becomes for the
// sessions whose routes it matches (merging, QoS, No Local, shared groups),
// route changes, and RouteSync's promise of order.
#include "core/routing/router.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "tests/sched/test_process.hpp"

namespace actormq::core {
namespace {
using mqtt::QoS;
using sched::Pid;
using sched::testing::Fn;

/// A stand-in session: records what the router sends it.
struct Inbox {
  std::vector<Deliver> delivered;
  int synced = 0;
  std::size_t delivered_before_sync = 0;  ///< deliveries received when RouteSynced came
};

struct Fixture {
  /// The rows to other nodes, as the cluster agent writes them.
  std::shared_ptr<NodeRoutes> node_rows = std::make_shared<NodeRoutes>(1);
  sched::Runtime rt{sched::testing::stepped()};
  Pid router;
  std::map<std::string, Inbox> inboxes;
  std::map<std::string, Pid> pids;

  explicit Fixture(SharedStrategy strategy = SharedStrategy::round_robin) {
    router = rt.spawn(std::make_unique<Router>(strategy, nullptr, node_rows, 0));
  }
  Pid session(const std::string& name) {
    Inbox& in = inboxes[name];
    Pid p = rt.spawn(std::make_unique<Fn>([&in](Fn&, sched::Message& m) {
      if (auto* d = m.as<Deliver>()) {
        in.delivered.push_back(std::move(*d));
      } else if (m.is<RouteSynced>()) {
        ++in.synced;
        in.delivered_before_sync = in.delivered.size();
      }
    }));
    pids[name] = p;
    return p;
  }
  void add(const std::string& name, std::string filter, QoS qos, std::string group = {},
           std::uint32_t sub_id = 0, bool no_local = false) {
    SubInfo info;
    info.max_qos = qos;
    info.no_local = no_local;
    info.subscription_id = sub_id;
    rt.send<RouteAdd>(router, RouteAdd{SharedText(filter), std::move(group), pids.at(name), name, info, Pid{}, {}});
  }
  /// A row as a cluster agent adds a peer's: to that peer's forwarder.
  void add_node_route(const std::string& forwarder, std::string filter) {
    node_rows->apply(true, pids.at(forwarder), std::vector<std::string>{std::move(filter)});
  }
  void remove_node_route(const std::string& forwarder, std::string filter) {
    node_rows->apply(false, pids.at(forwarder), std::vector<std::string>{std::move(filter)});
  }
  static constexpr SubInfo to_node{QoS::exactly_once, false, true, true, 0};
  void remove(const std::string& name, std::string filter) {
    rt.send<RouteRemove>(router, RouteRemove{std::move(filter), {}, pids.at(name)});
  }
  void purge(const std::string& name) { node_rows->purge(pids.at(name)); }
  void publish(std::string topic, QoS qos, Pid publisher = {}, bool from_node = false) {
    auto msg = new_app_message();
    msg->topic = std::move(topic);
    msg->payload = mqtt::SharedBytes::copy_of(std::string_view("x"));
    msg->qos = qos;
    msg->publisher = "pub";
    msg->publisher_pid = publisher;
    rt.send<RoutePublish>(router, RoutePublish{std::move(msg), {}, from_node});
  }
  std::size_t count(const std::string& name) { return inboxes[name].delivered.size(); }
  /// Publishes each topic and runs; who got which topics since the last call.
  std::map<std::string, std::vector<std::string>> deliveries(const std::vector<std::string>& topics) {
    for (auto& [name, in] : inboxes) {
      in.delivered.clear();
    }
    for (const std::string& t : topics) {
      publish(t, QoS::at_least_once);
    }
    rt.run_until_idle();
    std::map<std::string, std::vector<std::string>> got;
    for (auto& [name, in] : inboxes) {
      for (const Deliver& d : in.delivered) {
        got[name].push_back(d.msg->topic + (d.shared_group.empty() ? "" : " (shared)"));
      }
    }
    return got;
  }
};
}  // namespace

TEST_CASE("router: exact and wildcard routes each get the message once, at the lower QoS") {
  Fixture f;
  f.session("exact");
  f.session("plus");
  f.session("hash");
  f.session("other");
  f.add("exact", "a/b", QoS::exactly_once);
  f.add("plus", "a/+", QoS::at_most_once);
  f.add("hash", "#", QoS::at_least_once);
  f.add("other", "a/c", QoS::exactly_once);
  f.publish("a/b", QoS::at_least_once);
  f.rt.run_until_idle();
  REQUIRE(f.count("exact") == 1);
  CHECK(f.inboxes["exact"].delivered[0].qos == QoS::at_least_once);
  REQUIRE(f.count("plus") == 1);
  CHECK(f.inboxes["plus"].delivered[0].qos == QoS::at_most_once);
  REQUIRE(f.count("hash") == 1);
  CHECK(f.inboxes["hash"].delivered[0].msg->topic == "a/b");
  CHECK(f.count("other") == 0);
}

TEST_CASE("router: overlapping routes of one session merge into one delivery (highest QoS, every id)") {
  Fixture f;
  f.session("s");
  f.add("s", "a/#", QoS::at_most_once, {}, 7);
  f.add("s", "a/b", QoS::exactly_once, {}, 9);
  f.add("s", "+/b", QoS::at_least_once, {}, 0);
  f.publish("a/b", QoS::exactly_once);
  f.rt.run_until_idle();
  REQUIRE(f.count("s") == 1);
  const Deliver& d = f.inboxes["s"].delivered[0];
  CHECK(d.qos == QoS::exactly_once);
  std::vector<std::uint32_t> ids = d.subscription_ids;
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::uint32_t>{7, 9});
}

TEST_CASE("router: No Local keeps a client's own messages from it") {
  Fixture f;
  Pid self = f.session("self");
  f.session("peer");
  f.add("self", "t", QoS::at_most_once, {}, 0, true);
  f.add("peer", "t", QoS::at_most_once, {}, 0, true);
  f.publish("t", QoS::at_most_once, self);
  f.rt.run_until_idle();
  CHECK(f.count("self") == 0);
  CHECK(f.count("peer") == 1);
}

TEST_CASE("router: a removed route gets nothing, a replacing add moves the route in one step") {
  Fixture f;
  f.session("old");
  f.session("new");
  f.add("old", "t/#", QoS::at_least_once);
  f.publish("t/1", QoS::at_least_once);
  SubInfo info;
  info.max_qos = QoS::at_least_once;
  f.rt.send<RouteAdd>(f.router, RouteAdd{SharedText("t/#"), {}, f.pids["new"], "new", info, f.pids["old"], {}});
  f.publish("t/2", QoS::at_least_once);
  f.rt.send<RouteRemove>(f.router, RouteRemove{"t/#", {}, f.pids["new"]});
  f.publish("t/3", QoS::at_least_once);
  f.rt.run_until_idle();
  REQUIRE(f.count("old") == 1);
  CHECK(f.inboxes["old"].delivered[0].msg->topic == "t/1");
  REQUIRE(f.count("new") == 1);
  CHECK(f.inboxes["new"].delivered[0].msg->topic == "t/2");
}

TEST_CASE("router: a shared group gives each message to one member, round robin") {
  Fixture f;
  f.session("m1");
  f.session("m2");
  f.session("plain");
  f.add("m1", "s/+", QoS::at_least_once, "g");
  f.add("m2", "s/+", QoS::at_least_once, "g");
  f.add("plain", "s/+", QoS::at_least_once);
  for (int i = 0; i < 6; ++i) {
    f.publish("s/" + std::to_string(i), QoS::at_least_once);
  }
  f.rt.run_until_idle();
  CHECK(f.count("m1") == 3);
  CHECK(f.count("m2") == 3);
  CHECK(f.count("plain") == 6);
  for (const Deliver& d : f.inboxes["m1"].delivered) {
    CHECK_FALSE(d.shared_group.empty());  // a member can hand it back to the group
  }
  CHECK(f.inboxes["plain"].delivered[0].shared_group.empty());
}

TEST_CASE("router: a shared message handed back goes to another member, never the one that returned it") {
  Fixture f;
  f.session("m1");
  f.session("m2");
  f.add("m1", "q", QoS::at_least_once, "g");
  f.add("m2", "q", QoS::at_least_once, "g");
  f.publish("q", QoS::at_least_once);
  f.rt.run_until_idle();
  std::string first = f.count("m1") == 1 ? "m1" : "m2";
  std::string second = first == "m1" ? "m2" : "m1";
  REQUIRE(f.count(first) == 1);
  Deliver back = f.inboxes[first].delivered[0];
  for (int i = 0; i < 4; ++i) {
    f.rt.send<RedeliverShared>(f.router, RedeliverShared{back, f.pids[first]});
  }
  f.rt.run_until_idle();
  CHECK(f.count(first) == 1);
  CHECK(f.count(second) == 4);
}

TEST_CASE("router: RouteSync is answered after everything sent before it") {
  Fixture f;
  Pid s = f.session("s");
  f.add("s", "t", QoS::at_most_once);
  f.publish("t", QoS::at_most_once);
  f.rt.send<RouteSync>(f.router, RouteSync{s});
  f.rt.run_until_idle();
  CHECK(f.count("s") == 1);
  CHECK(f.inboxes["s"].synced == 1);
  CHECK(f.inboxes["s"].delivered_before_sync == 1);
}

TEST_CASE("router: a peer's row added twice is one row, and a remove of a row never added changes nothing") {
  Fixture f;
  f.session("fwd");
  f.session("s");
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 0);
  f.add_node_route("fwd", "a/b");
  f.add_node_route("fwd", "a/b");
  f.add_node_route("fwd", "x/#");
  f.add_node_route("fwd", "x/#");
  f.add("s", "a/b", QoS::at_least_once);  // a session's route: not a node's
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 2);
  using Got = std::map<std::string, std::vector<std::string>>;
  CHECK(f.deliveries({"a/b", "x/1"}) == Got{{"fwd", {"a/b", "x/1"}}, {"s", {"a/b"}}});
  f.remove_node_route("fwd", "never/added");
  f.remove_node_route("fwd", "x/+");
  f.remove_node_route("s", "x/#");  // another subscriber's filter
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 2);
  CHECK(f.deliveries({"a/b", "x/1"}) == Got{{"fwd", {"a/b", "x/1"}}, {"s", {"a/b"}}});
  // One remove takes the row however often it was added; a second does nothing.
  f.remove_node_route("fwd", "a/b");
  f.remove_node_route("fwd", "a/b");
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 1);
  CHECK(f.deliveries({"a/b", "x/1"}) == Got{{"fwd", {"x/1"}}, {"s", {"a/b"}}});
  f.remove("s", "a/b");  // a session's route going leaves the count alone
  f.remove_node_route("fwd", "x/#");
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 0);
  CHECK(f.deliveries({"a/b", "x/1"}).empty());
}

TEST_CASE("router: a purge takes every row of one subscriber (a peer gone) and keeps everyone else's") {
  Fixture f;
  f.session("fwd1");
  f.session("fwd2");
  f.session("s");
  for (const char* filter : {"a/b", "a/+", "#", "c/d/e"}) {
    f.add_node_route("fwd1", filter);
  }
  f.add_node_route("fwd2", "a/b");
  f.add_node_route("fwd2", "c/#");
  f.add("s", "a/+", QoS::at_least_once);
  f.add("fwd1", "a/b", QoS::at_least_once, "g");  // a shared group's member: not purged
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 6);
  f.purge("fwd1");
  f.purge("fwd1");  // again: nothing left to take
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 2);
  using Got = std::map<std::string, std::vector<std::string>>;
  CHECK(f.deliveries({"a/b", "c/d/e", "z"}) ==
        Got{{"fwd1", {"a/b (shared)"}}, {"fwd2", {"a/b", "c/d/e"}}, {"s", {"a/b"}}});
}

TEST_CASE("router: a peer that sends its rows anew (purge, then adds) holds just the new ones") {
  Fixture f;
  f.session("fwd1");
  f.session("fwd2");
  f.add_node_route("fwd1", "old/x");
  f.add_node_route("fwd1", "both/+");
  f.add_node_route("fwd2", "old/x");
  // The reset, as the agent passes it on: purge, then every row it sent.
  f.purge("fwd1");
  f.add_node_route("fwd1", "both/+");
  f.add_node_route("fwd1", "new/#");
  f.rt.run_until_idle();
  CHECK(f.node_rows->size() == 3);
  using Got = std::map<std::string, std::vector<std::string>>;
  CHECK(f.deliveries({"old/x", "both/1", "new"}) == Got{{"fwd1", {"both/1", "new"}}, {"fwd2", {"old/x"}}});
}

TEST_CASE("router: a peer's rows in one batch, added and removed, are each one row however often listed") {
  Fixture f;
  f.session("fwd");
  f.session("other");
  auto rows = [&](bool add, const std::string& who, std::vector<std::string> filters) {
    return f.node_rows->apply(add, f.pids.at(who), filters);
  };
  CHECK(rows(true, "fwd", {"a/b", "a/+", "a/b", "c/#"}) == 3);
  CHECK(rows(true, "other", {"a/b"}) == 1);
  CHECK(f.node_rows->size() == 4);
  using Got = std::map<std::string, std::vector<std::string>>;
  CHECK(f.deliveries({"a/b", "c"}) == Got{{"fwd", {"a/b", "c"}}, {"other", {"a/b"}}});
  CHECK(rows(false, "fwd", {"a/b", "never/added", "a/b", "c/#"}) == 2);
  CHECK(f.node_rows->size() == 2);
  CHECK(f.deliveries({"a/b", "a/x", "c"}) == Got{{"fwd", {"a/b", "a/x"}}, {"other", {"a/b"}}});  // by a/+
}

TEST_CASE("router: a message another node forwarded skips the rows to nodes, not this node's sessions") {
  Fixture f;
  f.session("fwd");
  f.session("s");
  f.add_node_route("fwd", "a/#");
  f.add("s", "a/b", QoS::at_least_once);
  f.rt.run_until_idle();
  f.publish("a/b", QoS::at_least_once, {}, true);
  f.rt.run_until_idle();
  CHECK(f.count("fwd") == 0);
  CHECK(f.count("s") == 1);
  f.publish("a/b", QoS::at_least_once);
  f.rt.run_until_idle();
  CHECK(f.count("fwd") == 1);
  CHECK(f.count("s") == 2);
}

TEST_CASE("router: every router of a pool reads the one table of rows to other nodes") {
  auto node_rows = std::make_shared<NodeRoutes>(2);
  sched::Runtime rt{sched::testing::stepped()};
  std::vector<std::string> got;
  Pid fwd = rt.spawn(std::make_unique<Fn>([&](Fn&, sched::Message& m) {
    if (auto* d = m.as<Deliver>()) {
      got.push_back(d->msg->topic);
    }
  }));
  Pid r0 = rt.spawn(std::make_unique<Router>(SharedStrategy::round_robin, nullptr, node_rows, 0));
  Pid r1 = rt.spawn(std::make_unique<Router>(SharedStrategy::round_robin, nullptr, node_rows, 1));
  node_rows->apply(true, fwd, std::vector<std::string>{"t/0", "t/1"});
  CHECK(node_rows->size() == 2);
  for (auto [router, topic] : {std::pair{r0, "t/0"}, std::pair{r1, "t/1"}}) {
    auto msg = new_app_message();
    msg->topic = topic;
    msg->payload = mqtt::SharedBytes::copy_of(std::string_view("x"));
    msg->qos = QoS::at_least_once;
    rt.send<RoutePublish>(router, RoutePublish{std::move(msg), {}});
  }
  rt.run_until_idle();
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"t/0", "t/1"});
  CHECK(node_rows->purge(fwd) == 2);
  CHECK(node_rows->size() == 0);
}

}  // namespace actormq::core
