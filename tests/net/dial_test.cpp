// net/dial.cpp: literals need no resolver, names resolve on the loop's thread pool.
#include "net/dial.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <uv.h>

#include <string>

using namespace actormq::net;

TEST_CASE("dial: IPv4 and IPv6 literals are addresses at once, names are not") {
  auto v4 = numeric_address("127.0.0.1", 4370);
  REQUIRE(v4);
  CHECK(v4->addr.ss_family == AF_INET);
  CHECK(ntohs(reinterpret_cast<const sockaddr_in*>(&v4->addr)->sin_port) == 4370);
  auto v6 = numeric_address("::1", 1);
  REQUIRE(v6);
  CHECK(v6->addr.ss_family == AF_INET6);
  CHECK_FALSE(numeric_address("localhost", 1));
  CHECK_FALSE(numeric_address("", 1));
  CHECK_FALSE(numeric_address("300.1.1.1", 1));
}

TEST_CASE("dial: a name resolves on the loop, the answer on the loop's thread") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  bool answered = false;
  std::optional<DialAddress> got;
  resolve_async(&loop, "localhost", 1883, [&](std::optional<DialAddress> a, const std::string& error) {
    answered = true;
    got = a;
    CHECK(error.empty());
  });
  CHECK_FALSE(answered);  // not before the loop runs
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(answered);
  REQUIRE(got);
  CHECK(got->addr.ss_family == AF_INET);  // IPv4 first when the name has both
  CHECK(uv_loop_close(&loop) == 0);
}
