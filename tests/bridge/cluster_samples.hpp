#pragma once
// Sample messages of every type of cluster_proto_v1, shared by the unit tests
// and tests/fuzz/make_seeds.cpp.

#include <memory>
#include <vector>

#include "bridge/cluster/cluster_proto_v1.hpp"
#include "bridge/cluster/session_move_proto_v1.hpp"
#include "core/session/channel_host.hpp"
#include "core/session/session_state_codec.hpp"
#include "core/messages.hpp"
#include "sched/message.hpp"

namespace actormq::cluster::test {

/// A forwarded publish: QoS 1, retained, with v5 properties.
inline core::Deliver sample_deliver() {
  auto m = core::new_app_message();
  m->topic = "sensors/7/temp";
  m->payload = mqtt::SharedBytes::copy_of(std::string_view("21.5"));
  m->qos = mqtt::QoS::at_least_once;
  m->retain = true;
  mqtt::Properties p;
  p.content_type = "text/plain";
  p.user_properties.push_back(mqtt::UserProperty{"site", "north"});
  p.message_expiry_interval = 60;
  m->set_properties(std::move(p));
  m->publisher = "dev-7";
  m->publisher_pid = sched::Pid(2, 77);
  m->received_ms = 1733490000000;
  core::Deliver d;
  d.msg = std::move(m);
  d.qos = mqtt::QoS::at_least_once;
  d.retain = true;
  return d;
}

/// A session's state with a subscription, one message in flight and one queued.
inline core::SessionState sample_session_state() {
  core::SessionState s;
  s.subscriptions.insert_or_assign(
      "sensors/#", core::Subscription::of("sensors/#", core::SubInfo{mqtt::QoS::at_least_once, false, false, false, 3}));
  core::Deliver d = sample_deliver();
  d.retain = false;
  s.inflight.emplace(7, core::Inflight{1, d, false});
  s.inflight_seq = 1;
  s.queue.push_back(d);
  s.last_packet_id = 7;
  return s;
}

/// Every type of session_move_proto_v1.
inline std::vector<sched::MessagePtr> sample_session_move_messages() {
  std::vector<sched::MessagePtr> out;
  out.push_back(sched::make_message<core::Takeover>(
      core::Takeover{sched::Pid(2, 40), false, std::make_shared<const std::string>("alice")}));
  out.push_back(sched::make_message<core::Takeover>(core::Takeover{sched::Pid(2, 41), true, nullptr}));
  std::vector<std::string> parts = core::encode_session_state(sample_session_state());
  out.push_back(sched::make_message<core::HandoverPart>(
      core::HandoverPart{mqtt::SharedBytes::copy_of(std::string_view(parts.front())), parts.size() == 1, false}));
  out.push_back(sched::make_message<core::HandoverRelease>(core::HandoverRelease{sched::Pid(1, 9), sched::Pid(2, 40)}));
  ClusterClients clients{ClusterRoutes::Op::reset, sched::Pid(2, 5),
                         {{"dev-1", sched::Pid(2, 40), 1733490000000}, {"dev-2", sched::Pid(2, 41), 1733490000123}}};
  out.push_back(sched::make_message<ClusterClients>(clients));
  out.push_back(sched::make_message<ClusterPing>(ClusterPing{sched::Pid(2, 5), 17}));
  out.push_back(sched::make_message<ClusterPong>(ClusterPong{sched::Pid(3, 5), 17}));
  out.push_back(sched::make_message<core::AdoptRequest>(
      core::AdoptRequest{sched::Pid(1, 40), "dev-1", mqtt::ProtocolVersion::v5, 3600, "alice", 1}));
  out.push_back(sched::make_message<core::AdoptRequest>(
      core::AdoptRequest{sched::Pid(1, 41), "dev-2", mqtt::ProtocolVersion::v3_1_1, 0xFFFFFFFFu, std::nullopt, 0}));
  out.push_back(sched::make_message<core::Adopt>(core::Adopt{sched::Pid(2, 77)}));
  return out;
}

inline std::vector<sched::MessagePtr> sample_cluster_messages() {
  std::vector<sched::MessagePtr> out;
  out.push_back(sched::make_message<core::Deliver>(sample_deliver()));
  ClusterRoutes reset{ClusterRoutes::Op::reset, sched::Pid(2, 5), {"a/b", "sensors/+/temp", "#"}};
  out.push_back(sched::make_message<ClusterRoutes>(reset));
  ClusterRoutes remove{ClusterRoutes::Op::remove, sched::Pid(2, 5), {"a/b"}};
  out.push_back(sched::make_message<ClusterRoutes>(remove));
  out.push_back(sched::make_message<ClusterRetain>(ClusterRetain{sample_deliver().msg}));
  out.push_back(sched::make_message<core::Throttle>(core::Throttle{sched::Pid(2, 6)}));
  out.push_back(sched::make_message<core::Unthrottle>(core::Unthrottle{sched::Pid(2, 6)}));
  ClusterSharedRoutes groups{ClusterRoutes::Op::add, sched::Pid(2, 5), {{"g1", "a/+"}, {"workers", "jobs/#"}}};
  out.push_back(sched::make_message<ClusterSharedRoutes>(groups));
  ClusterSharedDeliver one{sample_deliver().msg, "g1", "sensors/+/temp"};
  out.push_back(sched::make_message<ClusterSharedDeliver>(one));
  for (sched::MessagePtr& m : sample_session_move_messages()) {
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace actormq::cluster::test
