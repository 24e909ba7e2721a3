#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/routing/route_table.hpp"
#include "core/routing/topic_trie.hpp"
#include "tests/core/reference_match.hpp"
#include "tests/core/small_stack.hpp"

using actormq::core::FilterTrie;
using actormq::core::RouteTable;

namespace {

struct SubOpts {
  int qos = 0;
  bool operator==(const SubOpts&) const = default;
};

using Table = RouteTable<std::uint64_t, SubOpts>;
using Hit = std::pair<std::string, std::uint64_t>;

std::vector<Hit> hits(const Table& table, std::string_view topic) {
  std::vector<Hit> out;
  table.match(topic, [&](std::string_view filter, std::uint64_t key, const SubOpts&) {
    out.emplace_back(std::string(filter), key);
  });
  std::sort(out.begin(), out.end());
  return out;
}

using actormq::core::testing::reference_match;
using actormq::core::testing::split_levels;

bool table_matches(std::string_view filter, std::string_view topic) {
  Table t;
  t.insert(filter, 1, {});
  return !hits(t, topic).empty();
}

}  // namespace

TEST_CASE("topic_trie: level splitting keeps empty levels") {
  CHECK(split_levels("a//b").size() == 3);
  std::vector<std::string> levels;
  for (std::size_t pos = 0; pos != actormq::core::no_more_levels;) {
    auto [level, next] = actormq::core::next_level("/a/", pos);
    levels.emplace_back(level);
    pos = next;
  }
  CHECK(levels == std::vector<std::string>{"", "a", ""});
  CHECK(actormq::core::has_wildcard("a/+/b"));
  CHECK(actormq::core::has_wildcard("#"));
  CHECK_FALSE(actormq::core::has_wildcard("a/b"));
}

