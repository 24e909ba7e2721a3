#include "sched/pid_set.hpp"

#include <doctest/doctest.h>

#include <random>
#include <set>

namespace actormq::sched {

TEST_CASE("pid_set: insert, contains, erase, for_each") {
  PidSet s;
  CHECK(s.empty());
  CHECK_FALSE(s.contains(Pid{0, 1}));
  CHECK_FALSE(s.erase(Pid{0, 1}));
  CHECK(s.insert(Pid{0, 1}));
  CHECK_FALSE(s.insert(Pid{0, 1}));
  CHECK(s.insert(Pid{3, 7}));
  CHECK(s.size() == 2);
  CHECK(s.contains(Pid{3, 7}));
  CHECK_FALSE(s.contains(Pid{}));
  CHECK(s.erase(Pid{0, 1}));
  CHECK_FALSE(s.contains(Pid{0, 1}));
  int n = 0;
  s.for_each([&](Pid p) {
    CHECK(p == Pid{3, 7});
    ++n;
  });
  CHECK(n == 1);
}

TEST_CASE("pid_set: random operations match std::set, through growth and backward shifts") {
  PidSet s;
  std::set<Pid> ref;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    Pid p{static_cast<std::uint16_t>(rng() % 2), 1 + rng() % 5000};  // collisions on purpose
    switch (rng() % 3) {
      case 0:
      case 1:
        CHECK(s.insert(p) == ref.insert(p).second);
        break;
      default:
        CHECK(s.erase(p) == (ref.erase(p) == 1));
    }
    if (i % 1000 == 0) {
      REQUIRE(s.size() == ref.size());
      for (Pid q : ref) {
        REQUIRE(s.contains(q));
      }
    }
  }
  std::size_t seen = 0;
  s.for_each([&](Pid p) {
    CHECK(ref.count(p) == 1);
    ++seen;
  });
  CHECK(seen == ref.size());
}

}  // namespace actormq::sched
