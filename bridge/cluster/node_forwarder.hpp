#pragma once
// The forwarder of one peer node: the subscriber of that node's routes in
// this node's routers (cluster_agent.hpp). It passes each publish they give
// it to the peer's agent over the node link, and never makes the routers
// wait: while the link is busy (a slow or silent node, Node::busy) it keeps
// what comes in a queue of its own, bounded by max_backlog messages (beyond,
// the oldest are dropped and counted), and sends on as the link drains.
// The routers' sends to it are local and cheap, so a node that hangs until
// it is declared down (node_down_after_ms) holds up no publisher.

#include <cstdint>
#include <deque>

#include "bridge/cluster/cluster_agent.hpp"
#include "core/messages.hpp"
#include "sched/process.hpp"

namespace actormq::cluster {

class NodeForwarder final : public sched::Process {
 public:
  static constexpr std::size_t max_backlog = 65536;

  /// `node` and `counters` outlive the forwarder.
  NodeForwarder(dist::Node& node, sched::Pid peer_agent, ClusterCounters& counters);

 protected:
  void on_message(sched::Message& msg) override;

 private:
  struct Drain {};
  void forward(core::Deliver& d);
  void drain();
  void send_one(core::Deliver d);

  dist::Node& node_;
  sched::Pid agent_;
  ClusterCounters& counters_;
  std::deque<core::Deliver> backlog_;
  bool drain_armed_ = false;
  std::uint64_t dropped_since_log_ = 0;
};

}  // namespace actormq::cluster