TEST_CASE("topic_trie: the examples of the rules") {
  struct Case {
    const char* filter;
    const char* topic;
    bool match;
  };
  const Case cases[] = {
      {"sport/+", "sport/tennis", true},
      {"sport/+", "sport/", true},
      {"sport/+", "sport", false},
      {"sport/+", "sport/tennis/player1", false},
      {"+/+", "/finance", true},
      {"+/+", "a/b", true},
      {"+/+", "a", false},
      {"+/+", "a/b/c", false},
      {"/+", "/finance", true},
      {"/+", "finance", false},
      {"+", "finance", true},
      {"+", "/finance", false},
      {"sport/#", "sport", true},
      {"sport/#", "sport/", true},
      {"sport/#", "sport/tennis/player1", true},
      {"sport/#", "sports", false},
      {"sport/#", "sportx/tennis", false},
      {"sport/tennis/#", "sport/tennis", true},
      {"sport/tennis/#", "sport", false},
      {"#", "a/b/c", true},
      {"#", "/", true},
      {"#", "$SYS/monitor/Clients", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS", true},
      {"$SYS/#", "$SYS/broker/uptime", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"a/+", "a/$b", true},
      {"a/#", "a/$b/c", true},
      {"Sport/#", "sport", false},
      {"a/b", "a/b", true},
      {"a/b", "a/b/", false},
      {"a//b", "a//b", true},
      {"a/+/b", "a//b", true},
      {"+/+/+", "a//b", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.filter);
    CAPTURE(c.topic);
    CHECK(table_matches(c.filter, c.topic) == c.match);
    CHECK(reference_match(c.filter, c.topic) == c.match);
  }
}

TEST_CASE("topic_trie: exact filters stay out of the trie") {
  Table t;
  CHECK(t.insert("a/b/c", 1, {}));
  CHECK(t.insert("$SYS/broker/uptime", 1, {}));
  CHECK(t.trie_node_count() == 0);
  CHECK(t.exact_filter_count() == 2);
  CHECK(t.wildcard_filter_count() == 0);
  CHECK(hits(t, "a/b/c") == std::vector<Hit>{{"a/b/c", 1}});
  CHECK(hits(t, "$SYS/broker/uptime") == std::vector<Hit>{{"$SYS/broker/uptime", 1}});
  CHECK(hits(t, "a/b").empty());
}

TEST_CASE("topic_trie: node count grows per distinct prefix and prunes on removal") {
  Table t;
  CHECK(t.insert("a/+/c", 1, {}));
  CHECK(t.trie_node_count() == 3);  // a, +, c
  CHECK(t.insert("a/+/d", 1, {}));
  CHECK(t.trie_node_count() == 4);  // shares a, +
  CHECK(t.insert("a/#", 1, {}));
  CHECK(t.trie_node_count() == 5);
  CHECK(t.insert("+/x", 2, {}));
  CHECK(t.trie_node_count() == 7);
  CHECK(t.insert("#", 3, {}));
  CHECK(t.trie_node_count() == 8);
  CHECK(t.wildcard_filter_count() == 5);

  CHECK(t.erase("a/+/c", 1));
  CHECK(t.trie_node_count() == 7);  // only c goes
  CHECK(t.erase("a/+/d", 1));
  CHECK(t.trie_node_count() == 5);  // d and the now empty + go; a stays for a/#
  CHECK_FALSE(t.erase("a/+/d", 1));
  CHECK(t.erase("a/#", 1));
  CHECK(t.trie_node_count() == 3);
  CHECK(t.erase("#", 3));
  CHECK(t.erase("+/x", 2));
  CHECK(t.trie_node_count() == 0);
  CHECK(t.empty());
  CHECK(t.filter_count() == 0);
}

TEST_CASE("topic_trie: a prefix filter keeps its node when a longer one goes") {
  Table t;
  t.insert("a/+", 1, {});
  t.insert("a/+/b/#", 1, {});
  CHECK(t.trie_node_count() == 4);
  CHECK(t.erase("a/+/b/#", 1));
  CHECK(t.trie_node_count() == 2);
  CHECK(hits(t, "a/x") == std::vector<Hit>{{"a/+", 1}});
  CHECK(t.erase("a/+", 1));
  CHECK(t.trie_node_count() == 0);
}

TEST_CASE("topic_trie: erasing an absent route changes nothing") {
  Table t;
  t.insert("a/+", 1, {});
  CHECK_FALSE(t.erase("a/+", 2));
  CHECK_FALSE(t.erase("a/+/c", 1));
  CHECK_FALSE(t.erase("a", 1));
  CHECK_FALSE(t.erase("+", 1));
  CHECK(t.trie_node_count() == 2);
  CHECK(t.route_count() == 1);
}

TEST_CASE("topic_trie: erase_key takes every route of one key, exact and wildcard, and prunes what it empties") {
  Table t;
  constexpr std::uint64_t n = 40;  // one filter past the route set's index threshold
  for (std::uint64_t k = 1; k <= n; ++k) {
    t.insert("many/+", k, SubOpts{1});
  }
  t.insert("a/b", 7, SubOpts{2});
  t.insert("a/b", 100, {});
  t.insert("a/+/c", 7, SubOpts{2});
  t.insert("x/y/z/#", 7, SubOpts{2});
  t.insert("only/7", 7, SubOpts{2});
  const std::size_t nodes_before_7 = t.trie_node_count();
  std::vector<int> values;
  CHECK(t.erase_key(7, [&](const SubOpts& v) { values.push_back(v.qos); }) == 5);
  std::sort(values.begin(), values.end());
  CHECK(values == std::vector<int>{1, 2, 2, 2, 2});  // each route's value, once
  CHECK(t.route_count() == n - 1 + 1);
  CHECK(t.find("a/b", 100) != nullptr);
  CHECK(t.routes("only/7") == nullptr);
  CHECK(t.routes("a/+/c") == nullptr);
  CHECK(t.routes("many/+")->size() == n - 1);
  CHECK(t.filter_count() == 2);
  CHECK(t.trie_node_count() == nodes_before_7 - 7);  // a/+/c and x/y/z/# pruned, many/+ kept
  CHECK(hits(t, "a/x/c").empty());
  CHECK(hits(t, "x/y/z").empty());
  CHECK(hits(t, "many/7").size() == n - 1);
  CHECK(t.erase_key(7, [](const SubOpts&) {}) == 0);
  CHECK(t.erase_key(100, [](const SubOpts&) {}) == 1);
  CHECK(t.routes("a/b") == nullptr);
}

TEST_CASE("topic_trie: $SYS topics and leading wildcards") {
  Table t;
  t.insert("#", 1, {});
  t.insert("+/broker/uptime", 2, {});
  t.insert("$SYS/#", 3, {});
  t.insert("$SYS/broker/+", 4, {});
  t.insert("$SYS/broker/uptime", 5, {});
  t.insert("+/+/+", 6, {});
  CHECK(hits(t, "$SYS/broker/uptime") ==
        std::vector<Hit>{{"$SYS/#", 3}, {"$SYS/broker/+", 4}, {"$SYS/broker/uptime", 5}});
  CHECK(hits(t, "$SYS") == std::vector<Hit>{{"$SYS/#", 3}});
  CHECK(hits(t, "x/broker/uptime") == std::vector<Hit>{{"#", 1}, {"+/+/+", 6}, {"+/broker/uptime", 2}});
  // '$' is special only at the start of the topic name.
  CHECK(hits(t, "a/$SYS/x") == std::vector<Hit>{{"#", 1}, {"+/+/+", 6}});
}

TEST_CASE("topic_trie: overlapping filters each match once") {
  Table t;
  t.insert("a/b/c", 1, {});
  t.insert("a/b/+", 1, {});
  t.insert("a/+/c", 1, {});
  t.insert("a/#", 1, {});
  t.insert("a/b/c/#", 1, {});
  t.insert("+/b/c", 1, {});
  t.insert("#", 1, {});
  t.insert("a/b", 1, {});
  auto h = hits(t, "a/b/c");
  CHECK(h == std::vector<Hit>{{"#", 1}, {"+/b/c", 1}, {"a/#", 1}, {"a/+/c", 1}, {"a/b/+", 1}, {"a/b/c", 1},
                              {"a/b/c/#", 1}});
}

TEST_CASE("topic_trie: many keys on one filter, removing one keeps the others") {
  Table t;
  constexpr std::uint64_t n = 100;  // well past the route set's index threshold
  for (std::uint64_t k = 1; k <= n; ++k) {
    CHECK(t.insert("fleet/+/cmd", k, SubOpts{static_cast<int>(k % 3)}));
    CHECK(t.insert("fleet/7/cmd", k, {}));
  }
  CHECK(t.route_count() == 2 * n);
  CHECK(t.filter_count() == 2);
  CHECK(t.routes("fleet/+/cmd")->indexed());
  // Re-inserting replaces the value and adds nothing.
  CHECK_FALSE(t.insert("fleet/+/cmd", 5, SubOpts{2}));
  CHECK(t.find("fleet/+/cmd", 5)->qos == 2);
  CHECK(t.route_count() == 2 * n);

  for (std::uint64_t k = 1; k <= n; k += 2) {
    CHECK(t.erase("fleet/+/cmd", k));
  }
  CHECK_FALSE(t.erase("fleet/+/cmd", 1));
  CHECK(t.route_count() == 2 * n - n / 2);
  std::set<std::uint64_t> keys;
  t.match("fleet/3/cmd", [&](std::string_view filter, std::uint64_t key, const SubOpts& opts) {
    CHECK(filter == "fleet/+/cmd");
    CHECK(opts.qos == static_cast<int>(key % 3));
    CHECK(keys.insert(key).second);
  });
  CHECK(keys.size() == n / 2);
  for (std::uint64_t k = 2; k <= n; k += 2) {
    CHECK(keys.count(k) == 1);
    CHECK(t.find("fleet/+/cmd", k) != nullptr);
  }
  // Dropping below the threshold goes back to the linear route set, still correct.
  for (std::uint64_t k = 2; k <= n - 10; k += 2) {
    CHECK(t.erase("fleet/+/cmd", k));
  }
  CHECK_FALSE(t.routes("fleet/+/cmd")->indexed());
  CHECK(t.routes("fleet/+/cmd")->size() == 5);
  CHECK(t.find("fleet/+/cmd", n) != nullptr);
  CHECK(t.find("fleet/+/cmd", n - 10) == nullptr);
  CHECK(hits(t, "fleet/7/cmd").size() == 5 + n);
}

TEST_CASE("topic_trie: wide levels move children to a hash map and back out") {
  Table t;
  for (int i = 0; i < 100; ++i) {
    t.insert("dev/" + std::to_string(i) + "/+", 1, {});
  }
  CHECK(t.trie_node_count() == 1 + 100 * 2);
  for (int i = 0; i < 100; ++i) {
    CAPTURE(i);
    CHECK(hits(t, "dev/" + std::to_string(i) + "/x") == std::vector<Hit>{{"dev/" + std::to_string(i) + "/+", 1}});
  }
  for (int i = 0; i < 100; ++i) {
    CHECK(t.erase("dev/" + std::to_string(i) + "/+", 1));
  }
  CHECK(t.trie_node_count() == 0);
}

TEST_CASE("topic_trie: for_each visits every route") {
  Table t;
  t.insert("a", 1, {});
  t.insert("a/+", 2, {});
  t.insert("#", 3, {});
  t.insert("#", 4, {});
  std::vector<Hit> all;
  t.for_each([&](std::string_view f, std::uint64_t k, const SubOpts&) { all.emplace_back(std::string(f), k); });
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<Hit>{{"#", 3}, {"#", 4}, {"a", 1}, {"a/+", 2}});
  t.clear();
  CHECK(t.empty());
  CHECK(t.trie_node_count() == 0);
  CHECK(hits(t, "a").empty());
}

