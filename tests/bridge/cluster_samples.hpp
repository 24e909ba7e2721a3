#pragma once
// Sample messages of every type of cluster_proto_v1, shared by the unit tests
// and tests/fuzz/make_seeds.cpp.

#include <memory>
#include <vector>

#include "bridge/cluster/cluster_proto_v1.hpp"
#include "core/messages.hpp"
#include "sched/message.hpp"

namespace actormq::cluster::test {

/// A forwarded publish: QoS 1, retained, with v5 properties.
inline core::Deliver sample_deliver() {
  auto m = std::make_shared<core::AppMessage>();
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
  return out;
}

}  // namespace actormq::cluster::test
