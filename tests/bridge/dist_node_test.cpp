// Node links between runtimes in one test process, over loopback: each
// runtime is a node with its own id; processes send to pids of the other
// node through the link as they send locally.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/tls_context.hpp"
#include "tests/bridge/test_node.hpp"
#include "tests/net/tls_pki.hpp"

using namespace actormq;
using namespace actormq::dist;
using namespace actormq::dist::test_node;

TEST_CASE("dist node: two nodes link through one seed, sends cross in order, both ways, a body once per frame") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()});
  REQUIRE(linked_both(a, b));
  CHECK(a.node->peers().front().name == "beta");
  CHECK(b.node->peers().front().name == "alpha");

  Inbox at_b;
  sched::Pid receiver = b.rt.spawn(std::make_unique<Fn>(at_b.handler()));
  Inbox at_a;
  sched::Pid sender = a.rt.spawn(std::make_unique<Fn>(
      [&](Fn& self, sched::Message& m) {
        if (auto* d = m.as<Do>()) {
          d->f(self);
        } else if (auto* blob = m.as<Blob>()) {
          std::lock_guard lock(at_a.mu);
          at_a.tags.push_back(blob->tag);
        }
      }));
  CHECK(receiver.node() == 2);
  constexpr std::uint64_t n = 20000;
  auto body = mqtt::SharedBytes::copy_of(std::string(64, 'x'));
  a.rt.send<Do>(sender, Do{[&](Fn& self) {
    for (std::uint64_t i = 0; i < n; ++i) {
      self.send<Blob>(receiver, Blob{i, body});
    }
  }});
  REQUIRE(wait_until([&] { return at_b.size() == n; }));
  {
    std::lock_guard lock(at_b.mu);
    for (std::uint64_t i = 0; i < n; ++i) {
      REQUIRE(at_b.tags[i] == i);  // the order of one sender to one receiver is kept
    }
  }
  b.rt.send<Blob>(sender, Blob{7, {}});  // from outside any process of b: still through the link
  REQUIRE(wait_until([&] { return at_a.size() == 1; }));
  NodeStats s = a.node->stats();
  CHECK(s.messages_out == n);
  CHECK(s.frames_out < n / 10);  // batched: many messages per frame
  CHECK(b.node->stats().messages_in == n);
}

TEST_CASE("dist node: a wrong cookie links nothing, on either side") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()}, "not-the-secret");
  REQUIRE(wait_until([&] { return a.node->stats().refused_handshakes >= 1 && b.node->stats().refused_handshakes >= 1; }));
  CHECK_FALSE(a.node->linked(2));
  CHECK_FALSE(b.node->linked(1));
  // A send meanwhile is a counted drop of the runtime, not a crash.
  CHECK_FALSE(b.rt.send<Blob>(sched::Pid(1, 5), Blob{1, {}}));
  CHECK(b.rt.remote_dropped() >= 1);
}

TEST_CASE("dist node: garbage on the node port closes that connection alone, the node links afterwards") {
  TestNode a(1, "alpha");
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(a.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SUBCASE("a length over the handshake's maximum") {
    const char junk[] = "\xff\xff\xff\xffGET / HTTP/1.1\r\n\r\n";
    REQUIRE(::send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL) > 0);
  }
  SUBCASE("a well-framed hello of another protocol") {
    const char junk[] = "\x00\x00\x00\x05\x01XXXX";
    REQUIRE(::send(fd, junk, sizeof junk - 1, MSG_NOSIGNAL) > 0);
  }
  char buf[256];
  ssize_t got = 0;
  for (int i = 0; i < 10; ++i) {
    got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) {
      break;  // closed (a refusal may come first)
    }
  }
  CHECK(got == 0);
  ::close(fd);
  TestNode b(2, "beta", {a.endpoint()});
  CHECK(linked_both(a, b));
}