TEST_CASE("topic_trie: FilterTrie stores one payload per filter") {
  FilterTrie<int> trie;
  trie.emplace("a/+") = 7;
  CHECK(trie.emplace("a/+") == 7);
  CHECK(trie.size() == 1);
  CHECK(*trie.find("a/+") == 7);
  CHECK(trie.find("a") == nullptr);
  CHECK(trie.find("a/+/b") == nullptr);
  int seen = 0;
  trie.match("a/b", [&](const auto& terminal) {
    CHECK(terminal.filter == "a/+");
    seen += terminal.payload;
  });
  CHECK(seen == 7);
  CHECK(trie.erase("a/+"));
  CHECK_FALSE(trie.erase("a/+"));
  CHECK(trie.node_count() == 0);
}

TEST_CASE("topic_trie: randomized cross-check against the reference matcher") {
  std::mt19937 rng(20261122);
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

  Table table;
  std::set<Hit> model;
  for (int round = 0; round < 4000; ++round) {
    std::string filter = random_filter();
    std::uint64_t key = 1 + pick(5);
    if (pick(3) == 0) {
      CHECK(table.erase(filter, key) == (model.erase({filter, key}) == 1));
    } else {
      CHECK(table.insert(filter, key, {}) == model.insert({filter, key}).second);
    }
    CHECK(table.route_count() == model.size());
    if (round % 50 == 0) {
      for (int q = 0; q < 40; ++q) {
        std::string topic = random_topic();
        std::vector<Hit> expected;
        for (const auto& h : model) {
          if (reference_match(h.first, topic)) {
            expected.push_back(h);
          }
        }
        CAPTURE(topic);
        CHECK(hits(table, topic) == expected);
      }
    }
  }
  // Removing everything leaves an empty trie: pruning missed no node.
  for (const auto& [filter, key] : model) {
    CHECK(table.erase(filter, key));
  }
  CHECK(table.empty());
  CHECK(table.filter_count() == 0);
  CHECK(table.trie_node_count() == 0);
}

