#include "core/flat_rows.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/siphash.hpp"

namespace actormq::core {
namespace {

std::vector<int> values_of(const FlatRows<int>& rows, const Hash128& key) {
  std::vector<int> out;
  rows.for_each(key, [&](const int& v) { out.push_back(v); });
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("siphash: the reference vectors (key 00..0f, message 00..len-1)") {
  const SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  // vectors_sip128 rows 0..3 (within the final word), 8 (one whole word and
  // an empty final one) and 15 (a word and seven bytes), as little-endian words.
  const std::pair<std::size_t, Hash128> vectors[] = {
      {0, {0xe6a825ba047f81a3ULL, 0x930255c71472f66dULL}},  {1, {0x44af996bd8c187daULL, 0x45fc229b11597634ULL}},
      {2, {0xc75da4a48d227781ULL, 0xe4ff0af6de8ba3fcULL}},  {3, {0x4ea967520cb6709cULL, 0x51ed8529b0b6335fULL}},
      {8, {0x61f55862baa9623bULL, 0xb49714f364e2830fULL}},  {15, {0x11a8b03399e99354ULL, 0xd9c3cf970fec087eULL}}};
  for (const auto& [len, want] : vectors) {
    CAPTURE(len);
    std::string message;
    for (std::size_t i = 0; i < len; ++i) {
      message.push_back(static_cast<char>(i));
    }
    CHECK(siphash128(key, message) == want);
  }
  CHECK(SipKey::random().k0 != SipKey::random().k0);
}

TEST_CASE("flat rows: rows of one key, another key's apart, erased by value") {
  FlatRows<int> rows;
  const SipKey key = SipKey::random();
  const Hash128 a = siphash128(key, "a");
  const Hash128 b = siphash128(key, "b");
  CHECK(values_of(rows, a).empty());
  CHECK(rows.erase_if(a, [](int) { return true; }) == 0);
  rows.insert(a, 1);
  rows.insert(a, 2);
  rows.insert(b, 3);
  CHECK(rows.size() == 3);
  CHECK(values_of(rows, a) == std::vector<int>{1, 2});
  REQUIRE(rows.find(b) != nullptr);
  CHECK(*rows.find(b) == 3);
  CHECK(rows.find(siphash128(key, "c")) == nullptr);
  CHECK(rows.erase_if(a, [](int v) { return v == 2; }) == 1);
  CHECK(values_of(rows, a) == std::vector<int>{1});
  CHECK(values_of(rows, b) == std::vector<int>{3});
  CHECK(rows.erase_all_if([](int v) { return v != 3; }) == 1);
  CHECK(values_of(rows, a).empty());
  CHECK(rows.size() == 1);
  CHECK(rows.erase_all_if([](int) { return true; }) == 1);
  CHECK(rows.size() == 0);
  CHECK(rows.capacity() == 0);
  rows.insert(b, 4);  // usable again after being emptied
  CHECK(values_of(rows, b) == std::vector<int>{4});
}

// Keys that share a home slot make long runs that wrap around the end of
// the array: what backward-shift deletion must keep reachable. Checked
// against a std::multimap through random inserts and erases.
TEST_CASE("flat rows: a row keeps 96 bits of the hash and packs a small value beside them") {
  static_assert(sizeof(FlatRows<char>::Row) == 16);
  static_assert(sizeof(FlatRows<std::uint16_t>::Row) == 16);
  static_assert(sizeof(FlatRows<std::uint32_t>::Row) == 16);
  static_assert(sizeof(FlatRows<std::uint64_t>::Row) == 24);
  FlatRows<std::uint16_t> rows;
  const Hash128 k{0x1234, 0x00000000'00000005ULL};
  const Hash128 same96{0x1234, 0xFFFFFFFF'00000005ULL};  // differs in the 32 bits not kept
  rows.insert(k, 1);
  REQUIRE(rows.find(same96) != nullptr);
  CHECK(*rows.find(same96) == 1);
  CHECK(rows.find(Hash128{0x1234, 6}) == nullptr);
  // A hash whose kept bits are all zero is not an empty slot.
  const Hash128 zero96{0, 0xABCD'0000'0000ULL};
  rows.insert(zero96, 2);
  REQUIRE(rows.find(zero96) != nullptr);
  CHECK(*rows.find(zero96) == 2);
  CHECK(rows.size() == 2);
  CHECK(rows.erase_if(zero96, [](std::uint16_t) { return true; }) == 1);
  CHECK(rows.find(zero96) == nullptr);
  CHECK(rows.find(k) != nullptr);
}

TEST_CASE("flat rows: random inserts and erases agree with a multimap, with colliding homes and wrap-around") {
  std::mt19937_64 rng(7);
  FlatRows<int> rows;
  std::multimap<std::pair<std::uint64_t, std::uint64_t>, int> model;
  std::vector<Hash128> keys;
  for (std::uint64_t i = 0; i < 64; ++i) {
    // The top bits of the low word (which pick the home) from a few values,
    // so homes collide; a quarter's home is the array's last slot, whatever
    // its size; the high word distinct.
    keys.push_back(Hash128{i % 4 == 0 ? ~std::uint64_t{0} : ((i % 3) << 61) | (rng() & 0xff), i + 1});
  }
  for (int step = 0; step < 20000; ++step) {
    const Hash128& k = keys[rng() % keys.size()];
    const int v = static_cast<int>(rng() % 4);
    switch (rng() % 2) {
      case 0:
        rows.insert(k, v);
        model.emplace(std::pair{k.lo, k.hi}, v);
        break;
      default: {
        std::size_t expected = 0;
        auto [from, to] = model.equal_range({k.lo, k.hi});
        for (auto it = from; it != to;) {
          if (it->second == v) {
            it = model.erase(it);
            ++expected;
          } else {
            ++it;
          }
        }
        REQUIRE(rows.erase_if(k, [v](int x) { return x == v; }) == expected);
        break;
      }
    }
    if (step % 997 == 0) {
      const int gone = static_cast<int>(rng() % 4);
      std::erase_if(model, [gone](const auto& kv) { return kv.second == gone; });
      rows.erase_all_if([gone](int x) { return x == gone; });
    }
    REQUIRE(rows.size() == model.size());
  }
  for (const Hash128& k : keys) {
    auto [from, to] = model.equal_range({k.lo, k.hi});
    std::vector<int> want;
    for (auto it = from; it != to; ++it) {
      want.push_back(it->second);
    }
    std::sort(want.begin(), want.end());
    CHECK(values_of(rows, k) == want);
  }
  for (const Hash128& k : keys) {
    CHECK((rows.find(k) != nullptr) == (model.count({k.lo, k.hi}) != 0));
  }
}

}  // namespace
}  // namespace actormq::core
