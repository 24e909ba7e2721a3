#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/routing/retained_index.hpp"
#include "tests/core/reference_match.hpp"
#include "tests/core/small_stack.hpp"

using actormq::core::RetainedIndex;

namespace {

using Index = RetainedIndex<std::string>;

std::vector<std::string> topics(const Index& index, std::string_view filter) {
  std::vector<std::string> out;
  index.match(filter, [&](std::string_view topic, const std::string& value) {
    CHECK(value == "v:" + std::string(topic));
    out.emplace_back(topic);
  });
  std::sort(out.begin(), out.end());
  return out;
}

using actormq::core::testing::reference_match;
using actormq::core::testing::split_levels;

void put(Index& index, const std::string& topic) { index.set(topic, "v:" + topic); }

}  // namespace

TEST_CASE("retained_index: set replaces, find is exact, erase prunes") {
  Index index;
  CHECK(index.set("a/b/c", "v:a/b/c"));
  CHECK(index.node_count() == 3);
  CHECK_FALSE(index.set("a/b/c", "second"));
  CHECK(*index.find("a/b/c") == "second");
  CHECK(index.size() == 1);
  CHECK(index.find("a/b") == nullptr);
  CHECK(index.find("a/b/c/d") == nullptr);
  CHECK(index.find("a/b/") == nullptr);

  put(index, "a/b");
  CHECK(index.node_count() == 3);  // a/b reuses its node
  put(index, "a/x/y");
  CHECK(index.node_count() == 5);
  CHECK(index.size() == 3);

  CHECK(index.erase("a/b/c"));
  CHECK_FALSE(index.erase("a/b/c"));
  CHECK(index.node_count() == 4);  // c pruned; b still holds an entry
  CHECK(index.erase("a/b"));
  CHECK(index.node_count() == 3);
  CHECK_FALSE(index.erase("a"));  // an interior node without an entry
  CHECK(index.node_count() == 3);
  CHECK(index.erase("a/x/y"));
  CHECK(index.node_count() == 0);
  CHECK(index.empty());
}

TEST_CASE("retained_index: wildcard filters find the stored topics") {
  Index index;
  for (const char* t : {"sport", "sport/", "sport/tennis", "sport/tennis/player1", "sports", "/finance", "finance",
                        "a//b", "$SYS/broker/uptime", "$SYS", "a/$b"}) {
    put(index, t);
  }
  using V = std::vector<std::string>;
  CHECK(topics(index, "sport/#") == V{"sport", "sport/", "sport/tennis", "sport/tennis/player1"});
  CHECK(topics(index, "sport/+") == V{"sport/", "sport/tennis"});
  CHECK(topics(index, "sport/tennis/#") == V{"sport/tennis", "sport/tennis/player1"});
  CHECK(topics(index, "+") == V{"finance", "sport", "sports"});
  CHECK(topics(index, "+/+") == V{"/finance", "a/$b", "sport/", "sport/tennis"});
  CHECK(topics(index, "/+") == V{"/finance"});
  CHECK(topics(index, "a/+/b") == V{"a//b"});
  CHECK(topics(index, "#") == V{"/finance", "a/$b", "a//b", "finance", "sport", "sport/", "sport/tennis",
                                 "sport/tennis/player1", "sports"});
  CHECK(topics(index, "$SYS/#") == V{"$SYS", "$SYS/broker/uptime"});
  CHECK(topics(index, "+/broker/uptime").empty());
  CHECK(topics(index, "$SYS/+/uptime") == V{"$SYS/broker/uptime"});
  CHECK(topics(index, "sport") == V{"sport"});
  CHECK(topics(index, "nothing/#").empty());
}

TEST_CASE("retained_index: for_each visits every topic, clear empties") {
  Index index;
  put(index, "$SYS/x");
  put(index, "a");
  put(index, "a/b");
  std::vector<std::string> all;
  index.for_each([&](std::string_view topic, const std::string&) { all.emplace_back(topic); });
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::string>{"$SYS/x", "a", "a/b"});
  index.clear();
  CHECK(index.empty());
  CHECK(index.node_count() == 0);
  CHECK(topics(index, "#").empty());
}

TEST_CASE("retained_index: randomized cross-check against the reference matcher") {
  std::mt19937 rng(1122);
  const std::vector<std::string> words = {"a", "b", "c", "", "$SYS", "$x", "dev"};
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
  auto random_topic = [&] {
    std::string s;
    std::size_t levels = 1 + pick(4);
    for (std::size_t i = 0; i < levels; ++i) {
      s += (i ? "/" : "") + words[pick(words.size())];
    }
    return s;
  };
  auto random_filter = [&] {
    std::string s;
    std::size_t levels = 1 + pick(4);
    for (std::size_t i = 0; i < levels; ++i) {
      const auto r = pick(10);
      const std::string level = r < 3 ? std::string("+") : r == 3 ? std::string("#") : words[pick(words.size())];
      s += (i ? "/" : "") + level;
      if (level == "#") {
        break;
      }
    }
    return s;
  };

  Index index;
  std::map<std::string, std::string> model;
  for (int round = 0; round < 3000; ++round) {
    std::string topic = random_topic();
    if (pick(3) == 0) {
      CHECK(index.erase(topic) == (model.erase(topic) == 1));
    } else {
      CHECK(index.set(topic, "v:" + topic) == model.emplace(topic, "v:" + topic).second);
    }
    CHECK(index.size() == model.size());
    if (round % 50 == 0) {
      for (int q = 0; q < 40; ++q) {
        std::string filter = random_filter();
        std::vector<std::string> expected;
        for (const auto& [t, v] : model) {
          if (reference_match(filter, t)) {
            expected.push_back(t);
          }
        }
        CAPTURE(filter);
        CHECK(topics(index, filter) == expected);
      }
    }
  }
  for (const auto& [topic, value] : model) {
    CHECK(index.erase(topic));
  }
  CHECK(index.empty());
  CHECK(index.node_count() == 0);
}

