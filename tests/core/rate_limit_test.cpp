#include <doctest/doctest.h>

#include "core/rate_limit.hpp"

using actormq::core::RateLimiter;
using actormq::core::RateLimits;

TEST_CASE("rate limit: a burst of one second's worth, then the rate") {
  RateLimits limits{10, 0};
  RateLimiter r;
  int admitted = 0;
  for (int i = 0; i < 20; ++i) {
    admitted += r.try_take(1000, 5, limits) ? 1 : 0;
  }
  CHECK(admitted == 10);
  CHECK_FALSE(r.try_take(1050, 5, limits));  // half a message refilled
  CHECK(r.try_take(1100, 5, limits));        // one more after 100 ms
  CHECK_FALSE(r.try_take(1100, 5, limits));
  // Idle time refills at most one second's worth.
  admitted = 0;
  for (int i = 0; i < 20; ++i) {
    admitted += r.try_take(60000, 5, limits) ? 1 : 0;
  }
  CHECK(admitted == 10);
}

TEST_CASE("rate limit: bytes per second, and messages larger than the bucket") {
  RateLimits limits{0, 1000};
  RateLimiter r;
  CHECK(r.try_take(0, 600, limits));
  CHECK_FALSE(r.try_take(0, 600, limits));
  CHECK(r.try_take(200, 600, limits));  // 400 left + 200 refilled
  CHECK_FALSE(r.try_take(5000, 1001, limits));
}

TEST_CASE("rate limit: take() goes into debt and says how long to wait") {
  RateLimits limits{2, 100};
  RateLimiter r;
  CHECK(r.take(0, 10, limits) == 0);
  CHECK(r.take(0, 10, limits) == 0);
  CHECK(r.take(0, 10, limits) == 500);   // one message in debt at 2/s
  CHECK(r.take(0, 200, limits) == 1300); // 130 bytes in debt at 100/s beat 2 messages at 2/s
}

TEST_CASE("rate limit: no limits admit everything") {
  RateLimits none{};
  RateLimiter r;
  CHECK_FALSE(none.any());
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(r.try_take(0, 1u << 20, none));
  }
  CHECK(r.take(0, 1u << 30, none) == 0);
}
