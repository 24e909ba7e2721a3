#include "core/small_vector.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace actormq::core {

TEST_CASE("small_vector: one element stays inside, the second goes to the heap, one left comes back") {
  SmallVector<std::pair<std::uint64_t, std::uint64_t>> v;
  static_assert(sizeof(v) == 24);  // as small as std::vector, with room for the one element
  CHECK(v.empty());
  CHECK(v.begin() == v.end());
  v.emplace_back(1u, 10u);
  CHECK_FALSE(v.on_heap());
  CHECK(v.size() == 1);
  CHECK(v[0].second == 10);
  v.emplace_back(2u, 20u);
  v.emplace_back(3u, 30u);
  CHECK(v.on_heap());
  CHECK(v.size() == 3);
  CHECK(v.back().first == 3);
  v.pop_back();
  CHECK(v.on_heap());
  v.pop_back();
  CHECK_FALSE(v.on_heap());  // one left: inside again, the heap block freed
  REQUIRE(v.size() == 1);
  CHECK(v[0].first == 1);
  v.pop_back();
  CHECK(v.empty());
}

TEST_CASE("small_vector: owning elements are moved, copied and destroyed once (ASan checks the frees)") {
  auto counted = std::make_shared<int>(7);
  {
    SmallVector<std::shared_ptr<int>> v;
    v.push_back(counted);
    SmallVector<std::shared_ptr<int>> moved(std::move(v));
    CHECK(v.empty());  // NOLINT(bugprone-use-after-move): a moved-from vector is empty
    CHECK(counted.use_count() == 2);
    for (int i = 0; i < 5; ++i) {
      moved.push_back(counted);
    }
    CHECK(counted.use_count() == 7);
    SmallVector<std::shared_ptr<int>> copy(moved);
    CHECK(counted.use_count() == 13);
    copy = SmallVector<std::shared_ptr<int>>{};
    CHECK(counted.use_count() == 7);
    moved.emplace_back(moved[0]);  // an argument that is one of its own elements, as it grows
    CHECK(counted.use_count() == 8);
    CHECK(*moved.back() == 7);
  }
  CHECK(counted.use_count() == 1);
}

TEST_CASE("small_vector: erase_if keeps the others in order, from inside and from the heap") {
  SmallVector<std::string> v;
  for (std::string s : {"a", "bb", "c", "dd", "e"}) {
    v.push_back(s);
  }
  CHECK(v.erase_if([](const std::string& s) { return s.size() == 2; }) == 2);
  CHECK(std::vector<std::string>(v.begin(), v.end()) == std::vector<std::string>{"a", "c", "e"});
  CHECK(v.erase_if([](const std::string& s) { return s != "c"; }) == 2);
  CHECK_FALSE(v.on_heap());
  REQUIRE(v.size() == 1);
  CHECK(v[0] == "c");
  CHECK(v.erase_if([](const std::string&) { return true; }) == 1);
  CHECK(v.empty());
  v.push_back("again");
  CHECK(v[0] == "again");
}

}  // namespace actormq::core

namespace actormq::core {

TEST_CASE("small_vector: the spare word beside the heap pointer is null at first, then kept through growth and moves") {
  static_assert(SmallVector<std::pair<std::uint64_t, std::uint64_t>>::has_spare);
  static_assert(!SmallVector<std::uint64_t>::has_spare);  // one pointer of room: no word to spare
  SmallVector<std::pair<std::uint64_t, std::uint64_t>> v;
  v.emplace_back(1u, 1u);  // inside: the element fills the room
  v.emplace_back(2u, 2u);
  REQUIRE(v.on_heap());
  CHECK(v.spare() == nullptr);
  int mark = 0;
  v.set_spare(&mark);
  for (std::uint64_t i = 3; i <= 40; ++i) {
    v.emplace_back(i, i);  // the elements move to bigger blocks
  }
  CHECK(v.spare() == &mark);
  SmallVector<std::pair<std::uint64_t, std::uint64_t>> moved(std::move(v));
  CHECK(moved.spare() == &mark);
  CHECK(moved.size() == 40);
  CHECK(moved[39].first == 40);
  CHECK_FALSE(v.on_heap());  // NOLINT(bugprone-use-after-move): moved-from is empty, inside
}

}  // namespace actormq::core
