#include "core/lazy_map.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace actormq::core {

TEST_CASE("lazy_map: empty answers like an empty unordered_map and costs a pointer") {
  LazyMap<std::string, int> m;
  static_assert(sizeof(m) == sizeof(void*));
  CHECK(m.empty());
  CHECK(m.size() == 0);
  CHECK(m.begin() == m.end());
  CHECK(m.find("a") == m.end());
  CHECK_FALSE(m.contains("a"));
  CHECK(m.count("a") == 0);
  CHECK(m.erase("a") == 0);
  CHECK_THROWS_AS(m.at("a"), std::out_of_range);
  const auto& c = m;
  CHECK(c.begin() == c.end());
  CHECK(c.find("a") == c.end());
}

TEST_CASE("lazy_map: inserts, finds, erases, iterates, copies and clears") {
  LazyMap<std::string, int> m;
  CHECK(m.emplace("a", 1).second);
  CHECK_FALSE(m.emplace("a", 5).second);
  CHECK(m.try_emplace("b", 2).second);
  CHECK_FALSE(m.insert_or_assign("b", 3).second);
  m["c"] = 4;
  CHECK(m.size() == 3);
  CHECK(m.at("b") == 3);
  CHECK(m.find("c")->second == 4);
  int sum = 0;
  for (const auto& [k, v] : m) {
    sum += v;
  }
  CHECK(sum == 8);
  LazyMap<std::string, int> copy = m;
  m.erase(m.find("a"));
  CHECK_FALSE(m.contains("a"));
  CHECK(m.erase("c") == 1);
  CHECK(m.size() == 1);
  CHECK(copy.size() == 3);  // deep copy
  LazyMap<std::string, int> moved = std::move(copy);
  CHECK(moved.size() == 3);
  moved.clear();
  CHECK(moved.empty());
  CHECK(moved.find("a") == moved.end());
  moved["z"] = 1;
  CHECK(moved.contains("z"));
}

}  // namespace actormq::core
