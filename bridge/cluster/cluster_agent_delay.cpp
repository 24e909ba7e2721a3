// Test only (core/faults.hpp, ACTORMQ_TEST_FORWARD_DELAY_MS): the agent
// holds what peers forward to it, in the order it came, as a slow inbound
// link would; the rest of its mail is read at once.
#include "bridge/cluster/cluster_agent.hpp"

#include "sched/scheduler.hpp"

namespace actormq::cluster {

bool ClusterAgent::hold_inbound(sched::Message& msg) {
  const std::uint32_t delay = ctx_.faults.forward_delay_ms;
  if (delay == 0) {
    return false;
  }
  Inbound in;
  if (auto* d = msg.as<core::Deliver>()) {
    in = std::move(*d);
  } else if (auto* sd = msg.as<ClusterSharedDeliver>()) {
    in = std::move(*sd);
  } else if (auto* p = msg.as<ClusterPong>()) {
    in = *p;
  } else {
    return false;
  }
  held_.push_back(Held{uv_now(scheduler().loop()) + delay, std::move(in)});
  if (held_.size() == 1) {
    send_after(self(), sched::make_message<ReleaseHeld>(), delay);
  }
  return true;
}

void ClusterAgent::release_held() {
  const std::uint64_t now = uv_now(scheduler().loop());
  while (!held_.empty() && held_.front().due_ms <= now) {
    Inbound in = std::move(held_.front().what);
    held_.pop_front();
    if (auto* d = std::get_if<core::Deliver>(&in)) {
      forwarded(*d);
    } else if (auto* sd = std::get_if<ClusterSharedDeliver>(&in)) {
      forwarded_shared(*sd);
    } else {
      pong(std::get<ClusterPong>(in));
    }
  }
  if (!held_.empty()) {
    send_after(self(), sched::make_message<ReleaseHeld>(), held_.front().due_ms - now);
  }
}

}  // namespace actormq::cluster
