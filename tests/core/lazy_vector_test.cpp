#include "core/lazy_vector.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

namespace actormq::core {

TEST_CASE("lazy_vector: empty costs a pointer and iterates nothing") {
  LazyVector<std::uint16_t> v;
  static_assert(sizeof(v) == sizeof(void*));
  CHECK(v.empty());
  CHECK(v.size() == 0);
  CHECK(v.begin() == v.end());
  CHECK(std::find(v.begin(), v.end(), 3) == v.end());
  CHECK(v == LazyVector<std::uint16_t>{});
}

TEST_CASE("lazy_vector: pushes, finds, erases back to empty, copies and compares") {
  LazyVector<std::uint16_t> v;
  v.push_back(4);
  v.push_back(9);
  v.push_back(7);
  CHECK(v.size() == 3);
  auto it = std::find(v.begin(), v.end(), 9);
  REQUIRE(it != v.end());
  it = v.erase(it);
  REQUIRE(it != v.end());
  CHECK(*it == 7);
  LazyVector<std::uint16_t> copy = v;
  CHECK(copy == v);
  CHECK(copy == LazyVector<std::uint16_t>{4, 7});
  CHECK_FALSE(copy == LazyVector<std::uint16_t>{7, 4});
  v.erase(v.begin());
  auto after = v.erase(v.begin());
  CHECK(after == v.end());
  CHECK(v.empty());
  CHECK(v.begin() == v.end());
  CHECK(copy.size() == 2);  // a deep copy
  copy = {};
  CHECK(copy.empty());
}

}  // namespace actormq::core