TEST_CASE("topic_trie: 100000 subscriptions sharing prefixes keep one node per distinct prefix") {
  Table t;
  constexpr int sites = 10;
  constexpr int devices = 10000;  // per site
  for (int s = 0; s < sites; ++s) {
    for (int d = 0; d < devices; ++d) {
      const std::uint64_t key = static_cast<std::uint64_t>(s) * devices + d;
      const std::string prefix = "fleet/s" + std::to_string(s) + "/d" + std::to_string(d);
      CHECK(t.insert(prefix + "/+/cmd", key, {}));
      CHECK(t.insert(prefix + "/status", key, {}));
    }
  }
  t.insert("fleet/#", 999999, {});
  CHECK(t.route_count() == 2 * sites * devices + 1);
  CHECK(t.exact_filter_count() == sites * devices);
  CHECK(t.wildcard_filter_count() == sites * devices + 1);
  // fleet, s0..s9, then per device: d, +, cmd; plus '#' under fleet.
  CHECK(t.trie_node_count() == 1 + sites + 3 * sites * devices + 1);

  CHECK(hits(t, "fleet/s3/d1234/reboot/cmd") ==
        std::vector<Hit>{{"fleet/#", 999999}, {"fleet/s3/d1234/+/cmd", 3 * devices + 1234}});
  CHECK(hits(t, "fleet/s3/d1234/status") ==
        std::vector<Hit>{{"fleet/#", 999999}, {"fleet/s3/d1234/status", 3 * devices + 1234}});
  CHECK(hits(t, "fleet/s3/d1234/reboot/cmd/x") == std::vector<Hit>{{"fleet/#", 999999}});

  // Removing one site's devices prunes exactly their nodes and the site node.
  for (int d = 0; d < devices; ++d) {
    const std::string prefix = "fleet/s7/d" + std::to_string(d);
    CHECK(t.erase(prefix + "/+/cmd", 7 * devices + d));
    CHECK(t.erase(prefix + "/status", 7 * devices + d));
  }
  CHECK(t.trie_node_count() == 1 + (sites - 1) + 3 * (sites - 1) * devices + 1);
  CHECK(hits(t, "fleet/s7/d1/x/cmd") == std::vector<Hit>{{"fleet/#", 999999}});
  CHECK(t.route_count() == 2 * (sites - 1) * devices + 1);
}

