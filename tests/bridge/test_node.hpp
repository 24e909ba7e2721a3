#pragma once
// A runtime that is a node of a test cluster, over loopback, and what the
// node tests share: an inbox of Blobs, a Do message, waiting for two nodes
// to be linked.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bridge/dist/node.hpp"
#include "bridge/dist/runtime_proto_v1.hpp"
#include "tests/bridge/dist_samples.hpp"
#include "tests/sched/test_process.hpp"

namespace actormq::dist::test_node {

using sched::testing::Fn;
using sched::testing::wait_until;

inline const Registry& registry() { return test::runtime_types(); }

/// A runtime that is a node: `id`, `name`, listening on an ephemeral port.
struct TestNode {
  sched::Runtime rt;
  std::unique_ptr<Node> node;
  std::uint16_t port = 0;

  TestNode(std::uint16_t id, std::string name, std::vector<Endpoint> seeds = {}, std::string cookie = "secret",
           std::uint32_t down_after_ms = 5000, std::size_t busy_bytes = default_busy_bytes,
           std::uint32_t busy_messages = default_busy_messages,
           const std::function<void(NodeConfig&)>& tweak = {})
      : rt(config(id)) {
    NodeConfig c;
    c.busy_bytes = busy_bytes;
    c.busy_messages = busy_messages;
    c.self = NodeInfo{std::move(name), id, 0};
    c.cookie = std::move(cookie);
    c.seeds = std::move(seeds);
    c.heartbeat_ms = 50;
    c.node_down_after_ms = down_after_ms;
    c.reconnect_min_ms = 20;
    c.reconnect_max_ms = 200;
    if (tweak) {
      tweak(c);
    }
    node = std::make_unique<Node>(rt, registry(), c);
    auto started = node->start();
    REQUIRE(started);
    port = *started;
  }
  ~TestNode() { stop(); }
  void stop() {
    if (node) {
      node->stop();
      rt.shutdown();
      node.reset();
    }
  }
  Endpoint endpoint() const { return Endpoint{"127.0.0.1", port}; }

  static sched::RuntimeConfig config(std::uint16_t id) {
    sched::RuntimeConfig c = sched::testing::threaded(1);
    c.node = id;
    // Each runtime is a new run of its node, as each start of a broker is.
    static std::atomic<unsigned> runs{0};
    c.creation = static_cast<std::uint8_t>(runs.fetch_add(1) % 255 + 1);
    return c;
  }
};

/// Records the tags of the Blobs it receives, in order.
struct Inbox {
  std::mutex mu;
  std::vector<std::uint64_t> tags;
  std::vector<sched::Pid> senders;
  std::size_t size() {
    std::lock_guard lock(mu);
    return tags.size();
  }
  Fn::Handler handler() {
    return [this](Fn&, sched::Message& m) {
      if (auto* b = m.as<Blob>()) {
        std::lock_guard lock(mu);
        tags.push_back(b->tag);
      }
    };
  }
};

struct Do {
  std::function<void(Fn&)> f;
};

inline bool linked_both(TestNode& a, TestNode& b) {
  return wait_until([&] {
    return a.node->linked(b.node->config().self.id) && b.node->linked(a.node->config().self.id);
  });
}

}  // namespace actormq::dist::test_node
