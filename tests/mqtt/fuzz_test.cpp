// Deterministic random and mutated input through the parser: it must never
// crash (the sanitizer build turns any out-of-bounds read into a failure),
// and whatever it accepts must re-encode to bytes that parse to the same packet.

#include <doctest/doctest.h>

#include <algorithm>
#include <iterator>
#include <random>

#include "mqtt/encode.hpp"
#include "samples.hpp"
#include "test_util.hpp"

using namespace actormq::mqtt;
using namespace actormq::mqtt::test;

namespace {

struct Stats {
  std::size_t packets = 0;
  std::size_t errors = 0;
  std::size_t need_more = 0;
};

// Accepted packets must survive encode -> parse unchanged.
void check_accepted(const Parsed& r, ProtocolVersion v) {
  auto bytes = encode(r.packet, v);
  REQUIRE_MESSAGE(bytes.ok(), to_string(bytes.error().code));
  Parsed again = parse_one(*bytes, v);
  REQUIRE(again.status == ParseStatus::packet);
  REQUIRE(again.packet == r.packet);
}

void run_one(const Bytes& input, ProtocolVersion v, Stats& stats) {
  Parsed r = parse_one(input, v, 4096);
  switch (r.status) {
    case ParseStatus::packet:
      ++stats.packets;
      REQUIRE(r.consumed <= input.size());
      check_accepted(r, v);
      break;
    case ParseStatus::error:
      ++stats.errors;
      REQUIRE_FALSE(r.error.reason.empty());
      break;
    case ParseStatus::need_more:
      ++stats.need_more;
      REQUIRE(r.consumed == 0);
      break;
  }
}

Bytes mutate(const Bytes& seed, std::mt19937_64& rng) {
  Bytes b = seed;
  std::uniform_int_distribution<int> op_dist(0, 5);
  const int ops = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < ops; ++i) {
    auto pos = [&] { return b.empty() ? 0 : static_cast<std::size_t>(rng() % b.size()); };
    switch (op_dist(rng)) {
      case 0:  // flip one bit
        if (!b.empty()) {
          b[pos()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        }
        break;
      case 1:  // replace a byte
        if (!b.empty()) {
          b[pos()] = static_cast<std::uint8_t>(rng());
        }
        break;
      case 2:  // truncate
        b.resize(pos());
        break;
      case 3: {  // insert a byte
        const auto at = static_cast<std::ptrdiff_t>(pos());
        b.push_back(static_cast<std::uint8_t>(rng()));
        std::rotate(b.begin() + at, b.end() - 1, b.end());
        break;
      }
      case 4:  // erase a byte
        if (!b.empty()) {
          const auto at = b.begin() + static_cast<std::ptrdiff_t>(pos());
          std::rotate(at, at + 1, b.end());
          b.pop_back();
        }
        break;
      case 5:  // interesting values where lengths and flags live
        if (!b.empty()) {
          static constexpr std::uint8_t interesting[] = {0x00, 0x01, 0x02, 0x7F, 0x80, 0xFF};
          b[pos()] = interesting[rng() % std::size(interesting)];
        }
        break;
    }
  }
  // Keep the remaining length consistent half of the time, so mutations reach
  // the body decoders instead of stopping at "need more".
  if (b.size() >= 2 && (rng() & 1) != 0 && b.size() - 2 < 128) {
    b[1] = static_cast<std::uint8_t>(b.size() - 2);
  }
  return b;
}

}  // namespace

TEST_CASE("mutated valid packets never crash the parser") {
  std::mt19937_64 rng(20261122);
  for (auto v : {ProtocolVersion::v3_1_1, ProtocolVersion::v5}) {
    std::vector<Bytes> seeds;
    for (const auto& p : sample_packets(v)) {
      auto bytes = encode(p, v);
      REQUIRE(bytes.ok());
      if (bytes->size() <= 1024) {
        seeds.push_back(std::move(*bytes));
      }
    }
    Stats stats;
    for (int i = 0; i < 150'000; ++i) {
      run_one(mutate(seeds[rng() % seeds.size()], rng), v, stats);
    }
    CAPTURE(to_string(v));
    // Each outcome must occur, or the mutator is not exercising the parser.
    CHECK(stats.packets > 1000);
    CHECK(stats.errors > 1000);
    CHECK(stats.need_more > 1000);
  }
}

TEST_CASE("random bytes never crash the parser") {
  std::mt19937_64 rng(7);
  Stats stats;
  for (int i = 0; i < 100'000; ++i) {
    Bytes b(rng() % 48);
    for (auto& byte : b) {
      byte = static_cast<std::uint8_t>(rng());
    }
    // A plausible remaining length makes the body decoders run.
    if (b.size() >= 2 && (i & 1) != 0) {
      b[1] = static_cast<std::uint8_t>(b.size() - 2);
    }
    run_one(b, i % 3 == 0 ? ProtocolVersion::v3_1_1 : ProtocolVersion::v5, stats);
  }
  CHECK(stats.errors > 10'000);
}

TEST_CASE("random chunking of a mutated stream matches parsing at once") {
  std::mt19937_64 rng(99);
  const auto v = ProtocolVersion::v5;
  std::vector<Bytes> seeds;
  for (const auto& p : sample_packets(v)) {
    auto bytes = encode(p, v);
    if (bytes->size() <= 1024) {
      seeds.push_back(std::move(*bytes));
    }
  }
  for (int i = 0; i < 2'000; ++i) {
    Bytes stream;
    for (int k = 0; k < 4; ++k) {
      const Bytes& seed = seeds[rng() % seeds.size()];
      const Bytes part = k == 3 ? mutate(seed, rng) : seed;
      std::copy(part.begin(), part.end(), std::back_inserter(stream));
    }
    ParserOptions options{4096, v};
    auto whole = parse_chunked(stream, stream.size(), options);
    auto pieces = parse_chunked(stream, 1 + rng() % 17, options);
    REQUIRE(whole.size() == pieces.size());
    for (std::size_t j = 0; j < whole.size(); ++j) {
      REQUIRE(whole[j].status == pieces[j].status);
      if (whole[j].status == ParseStatus::packet) {
        CHECK(whole[j].packet == pieces[j].packet);
      } else {
        CHECK(whole[j].error.code == pieces[j].error.code);
      }
    }
  }
}