TEST_CASE("dist node: a peer that stops is down, a new incarnation of it links again, the old one's pids do not reach it") {
  TestNode a(1, "alpha");
  auto b = std::make_unique<TestNode>(2, "beta", std::vector<Endpoint>{a.endpoint()});
  REQUIRE(linked_both(a, *b));
  std::uint32_t first = b->node->config().self.incarnation;
  CHECK((first & 0xFF) == b->rt.creation());
  // The node spawns processes of its own (a link, a dial retried under
  // load): fillers put `old` past the slots they take in either run.
  Inbox before;
  for (int i = 0; i < 16; ++i) {
    b->rt.spawn(std::make_unique<Fn>(before.handler()));
  }
  sched::Pid old = b->rt.spawn(std::make_unique<Fn>(before.handler()));
  b->stop();
  REQUIRE(wait_until([&] { return !a.node->linked(2); }));
  CHECK(a.node->stats().links_down == 1);
  CHECK_FALSE(a.rt.send<Blob>(old, Blob{1, {}}));  // no link: dropped, counted

  b = std::make_unique<TestNode>(2, "beta", std::vector<Endpoint>{a.endpoint()});
  REQUIRE(linked_both(a, *b));
  CHECK(b->node->config().self.incarnation != first);
  CHECK(a.node->peers().front().incarnation == b->node->config().self.incarnation);
  // The new run gives out the same slots and generations in the same order:
  // only the creation in the pid keeps a's old pid from its successor.
  Inbox after;
  sched::Pid successor;
  for (int i = 0; i < 128 && (successor.index() < old.index()); ++i) {
    successor = b->rt.spawn(std::make_unique<Fn>(after.handler()));
  }
  REQUIRE(successor.index() == old.index());
  CHECK(successor.generation() == old.generation());
  CHECK(successor != old);
  CHECK(a.rt.send<Blob>(old, Blob{1, {}}));        // crosses the link...
  CHECK(a.rt.send<Blob>(successor, Blob{2, {}}));  // ...as this one does, after it
  REQUIRE(wait_until([&] { return after.size() == 1; }));
  std::lock_guard lock(after.mu);
  CHECK(after.tags == std::vector<std::uint64_t>{2});
}

TEST_CASE("dist node: a seed that goes away is dialled again until it is back") {
  // b's seed is a port nobody listens on yet; a opens it later.
  auto a_port_holder = std::make_unique<TestNode>(1, "alpha");
  std::uint16_t port = a_port_holder->port;
  a_port_holder->stop();
  a_port_holder.reset();
  TestNode b(2, "beta", {Endpoint{"127.0.0.1", port}});
  REQUIRE(wait_until([&] { return b.node->stats().links_up == 0; }));
  sched::Runtime rt(TestNode::config(1));
  NodeConfig c;
  c.self = NodeInfo{"alpha", 1, 0};
  c.cookie = "secret";
  c.port = port;
  c.heartbeat_ms = 50;
  Node a(rt, registry(), c);
  auto started = a.start();
  if (!started) {
    rt.shutdown();
    MESSAGE("the port was taken meanwhile; nothing to check");
    return;
  }
  CHECK(wait_until([&] { return a.linked(2) && b.node->linked(1); }));
  a.stop();
  rt.shutdown();
}

