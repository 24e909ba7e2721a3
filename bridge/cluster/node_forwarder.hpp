#pragma once
// The forwarder of one peer node: the subscriber of that node's routes in
// this node's routers (cluster_agent.hpp). It passes each publish they give
// it to the peer's agent over the node link, and never makes the routers
// wait: while the link is busy (a slow or silent node, Node::busy) it keeps
// what comes in a queue of its own, bounded by max_backlog messages (beyond,
// the oldest are dropped and counted), and sends on as the link drains.
// The routers' sends to it are local and cheap, so a node that hangs until
// it is declared down (node_down_after_ms) holds up no publisher.
//
// A slow node is not a hung one: while the link drains, however slowly, a
// backlog of throttle_above throttles the sessions that publish into it
// (core::Throttle, as a subscriber that falls behind does), so that what
// they are acknowledged does not pile up beyond what the peer's subscribers
// can queue; below release_below they read again. A link that took nothing
// for stalled_after_ms looks hung: the throttles are no longer renewed and
// lapse (a session reads again 1 s after its last one), and the backlog's
// bound applies until the node is declared down.

#include <cstdint>
#include <deque>
#include <vector>

#include "bridge/cluster/cluster_agent.hpp"
#include "core/messages.hpp"
#include "sched/process.hpp"

namespace actormq::cluster {

/// From this node's agent: send `pong` to the peer's agent once everything
/// queued before it went (the answer to the peer's ClusterPing).
struct PongAfterBacklog {
  ClusterPong pong;
};

class NodeForwarder final : public sched::Process {
 public:
  static constexpr std::size_t max_backlog = 65536;
  static constexpr std::size_t throttle_above = 1024;
  static constexpr std::size_t release_below = 128;
  static constexpr std::uint64_t stalled_after_ms = 2000;

  /// `node` and `counters` outlive the forwarder.
  NodeForwarder(dist::Node& node, sched::Pid peer_agent, ClusterCounters& counters);

 protected:
  void on_message(sched::Message& msg) override;

 private:
  struct Drain {};
  void forward(core::Deliver& d);
  void drain();
  void send_one(core::Deliver d);
  /// Throttles the publisher of what just joined a long backlog, renews the
  /// throttles while the link drains, releases them once it is short.
  void pace(const core::Deliver* queued);
  /// The backlog's front left (sent or dropped): pongs due go.
  void consumed_one();
  void send_due_pongs();
  std::uint64_t now_ms() const;

  dist::Node& node_;
  sched::Pid agent_;
  ClusterCounters& counters_;
  std::deque<core::Deliver> backlog_;
  /// Pongs waiting for the backlog ahead of them: each goes once
  /// `consumed_` (backlog entries sent or dropped) reaches its `after`.
  struct Pong {
    std::uint64_t after;
    ClusterPong pong;
  };
  std::deque<Pong> pongs_;
  std::uint64_t consumed_ = 0;
  bool drain_armed_ = false;
  std::uint64_t dropped_since_log_ = 0;
  std::vector<sched::Pid> throttled_;  ///< publishers we asked to pause
  std::uint64_t throttle_sent_ms_ = 0;
  std::uint64_t last_progress_ms_ = 0;  ///< the link last took something of the backlog
};

}  // namespace actormq::cluster
