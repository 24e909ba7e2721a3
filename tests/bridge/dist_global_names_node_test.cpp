// Global names across nodes linked over loopback (bridge/dist/node_names.cpp):
// registered on one node, resolved on every node; freed when the holder ends
// or its node goes; a conflict between nodes that were apart settled the same
// way everywhere.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/bridge/test_node.hpp"

using namespace actormq;
using namespace actormq::dist;
using namespace actormq::dist::test_node;

namespace {

/// Records the global names its process lost, and the Blobs it got.
struct Holder {
  std::mutex mu;
  std::vector<GlobalNameLost> lost;
  Inbox inbox;
  Fn::Handler handler() {
    auto blobs = inbox.handler();
    return [this, blobs](Fn& self, sched::Message& m) {
      if (auto* l = m.as<GlobalNameLost>()) {
        std::lock_guard lock(mu);
        lost.push_back(*l);
      } else if (auto* d = m.as<Do>()) {
        d->f(self);
      } else {
        blobs(self, m);
      }
    };
  }
  std::size_t lost_count() {
    std::lock_guard lock(mu);
    return lost.size();
  }
};

bool resolves(TestNode& n, const std::string& name, sched::Pid want) {
  return wait_until([&] { return n.node->whereis_global(name) == want; });
}

}  // namespace

TEST_CASE("global names: registered on one node, resolved on every node (one that links later too), reached by name") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()});
  REQUIRE(linked_both(a, b));
  Holder h;
  sched::Pid leader = a.rt.spawn(std::make_unique<Fn>(h.handler()));
  CHECK(a.node->register_global("leader", leader));
  CHECK(a.node->whereis_global("leader") == leader);  // at once where it was registered
  REQUIRE(resolves(b, "leader", leader));
  CHECK_FALSE(b.node->register_global("leader", b.rt.spawn(std::make_unique<Fn>(Fn::Handler{}))));
  CHECK_FALSE(a.node->register_global("other", sched::Pid(2, 5)));  // not alpha's process
  CHECK(b.rt.send<Blob>(b.node->whereis_global("leader"), Blob{7, {}}));
  REQUIRE(wait_until([&] { return h.inbox.size() == 1; }));

  TestNode c(3, "gamma", {b.endpoint()});  // learns of alpha from beta and links to it
  REQUIRE(linked_both(a, c));
  REQUIRE(resolves(c, "leader", leader));
  CHECK(c.node->global_names() == std::vector<std::pair<std::string, sched::Pid>>{{"leader", leader}});
}

TEST_CASE("global names: a name registered before a send is known where the send arrives") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()});
  REQUIRE(linked_both(a, b));
  std::mutex mu;
  std::vector<sched::Pid> seen;  // what beta resolved "svc-N" to when message N arrived
  sched::Pid observer = b.rt.spawn(std::make_unique<Fn>([&](Fn&, sched::Message& m) {
    if (auto* blob = m.as<Blob>()) {
      std::lock_guard lock(mu);
      seen.push_back(b.node->whereis_global("svc-" + std::to_string(blob->tag)));
    }
  }));
  Holder h;
  sched::Pid registrar = a.rt.spawn(std::make_unique<Fn>(h.handler()));
  constexpr int n = 200;
  a.rt.send<Do>(registrar, [&](Fn& self) {
    for (int i = 0; i < n; ++i) {
      REQUIRE(a.node->register_global("svc-" + std::to_string(i), self.self()));
      self.send<Blob>(observer, Blob{static_cast<std::uint64_t>(i), {}});
    }
  });
  REQUIRE(wait_until([&] {
    std::lock_guard lock(mu);
    return seen.size() == n;
  }));
  std::lock_guard lock(mu);
  for (const sched::Pid& p : seen) {
    CHECK(p == registrar);
  }
}

TEST_CASE("global names: freed on every node when the holder ends, is unregistered, or its node goes") {
  TestNode a(1, "alpha");
  auto b = std::make_unique<TestNode>(2, "beta", std::vector<Endpoint>{a.endpoint()});
  REQUIRE(linked_both(a, *b));
  Holder h1;
  Holder h2;
  sched::Pid p1 = a.rt.spawn(std::make_unique<Fn>(h1.handler()));
  sched::Pid p2 = a.rt.spawn(std::make_unique<Fn>(h2.handler()));
  REQUIRE(a.node->register_global("one", p1));
  REQUIRE(a.node->register_global("also-one", p1));
  REQUIRE(a.node->register_global("two", p2));
  REQUIRE(resolves(*b, "two", p2));
  REQUIRE(resolves(*b, "also-one", p1));

  a.rt.exit(p1, sched::ExitReason::kill());
  REQUIRE(resolves(*b, "one", sched::Pid{}));
  REQUIRE(resolves(*b, "also-one", sched::Pid{}));
  CHECK_FALSE(a.node->whereis_global("one").valid());
  CHECK(b->node->whereis_global("two") == p2);

  CHECK(a.node->unregister_global("two"));
  CHECK_FALSE(a.node->unregister_global("two"));
  REQUIRE(resolves(*b, "two", sched::Pid{}));

  Holder hb;
  sched::Pid at_b = b->rt.spawn(std::make_unique<Fn>(hb.handler()));
  REQUIRE(b->node->register_global("beta-svc", at_b));
  REQUIRE(resolves(a, "beta-svc", at_b));
  b->stop();
  REQUIRE(resolves(a, "beta-svc", sched::Pid{}));
  CHECK(a.node->register_global("beta-svc", p2));  // free again
}

TEST_CASE("global names: nodes that were apart gave one name twice, once linked the earlier claim stays everywhere") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta");
  Holder first;
  Holder second;
  sched::Pid early = b.rt.spawn(std::make_unique<Fn>(first.handler()));
  sched::Pid late = a.rt.spawn(std::make_unique<Fn>(second.handler()));
  REQUIRE(b.node->register_global("leader", early));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a later registration, by the clock
  REQUIRE(a.node->register_global("leader", late));
  REQUIRE(a.node->register_global("only-alpha", late));

  a.node->connect(b.endpoint());
  REQUIRE(linked_both(a, b));
  REQUIRE(resolves(a, "leader", early));
  REQUIRE(resolves(b, "leader", early));
  REQUIRE(wait_until([&] { return second.lost_count() == 1; }));
  {
    std::lock_guard lock(second.mu);
    CHECK(second.lost[0].name == "leader");
    CHECK(second.lost[0].winner == early);
  }
  CHECK(first.lost_count() == 0);
  CHECK(resolves(b, "only-alpha", late));  // the loser keeps its other names

  // A node that links later sees one holder only.
  TestNode c(3, "gamma", {a.endpoint()});
  REQUIRE(linked_both(c, b));
  REQUIRE(resolves(c, "leader", early));
  REQUIRE(resolves(c, "only-alpha", late));
}
