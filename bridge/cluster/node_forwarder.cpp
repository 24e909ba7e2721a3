#include "bridge/cluster/node_forwarder.hpp"

#include <algorithm>

#include "core/logger.hpp"
#include "sched/runtime.hpp"

namespace actormq::cluster {

namespace {
// How often a forwarder with a backlog looks whether its link drained.
constexpr std::uint64_t drain_every_ms = 5;
}  // namespace

NodeForwarder::NodeForwarder(dist::Node& node, sched::Pid peer_agent, ClusterCounters& counters)
    : node_(node), agent_(peer_agent), counters_(counters) {}

void NodeForwarder::on_message(sched::Message& msg) {
  if (auto* d = msg.as<core::Deliver>()) {
    forward(*d);
  } else if (auto* p = msg.as<PongAfterBacklog>()) {
    pongs_.push_back(Pong{consumed_ + backlog_.size(), p->pong});
    send_due_pongs();
  } else if (msg.is<Drain>()) {
    drain_armed_ = false;
    drain();
  }
}

void NodeForwarder::forward(core::Deliver& d) {
  if (backlog_.empty() && !node_.busy(agent_)) {
    send_one(std::move(d));
    return;
  }
  if (backlog_.size() >= max_backlog) {
    backlog_.pop_front();  // the oldest: what comes later matters more to its subscribers
    consumed_one();
    counters_.forward_dropped.fetch_add(1, std::memory_order_relaxed);
    if (dropped_since_log_++ == 0) {
      ACTORMQ_LOG_WARNING("cluster: the link to " << agent_.to_string() << "'s node takes nothing; "
                                                   << max_backlog << " publishes wait for it, the oldest are dropped");
    }
  }
  if (backlog_.empty()) {
    last_progress_ms_ = now_ms();  // the stall, if any, starts now
  }
  backlog_.push_back(std::move(d));
  pace(&backlog_.back());
  if (!drain_armed_) {
    drain_armed_ = true;
    send_after(self(), sched::make_message<Drain>(), drain_every_ms);
  }
}

void NodeForwarder::drain() {
  bool moved = false;
  while (!backlog_.empty() && !node_.busy(agent_)) {
    send_one(std::move(backlog_.front()));
    backlog_.pop_front();
    consumed_one();
    moved = true;
  }
  if (moved) {
    last_progress_ms_ = now_ms();
  }
  pace(nullptr);
  if (backlog_.empty()) {
    dropped_since_log_ = 0;
  } else if (!drain_armed_) {
    drain_armed_ = true;
    send_after(self(), sched::make_message<Drain>(), drain_every_ms);
  }
}

void NodeForwarder::consumed_one() {
  ++consumed_;
  send_due_pongs();
}

void NodeForwarder::send_due_pongs() {
  while (!pongs_.empty() && pongs_.front().after <= consumed_) {
    (void)runtime().send<ClusterPong>(agent_, pongs_.front().pong);
    pongs_.pop_front();
  }
}

void NodeForwarder::send_one(core::Deliver d) {
  // Through the runtime, not Process::send: a busy link must not suspend us
  // (we look at busy() ourselves); what crosses is the message and the QoS
  // and RETAIN of the delivery, not the publisher's durability hold.
  counters_.forwarded_out.fetch_add(1, std::memory_order_relaxed);
  if (!d.shared_group.empty()) {
    // For one member of a shared group there: the group goes along.
    if (auto key = split_shared_key(d.shared_group)) {
      (void)runtime().send<ClusterSharedDeliver>(agent_, ClusterSharedDeliver{std::move(d.msg), key->first, key->second});
    }
    return;
  }
  (void)runtime().send<core::Deliver>(agent_, core::Deliver{std::move(d.msg), d.qos, d.retain, {}, {}, 0, {}});
}

}  // namespace actormq::cluster

namespace actormq::cluster {

std::uint64_t NodeForwarder::now_ms() const { return uv_now(scheduler().loop()); }

void NodeForwarder::pace(const core::Deliver* queued) {
  if (backlog_.size() < release_below) {
    for (sched::Pid p : throttled_) {
      (void)runtime().send<core::Unthrottle>(p, core::Unthrottle{self()});
    }
    throttled_.clear();
    return;
  }
  const std::uint64_t now = now_ms();
  if (queued != nullptr && backlog_.size() >= throttle_above) {
    sched::Pid p = queued->msg->publisher_pid;
    if (p.valid() && std::find(throttled_.begin(), throttled_.end(), p) == throttled_.end()) {
      if (throttled_.empty()) {
        throttle_sent_ms_ = now;
      }
      throttled_.push_back(p);
      (void)runtime().send<core::Throttle>(p, core::Throttle{self()});
    }
  }
  if (!throttled_.empty() && now - throttle_sent_ms_ >= core::throttle_renew_ms &&
      now - last_progress_ms_ < stalled_after_ms) {
    throttle_sent_ms_ = now;
    for (sched::Pid p : throttled_) {
      (void)runtime().send<core::Throttle>(p, core::Throttle{self()});
    }
  }
}

}  // namespace actormq::cluster
