#include "core/small_map.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <stdexcept>
#include <string>

namespace actormq::core {

namespace {

// Every key hashes alike: the index's chains are all one, so its position
// bookkeeping is what finds the right entry.
struct SameHash {
  std::size_t operator()(const std::string&) const noexcept { return 7; }
};

// Built by appending: GCC 12 at -O3 warns (-Wrestrict) on "k" + to_string(i).
std::string key(const char* prefix, unsigned i) {
  std::string k(prefix);
  k.append(std::to_string(i));
  return k;
}

template <class M>
std::map<std::string, int> contents(const M& m) {
  std::map<std::string, int> out;
  for (const auto& [k, v] : m) {
    out.emplace(k, v);
  }
  return out;
}

}  // namespace

TEST_CASE("small_map: empty costs a pointer and answers like an empty map") {
  SmallMap<std::string, int> m;
  static_assert(sizeof(m) == sizeof(void*));
  CHECK(m.empty());
  CHECK(m.size() == 0);
  CHECK(m.begin() == m.end());
  CHECK(m.find("a") == m.end());
  CHECK_FALSE(m.contains("a"));
  CHECK(m.count("a") == 0);
  CHECK(m.erase("a") == 0);
  CHECK_THROWS_AS(m.at("a"), std::out_of_range);
}

TEST_CASE("small_map: inserts, replaces, finds, erases and frees its block with the last entry") {
  SmallMap<std::string, int> m;
  CHECK(m.emplace(std::string("a"), 1).second);
  CHECK_FALSE(m.emplace(std::string("a"), 5).second);
  CHECK(m.at("a") == 1);
  auto [it, added] = m.insert_or_assign(std::string("b"), 2);
  CHECK(added);
  CHECK(it->first == "b");
  CHECK(it->second == 2);
  auto [again, added_again] = m.insert_or_assign(std::string("b"), 3);
  CHECK_FALSE(added_again);
  CHECK(again->second == 3);
  CHECK(m.size() == 2);
  CHECK(contents(m) == std::map<std::string, int>{{"a", 1}, {"b", 3}});
  CHECK(m.erase("a") == 1);
  CHECK(m.find("a") == m.end());
  CHECK(m.find("b")->second == 3);
  auto next = m.erase(m.find("b"));
  CHECK(next == m.end());
  CHECK(m.empty());
  CHECK(m.begin() == nullptr);  // nothing held
}

TEST_CASE("small_map: it = erase(it) visits every entry once") {
  SmallMap<std::string, int> m;
  for (int i = 0; i < 40; ++i) {
    m.insert_or_assign(std::to_string(i), i);
  }
  int seen = 0;
  for (auto it = m.begin(); it != m.end();) {
    ++seen;
    it = it->second % 3 == 0 ? m.erase(it) : it + 1;
  }
  CHECK(seen == 40);
  CHECK(m.size() == 26);
  for (const auto& [k, v] : m) {
    CHECK(v % 3 != 0);
    CHECK(m.find(k)->second == v);
  }
}

TEST_CASE("small_map: copies, moves and clears, with and without an index") {
  for (int n : {3, 30}) {
    CAPTURE(n);
    SmallMap<std::string, int> m;
    for (int i = 0; i < n; ++i) {
      m.insert_or_assign(key("k", static_cast<unsigned>(i)), i);
    }
    CHECK(m.indexed() == (n > 16));
    SmallMap<std::string, int> copy(m);
    CHECK(contents(copy) == contents(m));
    CHECK(copy.indexed() == m.indexed());
    copy.insert_or_assign(std::string("extra"), -1);
    CHECK_FALSE(m.contains("extra"));
    SmallMap<std::string, int> assigned;
    assigned.insert_or_assign(std::string("gone"), 9);
    assigned = copy;
    CHECK_FALSE(assigned.contains("gone"));
    CHECK(assigned.find("extra")->second == -1);
    SmallMap<std::string, int> moved(std::move(assigned));
    CHECK(assigned.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    CHECK(moved.size() == static_cast<std::size_t>(n) + 1);
    moved = std::move(copy);
    CHECK(moved.find("k0")->second == 0);
    moved.clear();
    CHECK(moved.empty());
    CHECK(moved.find("k0") == moved.end());
  }
}

TEST_CASE("small_map: random inserts and erases agree with std::map across the index's threshold") {
  SmallMap<std::string, int, SameHash> colliding;
  SmallMap<std::string, int> hashed;
  std::map<std::string, int> reference;
  std::mt19937 rng(42);
  bool was_indexed = false;
  bool dropped_index = false;
  for (int step = 0; step < 20000; ++step) {
    // The live count rises past the threshold and falls below its half,
    // again and again: phases of mostly adding, then mostly erasing.
    const std::string k = key("t/", rng() % 40);
    const bool growing = (step / 1000) % 2 == 0;
    const bool add = growing ? rng() % 5 != 0 : rng() % 5 == 0;
    if (add) {
      const int v = static_cast<int>(rng() % 1000);
      colliding.insert_or_assign(k, v);
      hashed.insert_or_assign(k, v);
      reference[k] = v;
    } else {
      const std::size_t expected = reference.erase(k);
      REQUIRE(colliding.erase(k) == expected);
      REQUIRE(hashed.erase(k) == expected);
    }
    REQUIRE(colliding.size() == reference.size());
    REQUIRE(hashed.size() == reference.size());
    if (colliding.indexed()) {
      was_indexed = true;
    } else if (was_indexed) {
      dropped_index = true;
    }
    if (step % 97 == 0) {
      REQUIRE(contents(colliding) == reference);
      REQUIRE(contents(hashed) == reference);
      for (const auto& [present, v] : reference) {
        REQUIRE(colliding.find(present) != colliding.end());
        REQUIRE(colliding.find(present)->second == v);
        REQUIRE(hashed.at(present) == v);
      }
      REQUIRE_FALSE(colliding.contains("t/absent"));
    }
  }
  CHECK(was_indexed);
  CHECK(dropped_index);
}

}  // namespace actormq::core