TEST_CASE("dist node: two nodes that dial each other keep one link, the same one on both sides") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()});
  a.node->connect(b.endpoint());  // now both have dialled
  REQUIRE(linked_both(a, b));
  // Once the second handshake settles each side has one link up (a link the
  // other replaced reads on for 500 ms, then counts down as it closes).
  auto one_link = [](TestNode& n) {
    NodeStats s = n.node->stats();
    return s.links_up - s.links_down == 1;
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  CHECK(wait_until([&] { return one_link(a) && one_link(b); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(one_link(a));
  CHECK(one_link(b));
  Inbox at_b;
  sched::Pid receiver = b.rt.spawn(std::make_unique<Fn>(at_b.handler()));
  for (std::uint64_t i = 0; i < 100; ++i) {
    a.rt.send<Blob>(receiver, Blob{i, {}});
  }
  REQUIRE(wait_until([&] { return at_b.size() == 100; }));
}

namespace {

/// Records the tags of the Blobs it receives and whether they ever went back.
struct OrderCheck {
  std::mutex mu;
  std::uint64_t last = 0;
  std::uint64_t count = 0;
  std::uint64_t out_of_order = 0;
  Fn::Handler handler() {
    return [this](Fn&, sched::Message& m) {
      if (auto* b = m.as<Blob>()) {
        std::lock_guard lock(mu);
        if (count > 0 && b->tag <= last) {
          ++out_of_order;
        }
        last = b->tag;
        ++count;
      }
    };
  }
};

}  // namespace

TEST_CASE("dist node: messages streaming while two nodes dial each other arrive in order, both ways") {
  // Each side may first send on the link that comes up first and then switch
  // to the one both keep: what it wrote before the switch must arrive first.
  for (int round = 0; round < 16; ++round) {
    CAPTURE(round);
    TestNode a(1, "alpha");
    TestNode b(2, "beta");
    OrderCheck at_a;
    OrderCheck at_b;
    sched::Pid to_a = a.rt.spawn(std::make_unique<Fn>(at_a.handler()));
    sched::Pid to_b = b.rt.spawn(std::make_unique<Fn>(at_b.handler()));
    std::atomic<bool> stop{false};
    auto stream = [&stop](sched::Runtime& rt, sched::Pid to) {
      auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      for (std::uint64_t i = 1; !stop.load() && std::chrono::steady_clock::now() < give_up; ++i) {
        (void)rt.send<Blob>(to, Blob{i, {}});  // dropped (counted) while there is no link
        if (i % 128 == 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(100));  // a stream, not a flood
        }
      }
    };
    std::thread from_a(stream, std::ref(a.rt), to_b);
    std::thread from_b(stream, std::ref(b.rt), to_a);
    a.node->connect(b.endpoint());
    b.node->connect(a.endpoint());
    REQUIRE(linked_both(a, b));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    stop = true;
    from_a.join();
    from_b.join();
    auto received = [](OrderCheck& c) {
      std::lock_guard lock(c.mu);
      return c.count;
    };
    REQUIRE(wait_until([&] { return received(at_a) > 0 && received(at_b) > 0; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // what is still in flight
    std::lock_guard la(at_a.mu);
    std::lock_guard lb(at_b.mu);
    CHECK(at_a.out_of_order == 0);
    CHECK(at_b.out_of_order == 0);
  }
}

namespace {

/// Records node events as text: "up beta", "down beta (reason)".
struct NodeEvents {
  std::mutex mu;
  std::vector<std::string> log;
  std::vector<std::uint32_t> incarnations;
  Fn::Handler handler() {
    return [this](Fn&, sched::Message& m) {
      std::lock_guard lock(mu);
      if (auto* up = m.as<NodeUp>()) {
        log.push_back("up " + up->node.name);
        incarnations.push_back(up->node.incarnation);
      } else if (auto* down = m.as<NodeDown>()) {
        log.push_back("down " + down->node.name + " (" + down->reason + ")");
        incarnations.push_back(down->node.incarnation);
      }
    };
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu);
    return log;
  }
};

}  // namespace

TEST_CASE("dist node: node events, up and down for every peer, once per monitor_node, none after demonitoring") {
  TestNode a(1, "alpha");
  NodeEvents all;
  NodeEvents one;
  NodeEvents early;
  sched::Pid all_pid = a.rt.spawn(std::make_unique<Fn>(all.handler()));
  sched::Pid one_pid = a.rt.spawn(std::make_unique<Fn>(one.handler()));
  sched::Pid early_pid = a.rt.spawn(std::make_unique<Fn>(early.handler()));
  a.node->monitor_nodes(all_pid);
  a.node->monitor_node("beta", early_pid);  // not linked yet: down at once
  REQUIRE(wait_until([&] { return early.seen().size() == 1; }));
  CHECK(early.seen()[0] == "down beta (not linked)");

  auto b = std::make_unique<TestNode>(2, "beta", std::vector<Endpoint>{a.endpoint()});
  REQUIRE(linked_both(a, *b));
  REQUIRE(wait_until([&] { return all.seen().size() == 1; }));
  CHECK(all.seen()[0] == "up beta");
  a.node->monitor_node("beta", one_pid);
  a.node->monitor_node("beta", one_pid);  // two monitors, two messages
  a.node->monitor_node("beta", early_pid);
  CHECK(a.node->demonitor_node("beta", early_pid));
  CHECK_FALSE(a.node->demonitor_node("beta", early_pid));
  std::uint32_t first = b->node->config().self.incarnation;

  b->stop();
  REQUIRE(wait_until([&] { return all.seen().size() == 2 && one.seen().size() == 2; }));
  CHECK(all.seen()[1].starts_with("down beta ("));
  CHECK(one.seen()[0].starts_with("down beta ("));

  // Its next run is up again, with its new incarnation.
  b = std::make_unique<TestNode>(2, "beta", std::vector<Endpoint>{a.endpoint()});
  REQUIRE(linked_both(a, *b));
  REQUIRE(wait_until([&] { return all.seen().size() == 3; }));
  CHECK(all.seen()[2] == "up beta");
  std::uint32_t second = b->node->config().self.incarnation;
  a.node->monitor_nodes(all_pid, false);
  b->stop();
  REQUIRE(wait_until([&] { return !a.node->linked(2); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(early.seen().size() == 1);  // demonitored: nothing more
  CHECK(all.seen().size() == 3);
  {
    std::lock_guard lock(all.mu);
    CHECK(all.incarnations[0] == first);
    CHECK(all.incarnations[1] == first);
    CHECK(all.incarnations[2] == second);
  }
}

TEST_CASE("dist node: a seed given by host name is resolved off the scheduler and links") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {Endpoint{"localhost", a.port}});
  REQUIRE(linked_both(a, b));
}

TEST_CASE("dist node: a seed that is the node itself is dialled once and never linked") {
  TestNode a(1, "alpha");
  a.node->connect(a.endpoint());
  REQUIRE(wait_until([&] { return a.node->stats().refused_handshakes >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several backoffs, were it dialling again
  CHECK(a.node->stats().refused_handshakes <= 2);  // one refusal seen from each side of the one attempt
  CHECK(a.node->peers().empty());
}

namespace {

/// Records what a process hears of others: EXIT (trapped) and DOWN, as text.
struct Watcher {
  std::mutex mu;
  std::vector<std::string> log;
  std::size_t size() {
    std::lock_guard lock(mu);
    return log.size();
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu);
    return log;
  }
  Fn::Handler handler() {
    return [this](Fn& self, sched::Message& m) {
      if (auto* d = m.as<Do>()) {
        d->f(self);
      } else if (auto* e = m.as<sched::ExitMsg>()) {
        std::lock_guard lock(mu);
        log.push_back("EXIT " + e->from.to_string() + " " + e->reason.to_string());
      } else if (auto* down = m.as<sched::DownMsg>()) {
        std::lock_guard lock(mu);
        log.push_back("DOWN " + down->pid.to_string() + " " + down->reason.to_string());
      }
    };
  }
};

/// A process that idles until told to exit.
Fn::Handler idle() {
  return [](Fn& self, sched::Message& m) {
    if (auto* d = m.as<Do>()) {
      d->f(self);
    }
  };
}

/// A new process of `rt` that traps exits, links to `target` and monitors
/// it; `w` records what fires.
void link_and_monitor(sched::Runtime& rt, Watcher& w, sched::Pid target) {
  sched::Pid near = rt.spawn(std::make_unique<Fn>(w.handler()));
  rt.send<Do>(near, Do{[target](Fn& self) {
    self.trap_exit(true);
    self.link(target);
    (void)self.monitor(target);
  }});
}

/// Both the DOWN and the EXIT of `target` reached `w`, with `reason`.
void check_both_fired(Watcher& w, sched::Pid target, const std::string& reason) {
  REQUIRE(wait_until([&] { return w.size() == 2; }));
  auto lines = w.lines();
  std::sort(lines.begin(), lines.end());
  CHECK(lines[0] == "DOWN " + target.to_string() + " " + reason);
  CHECK(lines[1] == "EXIT " + target.to_string() + " " + reason);
}

}  // namespace

TEST_CASE("dist node: a link and a monitor to a process of another node fire with its exit reason") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()});
  REQUIRE(linked_both(a, b));
  sched::Pid far = b.rt.spawn(std::make_unique<Fn>(idle()));
  Watcher w;
  link_and_monitor(a.rt, w, far);
  // The link and the monitor are set up on b before far ends: wait for the
  // signals to cross (the relations of a's link process count them).
  REQUIRE(wait_until([&] { return b.node->stats().messages_in >= 2; }));
  b.rt.send<Do>(far, Do{[](Fn& self) { self.exit(sched::ExitReason::error("gone")); }});
  check_both_fired(w, far, "error: gone");
}

TEST_CASE("dist node: a link and a monitor to a process of another node that is gone fire at once with noproc") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()});
  REQUIRE(linked_both(a, b));
  sched::Pid far = b.rt.spawn(std::make_unique<Fn>(idle()));
  b.rt.send<Do>(far, Do{[](Fn& self) { self.exit(sched::ExitReason::normal()); }});
  REQUIRE(wait_until([&] { return !b.rt.alive(far); }));
  Watcher w;
  link_and_monitor(a.rt, w, far);
  check_both_fired(w, far, "noproc");
}

TEST_CASE("dist node: when the link goes down, links and monitors across it fire with noconnection, both ways") {
  TestNode a(1, "alpha");
  auto b = std::make_unique<TestNode>(2, "beta", std::vector<Endpoint>{a.endpoint()});
  REQUIRE(linked_both(a, *b));
  Watcher at_b;
  sched::Pid far = b->rt.spawn(std::make_unique<Fn>(at_b.handler()));
  Watcher at_a;
  link_and_monitor(a.rt, at_a, far);
  REQUIRE(wait_until([&] { return b->node->stats().messages_in >= 2; }));
  // Only b's side is stopped: its node closes its links (its processes end
  // with its runtime, but a's process must not wait for their signals).
  b->node->stop();
  check_both_fired(at_a, far, "noconnection");
  // On b's side the link to a's process fired too (far traps no exits: it ended).
  CHECK(wait_until([&] { return !b->rt.alive(far); }));
  b.reset();
}

TEST_CASE("dist node: a link to a node that is not linked fires noconnection at once") {
  TestNode a(1, "alpha");
  Watcher w;
  sched::Pid nowhere(9, 42);
  link_and_monitor(a.rt, w, nowhere);
  check_both_fired(w, nowhere, "noconnection");
}

TEST_CASE("dist node: nodes told of one seed learn of each other and every node links to every node") {
  TestNode a(1, "alpha");
  TestNode b(2, "beta", {a.endpoint()});
  TestNode c(3, "gamma", {a.endpoint()});
  TestNode d(4, "delta", {c.endpoint()});
  std::vector<TestNode*> all{&a, &b, &c, &d};
  REQUIRE(wait_until([&] {
    for (TestNode* x : all) {
      if (x->node->peers().size() != all.size() - 1) {
        return false;
      }
    }
    return true;
  }));
  // And a message crosses the link that gossip made (b and d were never told of each other).
  Inbox at_d;
  sched::Pid receiver = d.rt.spawn(std::make_unique<Fn>(at_d.handler()));
  b.rt.send<Blob>(receiver, Blob{42, {}});
  REQUIRE(wait_until([&] { return at_d.size() == 1; }));
}

namespace {
struct More {};
}  // namespace

TEST_CASE("dist node: a link whose peer reads nothing is busy, its sender is suspended, memory stays bounded, nothing is lost") {
  constexpr std::size_t busy_bytes = 256 * 1024;
  constexpr std::uint32_t busy_messages = 2000;
  TestNode a(1, "alpha", {}, "secret", 10000, busy_bytes, busy_messages);
  TestNode b(2, "beta", {a.endpoint()}, "secret", 10000);
  REQUIRE(linked_both(a, b));
  Inbox at_b;
  sched::Pid receiver = b.rt.spawn(std::make_unique<Fn>(at_b.handler()));
  // b's only scheduler is held: its link reads nothing meanwhile.
  std::atomic<bool> release{false};
  std::atomic<bool> holding{false};
  sched::Pid holder = b.rt.spawn(std::make_unique<Fn>([&](Fn&, sched::Message& m) {
    if (m.is<Do>()) {
      holding = true;
      while (!release.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }));
  b.rt.send<Do>(holder, Do{});
  REQUIRE(wait_until([&] { return holding.load(); }));

  constexpr std::uint64_t total = 100000;
  constexpr std::uint64_t batch = 1000;
  std::atomic<std::uint64_t> sent{0};
  const std::string bytes(1024, 'x');  // a body per message: one shared body would cross once per frame
  sched::SpawnOptions o;
  o.start = true;
  a.rt.spawn(std::make_unique<Fn>(
                 [&](Fn& self, sched::Message& m) {
                   if (!m.is<More>()) {
                     return;
                   }
                   for (std::uint64_t i = 0; i < batch; ++i) {
                     self.send<Blob>(receiver, Blob{sent.load() + i, mqtt::SharedBytes::copy_of(bytes)});
                   }
                   if (sent.fetch_add(batch) + batch < total) {
                     self.send<More>(self.self());
                   }
                 },
                 std::function<void(Fn&, const sched::ExitReason&)>{},
                 std::function<void(Fn&)>{[](Fn& self) { self.send<More>(self.self()); }}),
             o);
  struct Release {
    std::atomic<bool>& flag;
    ~Release() { flag = true; }  // a failed check must not leave b's scheduler held
  } guard{release};
  REQUIRE(wait_until([&] { return a.node->stats().suspended >= 1; }));
  // The kernel's socket buffers take some first; then the sender stays
  // suspended: not a message more while the peer reads nothing.
  std::uint64_t before = 0;
  for (int i = 0; i < 25 && sent.load() != before; ++i) {
    before = sent.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(sent.load() == before);
  CHECK(before < total);
  // Bounded: the byte limit, plus the messages the link may hold in its
  // mailbox, plus what one handler sent after the link turned busy.
  CHECK(a.node->stats().max_unsent_bytes < busy_bytes + (busy_messages + batch + 10) * 1100);

  release = true;
  REQUIRE(wait_until([&] { return at_b.size() == total; }, 30000));
  std::lock_guard lock(at_b.mu);
  for (std::uint64_t i = 0; i < total; ++i) {
    REQUIRE(at_b.tags[i] == i);
  }
  CHECK(a.node->stats().busy >= 1);
}

namespace {
/// Mutual TLS with `leaf`'s certificate (tests/net/tls_pki.hpp), trusting the test CA.
std::function<void(NodeConfig&)> mutual_tls(const std::string& leaf) {
  return [leaf](NodeConfig& c) {
    auto& pki = net::testing::pki();
    net::TlsOptions server;
    server.certfile = pki.crt(leaf);
    server.keyfile = pki.key(leaf);
    server.cafile = pki.crt("ca");
    server.require_certificate = true;
    auto made = net::TlsContext::create(server);
    REQUIRE(made.context);
    c.tls_server = made.context;
    net::TlsClientOptions client;
    client.cafile = pki.crt("ca");
    client.certfile = pki.crt(leaf);
    client.keyfile = pki.key(leaf);
    auto dialer = net::TlsClientContext::create(client);
    REQUIRE(dialer.context);
    c.tls_client = dialer.context;
  };
}
}  // namespace

TEST_CASE("dist node: over mutual TLS two nodes link and messages cross in order") {
  TestNode a(1, "alpha", {}, "secret", 5000, default_busy_bytes, default_busy_messages, mutual_tls("server"));
  TestNode b(2, "beta", {a.endpoint()}, "secret", 5000, default_busy_bytes, default_busy_messages,
             mutual_tls("server"));
  REQUIRE(linked_both(a, b));
  Inbox at_b;
  sched::Pid receiver = b.rt.spawn(std::make_unique<Fn>(at_b.handler()));
  for (std::uint64_t i = 0; i < 5000; ++i) {
    a.rt.send<Blob>(receiver, Blob{i, mqtt::SharedBytes::copy_of(std::string(100, 'y'))});
  }
  REQUIRE(wait_until([&] { return at_b.size() == 5000; }));
  std::lock_guard lock(at_b.mu);
  for (std::uint64_t i = 0; i < 5000; ++i) {
    REQUIRE(at_b.tags[i] == i);
  }
}

TEST_CASE("dist node: a node whose certificate another CA signed is refused, though it knows the cookie") {
  TestNode a(1, "alpha", {}, "secret", 5000, default_busy_bytes, default_busy_messages, mutual_tls("server"));
  TestNode b(2, "beta", {a.endpoint()}, "secret", 5000, default_busy_bytes, default_busy_messages,
             [](NodeConfig& c) {
               mutual_tls("server")(c);
               auto& pki = net::testing::pki();
               net::TlsClientOptions client;
               client.cafile = pki.crt("ca");
               client.certfile = pki.crt("client-foreign");
               client.keyfile = pki.key("client-foreign");
               auto dialer = net::TlsClientContext::create(client);
               REQUIRE(dialer.context);
               c.tls_client = dialer.context;
             });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // several dials
  CHECK_FALSE(a.node->linked(2));
  CHECK_FALSE(b.node->linked(1));
}

TEST_CASE("dist node: a plain dial to a TLS node is refused") {
  TestNode a(1, "alpha", {}, "secret", 5000, default_busy_bytes, default_busy_messages, mutual_tls("server"));
  TestNode b(2, "beta", {a.endpoint()});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK_FALSE(a.node->linked(2));
  CHECK_FALSE(b.node->linked(1));
}
