// bridge/mqtt/topic_map.cpp and backoff.hpp: mosquitto's topic mapping, the
// reconnect backoff.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "bridge/mqtt/backoff.hpp"
#include "bridge/mqtt/topic_map.hpp"

using namespace actormq::bridge;
using actormq::core::BridgeDirection;
using actormq::core::BridgeTopicConfig;
using actormq::mqtt::QoS;

namespace {

BridgeTopicConfig entry(std::string pattern, BridgeDirection dir, int qos, std::string lp = {}, std::string rp = {}) {
  BridgeTopicConfig t;
  t.pattern = std::move(pattern);
  t.direction = dir;
  t.qos = qos;
  t.local_prefix = std::move(lp);
  t.remote_prefix = std::move(rp);
  return t;
}

}  // namespace

TEST_CASE("bridge topic map: prefixes are swapped, the rest kept") {
  TopicMap map({entry("sensors/#", BridgeDirection::out, 1, "", "site1/"),
                entry("cmd/+", BridgeDirection::in, 2, "local/", "remote/"),
                entry("x/#", BridgeDirection::both, 0, "l/", "r/")});
  CHECK(map.outward("sensors/a/b") == Mapped{"site1/sensors/a/b", QoS::at_least_once});
  CHECK(map.outward("sensors") == Mapped{"site1/sensors", QoS::at_least_once});  // '#' matches the parent
  CHECK_FALSE(map.outward("cmd/a"));          // an in entry carries nothing out
  CHECK_FALSE(map.inward("site1/sensors/a"));  // an out entry carries nothing in
  CHECK(map.inward("remote/cmd/go") == Mapped{"local/cmd/go", QoS::exactly_once});
  CHECK_FALSE(map.inward("remote/cmd/go/now"));
  CHECK(map.outward("l/x/1") == Mapped{"r/x/1", QoS::at_most_once});
  CHECK(map.inward("r/x/1") == Mapped{"l/x/1", QoS::at_most_once});
  CHECK_FALSE(map.outward("x/1"));  // without its prefix
  CHECK(map.local_filters() == std::vector<FilterQos>{{"sensors/#", QoS::at_least_once}, {"l/x/#", QoS::at_most_once}});
  CHECK(map.remote_filters() == std::vector<FilterQos>{{"remote/cmd/+", QoS::exactly_once}, {"r/x/#", QoS::at_most_once}});
}

TEST_CASE("bridge topic map: a topic matched only through its parent level has no prefix to swap") {
  TopicMap map({entry("#", BridgeDirection::out, 0, "a/", "b/")});
  CHECK(map.outward("a/t") == Mapped{"b/t", QoS::at_most_once});
  CHECK_FALSE(map.outward("a"));  // "a/#" matches "a", which does not start with "a/"
  CHECK_FALSE(map.outward("$SYS/a/t"));
}

TEST_CASE("bridge topic map: empty patterns, the first matching entry, one filter per name") {
  TopicMap map({entry("", BridgeDirection::both, 1, "here/exact", "there/exact"),
                entry("t/#", BridgeDirection::out, 0), entry("t/#", BridgeDirection::out, 2, "", "other/")});
  CHECK(map.outward("here/exact") == Mapped{"there/exact", QoS::at_least_once});
  CHECK(map.inward("there/exact") == Mapped{"here/exact", QoS::at_least_once});
  CHECK_FALSE(map.outward("here/exact/more"));
  CHECK(map.outward("t/1") == Mapped{"t/1", QoS::at_most_once});  // the first entry wins
  // Both entries name t/#: subscribed once, at the higher QoS.
  CHECK(map.local_filters() == std::vector<FilterQos>{{"here/exact", QoS::at_least_once}, {"t/#", QoS::exactly_once}});
}

TEST_CASE("bridge backoff: doubles from base to cap, jittered down by at most half, reset by a success") {
  Backoff b(100, 1000, 42);
  const std::uint64_t ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (std::uint64_t ceiling : ceilings) {
    CHECK(b.ceiling() == ceiling);
    std::uint64_t wait = b.next();
    CHECK(wait >= ceiling / 2);
    CHECK(wait <= ceiling);
  }
  b.reset();
  CHECK(b.ceiling() == 100);
  // Jittered: many bridges do not all come back at once.
  Backoff c(1000, 1000, 7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 50; ++i) {
    seen.insert(c.next());
  }
  CHECK(seen.size() > 10);
  for (int i = 0; i < 100; ++i) {
    (void)b.next();
  }
  CHECK(b.ceiling() == 1000);  // no overflow past the cap
}

TEST_CASE("bridge topic map: a changed bridge's routes move where the filter stays, go or are added") {
  TopicMap from({entry("a/#", BridgeDirection::out, 1), entry("b/#", BridgeDirection::both, 0),
                 entry("in/#", BridgeDirection::in, 1), entry("p/#", BridgeDirection::out, 1, "old/")});
  TopicMap to({entry("c/#", BridgeDirection::out, 1), entry("a/#", BridgeDirection::out, 2),
               entry("in/#", BridgeDirection::out, 0), entry("p/#", BridgeDirection::out, 1, "new/")});
  RouteHandOver plan = route_hand_over(from, to);
  // The new map's QoS; an in entry had no local route; a new local prefix is another filter.
  CHECK(plan.moved == std::vector<FilterQos>{{"a/#", QoS::exactly_once}});
  CHECK(plan.added == std::vector<FilterQos>{{"c/#", QoS::at_least_once}, {"in/#", QoS::at_most_once},
                                             {"new/p/#", QoS::at_least_once}});
  CHECK(plan.removed == std::vector<std::string>{"b/#", "old/p/#"});
  RouteHandOver same = route_hand_over(from, from);
  CHECK(same.moved == from.local_filters());
  CHECK(same.added.empty());
  CHECK(same.removed.empty());
}
