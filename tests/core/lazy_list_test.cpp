#include "core/lazy_list.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace actormq::core {

namespace {
std::vector<std::string> items(const LazyList<std::string>& l) { return {l.begin(), l.end()}; }
}  // namespace

TEST_CASE("lazy_list: empty costs a pointer and iterates nothing") {
  LazyList<std::string> l;
  static_assert(sizeof(l) == sizeof(void*));
  CHECK(l.empty());
  CHECK(l.size() == 0);
  CHECK(l.begin() == l.end());
  const auto& c = l;
  CHECK(c.begin() == c.end());
}

TEST_CASE("lazy_list: a queue drains to nothing, erases while iterating, appends in order") {
  LazyList<std::string> q;
  q.push_back("a");
  q.push_back("b");
  q.push_back("c");
  CHECK(q.size() == 3);
  CHECK(q.front() == "a");
  CHECK(q.back() == "c");
  for (auto it = q.begin(); it != q.end();) {
    it = *it == "b" ? q.erase(it) : std::next(it);
  }
  CHECK(items(q) == std::vector<std::string>{"a", "c"});
  q.pop_front();
  q.pop_front();
  CHECK(q.empty());
  CHECK(q.begin() == q.end());

  LazyList<std::string> early;
  early.push_back("x");
  q.append(std::move(early));  // into an empty list
  CHECK(items(q) == std::vector<std::string>{"x"});
  LazyList<std::string> more;
  more.push_back("y");
  more.push_back("z");
  q.append(std::move(more));
  q.append(LazyList<std::string>{});
  CHECK(items(q) == std::vector<std::string>{"x", "y", "z"});
  LazyList<std::string> moved = std::move(q);
  CHECK(moved.size() == 3);
}

}  // namespace actormq::core
