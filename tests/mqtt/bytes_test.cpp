#include "mqtt/bytes.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

using namespace actormq::mqtt;

TEST_CASE("empty SharedBytes owns nothing") {
  SharedBytes b;
  CHECK(b.empty());
  CHECK(b.size() == 0);
  CHECK(b.use_count() == 0);
  CHECK(SharedBytes::copy_of(std::string_view{}).use_count() == 0);
}

TEST_CASE("copies share one buffer") {
  auto a = SharedBytes::copy_of(std::string_view("hello"));
  CHECK(a.use_count() == 1);
  SharedBytes b = a;
  CHECK(a.use_count() == 2);
  CHECK(b.data() == a.data());
  CHECK(b.view() == "hello");
  SharedBytes c = std::move(b);
  CHECK(b.empty());
  CHECK(a.use_count() == 2);
  c = SharedBytes{};
  CHECK(a.use_count() == 1);
  SharedBytes d;
  d = a;
  d = d;  // self-assignment keeps the buffer
  CHECK(d.view() == "hello");
  CHECK(a.use_count() == 2);
  CHECK(a == d);
  CHECK_FALSE(a == SharedBytes::copy_of(std::string_view("hellp")));
}

TEST_CASE("build fills the buffer once") {
  auto b = SharedBytes::build(3, [](std::span<std::uint8_t> out) {
    out[0] = 'x';
    out[1] = 'y';
    out[2] = 'z';
  });
  CHECK(b.view() == "xyz");
}

TEST_CASE("copies across threads keep the count exact") {
  auto a = SharedBytes::copy_of(std::string_view("payload"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([a] {
      for (int i = 0; i < 10'000; ++i) {
        SharedBytes copy = a;
        CHECK(copy.size() == 7);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(a.use_count() == 1);
}
