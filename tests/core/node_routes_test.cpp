#include "core/routing/node_routes.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace actormq::core {
namespace {

std::vector<sched::Pid> matches(const NodeRoutes& rows, std::string_view topic, std::size_t reader = 0) {
  std::vector<sched::Pid> out;
  rows.match(reader, topic, [&](const sched::Pid& pid, const SubInfo& info) {
    CHECK(info.to_node);
    out.push_back(pid);
  });
  return out;
}

TEST_CASE("node routes: rows per forwarder, wildcards matched, a purge takes one forwarder's rows only") {
  NodeRoutes rows(2);
  CHECK(rows.readers() == 2);
  sched::Pid a(1, 10);
  sched::Pid b(2, 20);
  CHECK(matches(rows, "x").empty());
  CHECK(rows.size() == 0);
  CHECK(rows.apply(true, a, std::vector<std::string>{"s/1", "s/+", "#"}) == 3);
  CHECK(rows.apply(true, b, std::vector<std::string>{"s/1"}) == 1);
  CHECK(rows.size() == 4);
  CHECK(matches(rows, "s/1", 1).size() == 4);  // a by three filters (the router merges them), b by one
  CHECK(matches(rows, "t") == std::vector<sched::Pid>{a});
  CHECK(rows.purge(a) == 3);
  CHECK(rows.purge(a) == 0);
  CHECK(matches(rows, "s/1") == std::vector<sched::Pid>{b});
  CHECK(matches(rows, "t").empty());
  CHECK(rows.size() == 1);
}

TEST_CASE("node routes: exact rows by their filter's hash: a repeated add or a missing remove changes nothing") {
  NodeRoutes rows(1);
  sched::Pid a(1, 10);
  sched::Pid b(2, 20);
  CHECK(rows.apply(true, a, std::vector<std::string>{"dev/1", "dev/1", "dev/2"}) == 2);
  CHECK(rows.apply(true, a, std::vector<std::string>{"dev/1"}) == 0);
  CHECK(rows.apply(true, b, std::vector<std::string>{"dev/1"}) == 1);
  CHECK(rows.size() == 3);
  CHECK(matches(rows, "dev/1").size() == 2);
  CHECK(matches(rows, "dev/3").empty());
  CHECK(matches(rows, "dev/").empty());
  CHECK(matches(rows, "dev/11").empty());
  CHECK(rows.apply(false, a, std::vector<std::string>{"dev/3", "dev/1"}) == 1);  // dev/3 was never added
  CHECK(matches(rows, "dev/1") == std::vector<sched::Pid>{b});
  CHECK(matches(rows, "dev/2") == std::vector<sched::Pid>{a});
  CHECK(rows.apply(false, b, std::vector<std::string>{"dev/1", "dev/2"}) == 1);
  CHECK(matches(rows, "dev/1").empty());
  CHECK(rows.size() == 1);
  // Many rows (the table grows), then one forwarder's go.
  std::vector<std::string> many;
  for (int i = 0; i < 5000; ++i) {
    many.push_back("fleet/" + std::to_string(i));
  }
  CHECK(rows.apply(true, b, many) == many.size());
  CHECK(rows.apply(true, a, std::span<const std::string>(many).first(100)) == 100);
  for (int i : {0, 99, 100, 4999}) {
    CHECK(matches(rows, many[static_cast<std::size_t>(i)]).size() == (i < 100 ? 2u : 1u));
  }
  CHECK(rows.purge(b) == many.size());
  CHECK(matches(rows, "fleet/4999").empty());
  CHECK(matches(rows, "fleet/7") == std::vector<sched::Pid>{a});
  CHECK(rows.size() == 101);
}

TEST_CASE("node routes: a purged forwarder's slot goes to the next forwarder, whose rows are its own") {
  NodeRoutes rows(1);
  sched::Pid a(1, 10);
  sched::Pid b(2, 20);
  sched::Pid c(3, 30);
  CHECK(rows.apply(false, a, std::vector<std::string>{"dev/1"}) == 0);  // takes no slot
  CHECK(rows.apply(true, a, std::vector<std::string>{"dev/1", "dev/2"}) == 2);
  CHECK(rows.apply(true, b, std::vector<std::string>{"dev/2"}) == 1);
  CHECK(rows.purge(a) == 2);
  CHECK(rows.apply(true, c, std::vector<std::string>{"dev/3"}) == 1);  // a's slot, free again
  CHECK(matches(rows, "dev/1").empty());
  CHECK(matches(rows, "dev/2") == std::vector<sched::Pid>{b});
  CHECK(matches(rows, "dev/3") == std::vector<sched::Pid>{c});
  CHECK(rows.apply(true, a, std::vector<std::string>{"dev/1"}) == 1);  // a back: a slot of its own
  CHECK(matches(rows, "dev/1") == std::vector<sched::Pid>{a});
  CHECK(rows.purge(c) == 1);
  CHECK(matches(rows, "dev/3").empty());
  CHECK(matches(rows, "dev/1") == std::vector<sched::Pid>{a});
  CHECK(matches(rows, "dev/2") == std::vector<sched::Pid>{b});
}

TEST_CASE("node routes: a reader count of zero still has one reader") {
  NodeRoutes rows(0);
  CHECK(rows.readers() == 1);
  rows.apply(true, sched::Pid(1, 1), std::vector<std::string>{"a"});
  CHECK(matches(rows, "a").size() == 1);
}

// Routers read while the cluster agent writes, on other threads (the case
// ThreadSanitizer checks): every match sees a whole batch or none of it.
TEST_CASE("node routes: readers on their own threads while a writer adds and purges batches") {
  NodeRoutes rows(2);
  sched::Pid fwd(3, 30);
  std::vector<std::string> batch;
  for (int i = 0; i < 64; ++i) {
    batch.push_back("dev/" + std::to_string(i));
  }
  batch.push_back("dev/#");
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  auto reader = [&](std::size_t index) {
    while (!done.load()) {
      std::size_t n = 0;
      rows.match(index, "dev/7", [&](const sched::Pid&, const SubInfo&) { ++n; });
      if (n != 0 && n != 2) {
        torn.fetch_add(1);
      }
    }
  };
  std::thread r0(reader, 0);
  std::thread r1(reader, 1);
  for (int round = 0; round < 200; ++round) {
    CHECK(rows.apply(true, fwd, batch) == batch.size());
    CHECK(rows.purge(fwd) == batch.size());
  }
  done.store(true);
  r0.join();
  r1.join();
  CHECK(torn.load() == 0);
  CHECK(rows.size() == 0);
}

}  // namespace
}  // namespace actormq::core
