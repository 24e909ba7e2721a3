// The cluster broker's layouts on node links (bridge/cluster/cluster_proto_v1.cpp).
#include "bridge/cluster/cluster_proto_v1.hpp"

#include <doctest/doctest.h>

#include "bridge/dist/wire.hpp"
#include "core/messages.hpp"
#include "tests/bridge/cluster_samples.hpp"
#include "tests/bridge/wire_payload.hpp"

using namespace actormq;
using namespace actormq::cluster;
using dist::Registry;
using dist::WireError;
using dist::test::payload_of;
using dist::test::round_trip;

namespace {

Registry cluster_registry() {
  Registry r;
  add_cluster_types_v1(r);
  return r;
}


}  // namespace

TEST_CASE("cluster proto: a forwarded publish keeps every field, its payload is a body of the frame") {
  Registry registry = cluster_registry();
  core::Deliver d = test::sample_deliver();
  auto p = payload_of(registry, *sched::make_message<core::Deliver>(d));
  REQUIRE(p.bodies.size() == 1);
  CHECK(p.bodies[0].view() == "21.5");
  CHECK(p.bytes.find("21.5") == std::string::npos);  // not inline
  auto back = round_trip(registry, *sched::make_message<core::Deliver>(d));
  auto* got = back->as<core::Deliver>();
  REQUIRE(got);
  REQUIRE(got->msg);
  const core::AppMessage& m = *got->msg;
  CHECK(m.topic == "sensors/7/temp");
  CHECK(m.payload.view() == "21.5");
  CHECK(m.qos == mqtt::QoS::at_least_once);
  CHECK(m.retain);
  CHECK(m.properties() == d.msg->properties());
  CHECK(m.publisher == "dev-7");
  CHECK(m.publisher_pid == sched::Pid(2, 77));
  CHECK(m.received_ms == 1733490000000);
  CHECK(got->qos == mqtt::QoS::at_least_once);
  CHECK(got->retain);
}

TEST_CASE("cluster proto: route rows round-trip") {
  Registry registry = cluster_registry();
  ClusterRoutes r{ClusterRoutes::Op::add, sched::Pid(3, 9), {"a/+/c", "#", "$SYS/x"}};
  auto back = round_trip(registry, *sched::make_message<ClusterRoutes>(r));
  auto* got = back->as<ClusterRoutes>();
  REQUIRE(got);
  CHECK(got->op == ClusterRoutes::Op::add);
  CHECK(got->agent == sched::Pid(3, 9));
  CHECK(got->filters == r.filters);
}

TEST_CASE("cluster proto: every cut and a trailing byte are refused") {
  Registry registry = cluster_registry();
  dist::test::check_cuts_and_trailing(registry, test::sample_cluster_messages());
}

TEST_CASE("cluster proto: what no packet could carry is refused") {
  Registry registry = cluster_registry();
  auto refused = [&](const core::Deliver& d) {
    auto p = payload_of(registry, *sched::make_message<core::Deliver>(d));
    return !registry.decode(p.id, p.version, p.bytes, p.bodies).ok();
  };
  auto with_topic = [](std::string topic) {
    core::Deliver d = test::sample_deliver();
    auto m = core::new_app_message();
    m->topic = std::move(topic);
    m->qos = mqtt::QoS::at_least_once;
    d.msg = std::move(m);
    return d;
  };
  CHECK_FALSE(refused(with_topic("a/b")));
  CHECK(refused(with_topic("a/+")));  // a filter is no topic name
  CHECK(refused(with_topic("")));
  core::Deliver higher = with_topic("a/b");
  higher.qos = mqtt::QoS::exactly_once;  // above the message's own QoS
  CHECK(refused(higher));

  ClusterRoutes bad{ClusterRoutes::Op::add, sched::Pid(3, 9), {"a/#/b"}};
  auto p = payload_of(registry, *sched::make_message<ClusterRoutes>(bad));
  CHECK(registry.decode(p.id, p.version, p.bytes, p.bodies).error() == WireError::bad_value);
  ClusterRoutes nobody{ClusterRoutes::Op::add, sched::Pid{}, {"a"}};
  p = payload_of(registry, *sched::make_message<ClusterRoutes>(nobody));
  CHECK(registry.decode(p.id, p.version, p.bytes, p.bodies).error() == WireError::bad_value);
  p = payload_of(registry, *sched::make_message<ClusterRoutes>(ClusterRoutes{ClusterRoutes::Op::add, sched::Pid(3, 9), {}}));
  p.bytes[0] = 3;  // no such op
  CHECK(registry.decode(p.id, p.version, p.bytes, p.bodies).error() == WireError::bad_value);
}

TEST_CASE("cluster proto: a shared group's or subscription's share of a message is not sent") {
  Registry registry = cluster_registry();
  core::Deliver d = test::sample_deliver();
  d.shared_group = "group";
  const Registry::Entry* type = registry.find_local(sched::type_of<core::Deliver>());
  REQUIRE(type);
  dist::BodyTable table;
  dist::Encoder out(table);
  type->encode(out, *sched::make_message<core::Deliver>(d));
  CHECK_FALSE(out.ok());
}

TEST_CASE("cluster proto: shared groups and a publish for one member round-trip, what no group could be is refused") {
  Registry registry = cluster_registry();
  ClusterSharedRoutes r{ClusterRoutes::Op::add, sched::Pid(3, 9), {{"g", "a/+"}, {"w", "#"}}};
  auto back = round_trip(registry, *sched::make_message<ClusterSharedRoutes>(r));
  REQUIRE(back->as<ClusterSharedRoutes>());
  CHECK(back->as<ClusterSharedRoutes>()->groups == r.groups);
  CHECK(back->as<ClusterSharedRoutes>()->agent == sched::Pid(3, 9));
  ClusterSharedDeliver d{test::sample_deliver().msg, "g", "sensors/#"};
  auto got = round_trip(registry, *sched::make_message<ClusterSharedDeliver>(d));
  REQUIRE(got->as<ClusterSharedDeliver>());
  CHECK(got->as<ClusterSharedDeliver>()->group == "g");
  CHECK(got->as<ClusterSharedDeliver>()->msg->topic == "sensors/7/temp");
  auto refused = [&](const sched::Message& m) {
    auto p = payload_of(registry, m);
    return !registry.decode(p.id, p.version, p.bytes, p.bodies).ok();
  };
  CHECK(refused(*sched::make_message<ClusterSharedRoutes>(
      ClusterSharedRoutes{ClusterRoutes::Op::add, sched::Pid(3, 9), {{"a/b", "x"}}})));  // '/' in a group
  CHECK(refused(*sched::make_message<ClusterSharedRoutes>(
      ClusterSharedRoutes{ClusterRoutes::Op::add, sched::Pid(3, 9), {{"", "x"}}})));
  CHECK(refused(*sched::make_message<ClusterSharedDeliver>(
      ClusterSharedDeliver{test::sample_deliver().msg, "g", "other/#"})));  // its filter does not match the topic
  CHECK(split_shared_key(shared_key("g", "a/#")) == std::pair<std::string, std::string>{"g", "a/#"});
  CHECK_FALSE(split_shared_key("no zero byte"));
}
