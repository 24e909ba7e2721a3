#include "core/routing/local_routes.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace actormq::core {
namespace {

std::vector<sched::Pid> matches(const LocalRoutes& routes, std::string_view topic, std::size_t reader = 0) {
  std::vector<sched::Pid> out;
  routes.match(reader, topic, [&](const sched::Pid& pid, const SubInfo&) { out.push_back(pid); });
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("local routes: add, replace, remove, and the filters a cluster agent announces") {
  LocalRoutes routes(2);
  const sched::Pid a(0, 1);
  const sched::Pid b(0, 2);
  SubInfo q1;
  q1.max_qos = mqtt::QoS::at_least_once;
  routes.add(SharedText("s/1"), a, q1);
  routes.add(SharedText("s/1"), a, SubInfo{});  // a repeated SUBSCRIBE: still one route
  routes.add(SharedText("s/+"), b, q1);
  CHECK(routes.route_count() == 2);
  CHECK(matches(routes, "s/1", 1) == std::vector<sched::Pid>{a, b});
  CHECK(routes.has_filter("s/1"));
  CHECK_FALSE(routes.has_filter("s/2"));
  std::vector<std::string> filters = routes.filters();
  std::sort(filters.begin(), filters.end());
  CHECK(filters == std::vector<std::string>{"s/+", "s/1"});
  // Taken over: b takes a's route of s/1 in one step.
  routes.add(SharedText("s/1"), b, q1, a);
  CHECK(routes.route_count() == 2);
  CHECK(matches(routes, "s/1") == std::vector<sched::Pid>{b, b});  // by s/1 and by s/+
  routes.remove("s/1", a);  // gone already: nothing
  routes.remove("s/1", b);
  CHECK_FALSE(routes.has_filter("s/1"));
  CHECK(routes.route_count() == 1);
  CHECK(routes.filters() == std::vector<std::string>{"s/+"});
}

TEST_CASE("local routes: an add says whether it gave its filter a first route, a remove whether it took the last") {
  LocalRoutes routes(1);
  const sched::Pid a(0, 1);
  const sched::Pid b(0, 2);
  const SharedText dev("dev/1");
  CHECK(routes.add(dev, a, SubInfo{}));
  CHECK_FALSE(routes.add(dev, a, SubInfo{}));  // the same route again
  CHECK_FALSE(routes.add(dev, b, SubInfo{}));
  CHECK_FALSE(routes.add(dev, b, SubInfo{}, a));  // taken over: the filter keeps a route throughout
  CHECK(routes.route_count() == 1);
  CHECK_FALSE(routes.remove("dev/1", a));  // a has none left
  CHECK(routes.remove("dev/1", b));
  CHECK_FALSE(routes.remove("dev/1", b));  // nothing to take
  CHECK(routes.add(SharedText("dev/+"), a, SubInfo{}));
  CHECK(routes.add(dev, a, SubInfo{}));  // a wildcard of the topic is another filter
  CHECK(routes.remove("dev/+", a));
  CHECK(routes.has_filter("dev/1"));
}

// Routers read on their threads while sessions write on theirs (the case
// ThreadSanitizer checks): a match sees a route whole or not at all.
TEST_CASE("local routes: two readers on their own threads while two writers add and remove") {
  LocalRoutes routes(2);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  auto reader = [&](std::size_t index) {
    while (!done.load()) {
      routes.match(index, "dev/7", [&](const sched::Pid& pid, const SubInfo& info) {
        if (info.subscription_id != pid.serial()) {
          torn.fetch_add(1);
        }
      });
    }
  };
  auto writer = [&](std::uint64_t base) {
    for (int round = 0; round < 2000; ++round) {
      const sched::Pid p(0, base + static_cast<std::uint64_t>(round % 7));
      SubInfo info;
      info.subscription_id = static_cast<std::uint32_t>(p.serial());
      routes.add(SharedText(round % 2 == 0 ? "dev/7" : "dev/+"), p, info);
      routes.remove(round % 2 == 0 ? "dev/7" : "dev/+", p);
    }
  };
  std::thread r0(reader, 0);
  std::thread r1(reader, 1);
  std::thread w0(writer, 100);
  std::thread w1(writer, 200);
  w0.join();
  w1.join();
  done.store(true);
  r0.join();
  r1.join();
  CHECK(torn.load() == 0);
  CHECK(routes.route_count() == 0);
}

}  // namespace
}  // namespace actormq::core