TEST_CASE("topic_trie: filters of 65536 levels are added, matched, erased and destroyed on a small stack") {
  // The trie itself takes any depth: max_topic_levels may be set to 65535.
  const std::string deep(65535, '/');  // 65536 empty levels
  const std::string plus = [] {
    std::string f = "+";
    for (int i = 1; i < 65536; ++i) {
      f += "/+";
    }
    return f;
  }();
  const std::string mid_hash = std::string(30000, '/') + "#";

  std::size_t nodes = 0;
  int matched_deep = 0;
  int matched_deeper = 0;
  int matched_short = 0;
  std::size_t listed = 0;
  std::vector<std::size_t> nodes_after;
  bool all_erased = true;
  std::size_t table_hits = 0;
  actormq::core::testing::run_on_small_stack([&] {
    FilterTrie<int> trie;
    trie.emplace(deep) = 1;
    trie.emplace(plus) = 2;
    trie.emplace(mid_hash) = 4;
    nodes = trie.node_count();
    trie.match(deep, [&](const auto& t) { matched_deep += t.payload; });
    trie.match(deep + "/x", [&](const auto& t) { matched_deeper += t.payload; });
    trie.match(std::string(30000, '/'), [&](const auto& t) { matched_short += t.payload; });
    trie.for_each([&](const auto&) { ++listed; });
    for (const std::string* f : {&deep, &plus, &mid_hash}) {
      all_erased = trie.erase(*f) && all_erased;
      nodes_after.push_back(trie.node_count());
    }
    trie.emplace(deep) = 1;
    trie.emplace(plus) = 2;
    trie.clear();
    trie.emplace(deep) = 1;
    trie.emplace(plus) = 2;

    // The route table over it, as the routers use it; both go with their filters.
    Table table;
    table.insert(plus, 1, {});
    table.insert(mid_hash, 2, {});
    table.match(deep, [&](std::string_view, std::uint64_t, const SubOpts&) { ++table_hits; });
    table.erase(plus, 1);
  });
  CHECK(nodes == 65536 + 65536 + 1);  // mid_hash shares its 30000 empty levels with deep
  CHECK(matched_deep == 1 + 2 + 4);
  CHECK(matched_deeper == 4);  // '#' only: one level more than the other two
  CHECK(matched_short == 4);   // '#' matches its parent level
  CHECK(listed == 3);
  CHECK(all_erased);
  CHECK(nodes_after == std::vector<std::size_t>{65536 + 30000 + 1, 30000 + 1, 0});
  CHECK(table_hits == 2);
}

TEST_CASE("route set: the index (in the vector's spare word, or a member for small entries) moves with the set") {
  auto fill = [](auto& set, int n) {
    for (int k = 1; k <= n; ++k) {
      set.insert_or_assign(static_cast<std::uint16_t>(k), static_cast<char>(k % 7));
    }
  };
  actormq::core::RouteSet<std::uint64_t, std::uint64_t> wide;      // 16-byte entries: the spare word
  actormq::core::RouteSet<std::uint16_t, char> narrow;             // 4-byte entries: a member
  static_assert(sizeof(wide) == 24);
  fill(wide, 40);
  fill(narrow, 40);
  CHECK(wide.indexed());
  CHECK(narrow.indexed());
  auto wide2 = std::move(wide);
  auto narrow2 = std::move(narrow);
  CHECK_FALSE(wide.indexed());    // NOLINT(bugprone-use-after-move): moved-from is empty
  CHECK_FALSE(narrow.indexed());  // NOLINT(bugprone-use-after-move)
  CHECK(wide2.indexed());
  CHECK(narrow2.indexed());
  REQUIRE(wide2.find(33) != nullptr);
  CHECK(*wide2.find(33) == 33 % 7);
  CHECK(*narrow2.find(33) == 33 % 7);
  actormq::core::RouteSet<std::uint64_t, std::uint64_t> other;
  fill(other, 20);
  other = std::move(wide2);  // the index other had is freed (ASan checks), wide2's taken
  CHECK(other.indexed());
  CHECK(other.size() == 40);
  for (std::uint64_t k = 1; k <= 35; ++k) {
    CHECK(other.erase(k));
  }
  CHECK_FALSE(other.indexed());  // below half the threshold
  CHECK(other.find(40) != nullptr);
  CHECK(other.find(3) == nullptr);
}