TEST_CASE("retained_index: 100000 retained topics served to '#' and '+' subscribers") {
  RetainedIndex<int> index;
  int n = 0;
  for (int site = 0; site < 100; ++site) {
    for (int dev = 0; dev < 1000; ++dev) {
      index.set("site" + std::to_string(site) + "/dev" + std::to_string(dev) + "/state", n++);
    }
  }
  index.set("$SYS/broker/uptime", -1);
  CHECK(index.size() == 100001);
  CHECK(index.node_count() == 100 + 100 * 1000 * 2 + 3);

  const auto start = std::chrono::steady_clock::now();
  std::size_t seen = 0;
  long long sum = 0;
  index.match("#", [&](std::string_view, int v) {
    ++seen;
    sum += v;
  });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(seen == 100000);
  CHECK(sum == 100000LL * 99999 / 2);
  MESSAGE("'#' over 100000 retained topics: "
          << std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count() << " us");

  seen = 0;
  index.match("site42/+/state", [&](std::string_view topic, int) {
    CHECK(topic.substr(0, 7) == "site42/");
    ++seen;
  });
  CHECK(seen == 1000);
  seen = 0;
  index.match("+/dev7/#", [&](std::string_view, int) { ++seen; });
  CHECK(seen == 100);
}

TEST_CASE("retained_index: shared_ptr values (null means absent): set, replace, match, erase, re-set") {
  RetainedIndex<std::shared_ptr<const int>> index;
  CHECK(index.set("s/1", std::make_shared<const int>(1)));
  CHECK(index.set("s/1/x", std::make_shared<const int>(2)));
  CHECK_FALSE(index.set("s/1", std::make_shared<const int>(3)));
  CHECK(index.size() == 2);
  REQUIRE(index.find("s/1") != nullptr);
  CHECK(**index.find("s/1") == 3);
  CHECK(index.find("s") == nullptr);  // interior node: no value
  std::map<std::string, int> seen;
  index.match("s/#", [&](std::string_view topic, const std::shared_ptr<const int>& v) { seen[std::string(topic)] = *v; });
  CHECK(seen == std::map<std::string, int>{{"s/1", 3}, {"s/1/x", 2}});
  CHECK(index.erase("s/1"));
  CHECK(index.find("s/1") == nullptr);
  CHECK(index.node_count() == 3);  // s/1 stays for s/1/x
  CHECK(index.set("s/1", std::make_shared<const int>(4)));
  CHECK(index.erase("s/1/x"));
  CHECK(index.erase("s/1"));
  CHECK(index.empty());
  CHECK(index.node_count() == 0);
}

TEST_CASE("retained_index: a topic of 65536 levels is set, matched, erased and destroyed on a small stack") {
  // No level limit stands before the index: the store may hold what an older
  // limit let in. 65535 bytes of '/' are the deepest topic name there is.
  const std::string deep(65535, '/');
  std::string named;  // 30000 named levels: the rebuilt topic names must be exact
  for (int i = 0; i < 30000; ++i) {
    if (i != 0) {
      named += '/';
    }
    named += static_cast<char>('0' + i % 10);
  }
  std::string plus_filter = "+";
  for (int i = 1; i < 65536; ++i) {
    plus_filter += "/+";
  }
  const std::string mid_hash = std::string(20000, '/') + "#";

  std::size_t nodes = 0;
  std::vector<std::string> all;
  std::vector<std::string> exact;
  std::vector<std::string> by_plus;
  std::vector<std::string> by_mid_hash;
  std::vector<std::string> by_named;
  std::size_t listed = 0;
  bool values_right = true;
  bool erased = false;
  bool erased_twice = false;
  std::size_t nodes_after_erase = 0;
  std::size_t size_after_erase = 0;
  actormq::core::testing::run_on_small_stack([&] {
    Index index;
    put(index, deep);
    put(index, named);
    put(index, "x");
    nodes = index.node_count();
    auto matched = [&](std::string_view filter) {
      std::vector<std::string> out;
      index.match(filter, [&](std::string_view topic, const std::string& value) {
        values_right = values_right && value == "v:" + std::string(topic);
        out.emplace_back(topic);
      });
      std::sort(out.begin(), out.end());
      return out;
    };
    all = matched("#");
    exact = matched(deep);
    by_plus = matched(plus_filter);
    by_mid_hash = matched(mid_hash);
    by_named = matched(named);
    index.for_each([&](std::string_view, const std::string&) { ++listed; });
    erased = index.erase(deep);
    erased_twice = index.erase(deep);
    nodes_after_erase = index.node_count();
    size_after_erase = index.size();
    put(index, deep);
    index.clear();
    put(index, deep);
    put(index, named);
    // ...and the index goes with both deep topics in it.
  });
  CHECK(nodes == 65536 + 30000 + 1);
  std::vector<std::string> every{deep, named, "x"};
  std::sort(every.begin(), every.end());
  CHECK(all == every);
  CHECK(exact == std::vector<std::string>{deep});
  CHECK(by_plus == std::vector<std::string>{deep});
  CHECK(by_mid_hash == std::vector<std::string>{deep});
  CHECK(by_named == std::vector<std::string>{named});
  CHECK(listed == 3);
  CHECK(values_right);
  CHECK(erased);
  CHECK_FALSE(erased_twice);
  CHECK(nodes_after_erase == 30000 + 1);
  CHECK(size_after_erase == 2);
}
